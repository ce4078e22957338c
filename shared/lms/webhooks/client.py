"""One HTTP attempt of a webhook delivery to a target the SSRF guard vetted (`guard.Target`).

The socket goes to `target.address`:`target.port`, the IP literal the guard approved: the host
name is never resolved again (DNS rebinding). The request carries `Host: target.host_header`, and
for https the certificate is verified against `target.host` (SNI and hostname check) with the
default CA store. Redirects are returned, never followed; nothing is retried (the sender owns the
retry schedule). The read timeout bounds the whole response, status line to last body byte, so a
receiver trickling bytes cannot hold a sender thread; at most `max_body` bytes are read.

Connections are kept alive in a small cache of urllib3 pools shared by the sender's threads.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from urllib3 import BaseHTTPResponse, HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util import parse_url
from urllib3.util.ssl_ import create_urllib3_context

from .guard import Target

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
USER_AGENT = "lms-webhooks/1"
# Framing and routing headers are the client's to set; a caller's would contradict them.
_RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})
_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+")  # RFC 9110 tchar
# What a header value can carry on the wire: HTAB, SP and visible characters, obs-text (Latin-1) included.
_NOT_IN_VALUE = re.compile(r"[^\t\x20-\x7e\x80-\xff]")
_CONNECTIONS_PER_POOL = 10  # the sender delivers from up to 10 threads
_POOLS_KEPT = 64  # least recently used pools beyond this are closed


class Unsendable(ValueError):
    """A request that can never be sent as given (request()'s bad arguments); str(error) never holds a
    header value, the path or the query."""


@dataclass
class Response:
    """The outcome of one attempt. `status` is None when no HTTP answer came (connect error,
    timeout, TLS error); `error` then says why, and also when the body was cut (too long, or the
    answer broke off mid-body). `error` never holds the path, query or header values."""

    status: int | None
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes  # at most max_body bytes
    latency_ms: int
    error: str | None


def request(
    target: Target,
    method: str,
    headers: dict[str, str],
    body: bytes | None,
    *,
    connect_timeout: float = 3.0,
    read_timeout: float = 10.0,
    max_body: int = 16384,
) -> Response:
    """Make one attempt of `method` `target.path` to the vetted target; never raises for network
    or HTTP problems. Unsendable (a ValueError) for bad arguments: an unknown method or scheme, an
    address that is not an IP literal, CR/LF/NUL in a header or the path, a header name that is not a
    token or a value with a control character or a character beyond Latin-1, or a Host/Content-Length/
    Transfer-Encoding header (the client sets those)."""
    if method not in METHODS:
        raise Unsendable(f"method must be one of {sorted(METHODS)}")
    if target.scheme not in ("http", "https"):
        raise Unsendable("scheme must be http or https")
    try:
        ipaddress.ip_address(target.address)  # an IP literal: nothing to resolve
    except ValueError:
        raise Unsendable("the address is not an IP literal") from None
    if max_body < 0:
        raise Unsendable("max_body must not be negative")
    _refuse_line_breaks("path", target.path)
    _refuse_line_breaks("Host header", target.host_header)
    send = {"Host": target.host_header}
    for name, value in headers.items():
        shown = ascii(name)[:80]
        _refuse_line_breaks(f"header {shown}", name + value)
        if not _TOKEN.fullmatch(name):
            raise Unsendable(f"header {shown}: the name is not a token")
        if _NOT_IN_VALUE.search(value):
            raise Unsendable(f"header {shown}: the value holds a control character or one beyond Latin-1")
        if name.lower() in _RESERVED_HEADERS:
            raise Unsendable(f"header {shown} is set by the client")
        send[name] = value
    if not any(name.lower() == "user-agent" for name in headers):
        send["User-Agent"] = USER_AGENT
    if body is not None:
        send["Content-Length"] = str(len(body))

    started = time.monotonic()
    try:
        response = _urlopen(
            (target.scheme, target.address, target.port, target.host),
            method,
            target.path,
            body=body,
            headers=send,
            timeout=Timeout(connect=connect_timeout, read=read_timeout),
            preload_content=False,
            release_conn=False,
        )
    except (HTTPError, OSError, http.client.HTTPException) as error:
        return Response(None, {}, b"", _elapsed_ms(started), _reason(error))

    data, problem = _read_capped(response, max_body)
    return Response(
        response.status,
        {name.lower(): response.headers[name] for name in response.headers},
        data,
        _elapsed_ms(started),
        problem,
    )


def plain_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to a plain http URL through the same pooled client, without the guard, and
    return the status: the benchmark's baseline. Raises urllib3's errors on network failure."""
    parsed = parse_url(url)
    if parsed.scheme != "http" or not parsed.host:
        raise ValueError("plain_post takes an http:// URL")
    response = _urlopen(
        ("http", parsed.host, parsed.port or 80, parsed.host),
        "POST",
        parsed.request_uri,
        body=body,
        headers=headers,
        timeout=Timeout(connect=3.0, read=10.0),
    )
    return response.status


def _refuse_line_breaks(what: str, text: str) -> None:
    """Header injection: CR, LF and NUL never reach the wire."""
    if "\r" in text or "\n" in text or "\0" in text:
        raise Unsendable(f"{what} contains CR, LF or NUL")


def _read_capped(response: BaseHTTPResponse, max_body: int) -> tuple[bytes, str | None]:
    """Read at most `max_body` bytes (one more to learn whether there was more). A fully read
    response gives its connection back to the pool; a cut one closes it, unread rest and all."""
    data = bytearray()
    error = None
    try:
        while len(data) <= max_body:
            chunk = response.read(max_body + 1 - len(data), decode_content=False)
            if not chunk:
                break
            data += chunk
    except (HTTPError, OSError, http.client.HTTPException) as exc:
        error = _reason(exc)
    if len(data) > max_body:
        del data[max_body:]
        error = f"response body cut at {max_body} bytes"
    if error is not None:
        response.close()  # closes the socket; the pool gets back an empty slot that reconnects
    response.release_conn()
    return bytes(data), error


def _reason(error: BaseException) -> str:
    """A short reason for a failed attempt. urllib3's own messages name the URL, whose path or
    query may hold a secret, so they are not passed on."""
    if isinstance(error, NewConnectionError):
        cause = error.__cause__
        return (
            f"connect failed: {cause.strerror}" if isinstance(cause, OSError) and cause.strerror else "connect failed"
        )
    if isinstance(error, ConnectTimeoutError):
        return "connect timeout"
    if isinstance(error, (Urllib3Timeout, TimeoutError)):
        return "read timeout"
    if isinstance(error, SSLError):
        cause = error.args[0] if error.args else None
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"tls: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            return f"tls: {cause.reason or type(cause).__name__}"
        return "tls error"
    if isinstance(error, ProtocolError) and len(error.args) > 1 and isinstance(error.args[1], BaseException):
        error = error.args[1]
    if isinstance(error, http.client.RemoteDisconnected):
        return "connection closed without an answer"
    if isinstance(error, http.client.IncompleteRead):
        return "connection closed mid-body"
    if isinstance(error, http.client.HTTPException):
        return f"malformed answer: {type(error).__name__}"
    if isinstance(error, OSError):
        return f"connection error: {error.strerror or type(error).__name__}"
    return type(error).__name__


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


class _DeadlineReader(io.RawIOBase):
    """A socket file whose reads all end by one deadline: each recv waits at most the time left."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, deadline: float | None):
        super().__init__()
        self._raw = raw  # the socket file; it keeps the socket open while the response is read
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        if self._deadline is not None:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("response deadline passed")
            self._sock.settimeout(left)
        return self._raw.readinto(buffer)

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """http.client's response, reading through a _DeadlineReader. urllib3 sets the socket's
    timeout to the read timeout just before the response is read; that becomes the deadline for
    the whole response instead of a limit per recv."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any):
        super().__init__(sock, *args, **kwargs)
        timeout = sock.gettimeout()
        deadline = None if timeout is None else time.monotonic() + timeout
        self.fp = io.BufferedReader(_DeadlineReader(self.fp.detach(), sock, deadline))


class _HTTPConnection(HTTPConnection):
    response_class = _DeadlineResponse


class _HTTPSConnection(HTTPSConnection):
    response_class = _DeadlineResponse


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_pools: OrderedDict[tuple[str, str, int, str], HTTPConnectionPool] = OrderedDict()
_pools_lock = threading.Lock()


def _pool(scheme: str, address: str, port: int, host: str) -> HTTPConnectionPool:
    """The cached pool connecting to `address`:`port`, verifying TLS against `host`."""
    key = (scheme, address, port, host)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is not None:
            _pools.move_to_end(key)
            return pool
        options: dict[str, Any] = {"port": port, "maxsize": _CONNECTIONS_PER_POOL, "block": False}
        if scheme == "https":
            # Loading the CA store takes tens of milliseconds: once per pool, not per connection.
            context = create_urllib3_context()
            context.load_default_certs()
            pool = _HTTPSPool(address, cert_reqs="CERT_REQUIRED", server_hostname=host, ssl_context=context, **options)
        else:
            pool = _HTTPPool(address, **options)
        _pools[key] = pool
        if len(_pools) > _POOLS_KEPT:
            _pools.popitem(last=False)[1].close()
        return pool


def _urlopen(key: tuple[str, str, int, str], method: str, path: str, **kwargs: Any) -> BaseHTTPResponse:
    """urlopen on the cached pool, no redirects, no retries. A pool evicted (closed) between the
    lookup and the use refuses before sending anything, so a fresh one is tried once."""
    try:
        return _pool(*key).urlopen(method, path, redirect=False, retries=False, **kwargs)
    except ClosedPoolError:
        return _pool(*key).urlopen(method, path, redirect=False, retries=False, **kwargs)
