"""The local HTTP gateway: turns each HTTP request into an API Gateway REST proxy event, calls the
API handler exactly as Lambda would, and writes its answer back.

Only ever binds 127.0.0.1. Connections are served on threads of their own with a listen backlog of
1,024, so parallel clients queue instead of seeing resets. In the local stack the handler is a pool of
the API's execution environments (local.environment), each running one request at a time, as Lambda
does. Every method reaches the handler, which answers the ones it does not serve (405 with
Allow, in the contract's error shape). Paths under /_local/ are the local stack's own (its status, the
webhook targets it allows) and never reach the API.

Request headers and bodies are never logged: they carry API keys and customer data. The access log is
one line per request: method, path, status, milliseconds.
"""

from __future__ import annotations

import base64
import contextlib
import json
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local.apigw import context_for, proxy_event

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
# A local-only route: (method, body) -> (status, JSON-able answer).
LocalRoute = Callable[[str, bytes], tuple[int, Any]]
LOCAL_PREFIX = "/_local/"

MAX_BODY_BYTES = 1024 * 1024  # API Gateway's own limit is 10 MB; the API refuses more than 64 KiB anyway
DRAIN_LIMIT_BYTES = 16 * 1024 * 1024  # a refused body up to this size is read and dropped
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


def error_body(status: int, code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": []}}).encode()


class _TooLarge(Exception):
    pass


class _BadFraming(Exception):
    pass


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds a connection may sit idle or stall mid-request
    # The head and the body of an answer are two writes: with Nagle's algorithm on, the body waits for the
    # client's delayed ACK of the head, 40 ms on every keep-alive request.
    disable_nagle_algorithm = True
    server_version = "lms-local-gateway"
    server: Gateway

    def version_string(self) -> str:
        return self.server_version

    # ------------------------------------------------------------ plumbing

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """The stdlib would log the request line (with the query string); keep quiet, we log our own line."""

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _access_log(self, method: str, path: str, status: int, started: float) -> None:
        if self.server.access_log:
            ms = (time.perf_counter() - started) * 1000
            print(f"{method} {path} {status} {ms:.1f}ms", file=sys.stderr, flush=True)

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, head: bool = False) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and not head:
            self.wfile.write(body)

    def _send_error(self, status: int, code: str, message: str) -> None:
        self._send(status, [("Content-Type", "application/json")], error_body(status, code, message))

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            raise _BadFraming("Content-Length is not a number") from None
        if length < 0:
            raise _BadFraming("Content-Length is negative")
        if length > MAX_BODY_BYTES:
            raise _TooLarge
        return self.rfile.read(length)

    def _discard_body(self) -> None:
        """Reads (and drops) a too-large body of a stated length, up to a bound, so the client gets
        to read the 413 instead of a connection reset; beyond the bound the connection just closes."""
        try:
            remaining = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return
        if remaining > DRAIN_LIMIT_BYTES:
            return
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 64 * 1024))
            if not chunk:
                return
            remaining -= len(chunk)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip() or b"x", 16)
            except ValueError:
                raise _BadFraming("bad chunk size") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > MAX_BODY_BYTES:
                raise _TooLarge
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)  # the CRLF after the chunk

    # ------------------------------------------------------------ requests

    def __getattr__(self, name: str) -> Any:
        """http.server looks up do_<METHOD>: every method is handled (the API answers 405 to the ones it
        does not serve, with the methods it does), none gets the standard library's 501 page."""
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _handle(self) -> None:
        started = time.perf_counter()
        method = self.command
        split = urlsplit(self.path)
        path = split.path or "/"
        try:
            body = self._read_body()
        except _TooLarge:
            self._discard_body()
            self.close_connection = True
            self._send_error(413, "payload_too_large", f"the body is larger than {MAX_BODY_BYTES} bytes")
            self._access_log(method, path, 413, started)
            return
        except _BadFraming as problem:
            self.close_connection = True
            self._send_error(400, "bad_request", str(problem))
            self._access_log(method, path, 400, started)
            return

        if path.startswith(LOCAL_PREFIX):
            self._local(method, path, body, started)
            return

        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        query = parse_qs(split.query, keep_blank_values=True)
        # template.yaml's API has binaryMediaTypes */*: API Gateway passes every body as its bytes, base64.
        text = base64.b64encode(body).decode("ascii") if body else None
        event = proxy_event(
            method,
            path,
            query,
            headers,
            text,
            source_ip=self.client_address[0],
            base64_encoded=body is not None and len(body) > 0,
        )

        try:
            handler = self.server.handler
            assert handler is not None, "the gateway serves only once its handler is set"
            with self.server.handler_lock:
                answer = handler(event, context_for("ApiFunction", event["requestContext"]["requestId"]))
            status, out_headers, out_body = _from_proxy_result(answer)
        except Exception:  # what API Gateway does when the function fails: 502
            traceback.print_exc(file=sys.stderr)
            status, out_headers = 502, [("Content-Type", "application/json")]
            out_body = error_body(502, "bad_gateway", "the function failed; see the local stack's log")
        self._send(status, out_headers, out_body, head=method == "HEAD")
        self._access_log(method, path, status, started)

    def _local(self, method: str, path: str, body: bytes, started: float) -> None:
        route = self.server.local_routes.get(path)
        if route is None:
            status, answer = 404, {"error": {"code": "not_found", "message": "no such local route", "details": []}}
        else:
            try:
                status, answer = route(method, body)
            except Exception as error:  # noqa: BLE001 - the stack's own page never takes the gateway down
                traceback.print_exc(file=sys.stderr)
                status, answer = 500, {"error": {"code": "internal", "message": repr(error), "details": []}}
        self._send(status, [("Content-Type", "application/json")], json.dumps(answer, indent=2).encode())
        self._access_log(method, path, status, started)


def _from_proxy_result(answer: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    status = int(answer.get("statusCode") or 200)
    headers: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        if name.lower() in _HOP_BY_HOP:
            continue
        for value in values if isinstance(values, list) else [values]:
            headers.append((name, str(value)))
        seen.add(name.lower())
    for name, value in (answer.get("headers") or {}).items():
        if name.lower() not in _HOP_BY_HOP and name.lower() not in seen:
            headers.append((name, str(value)))
    body = answer.get("body") or ""
    raw = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode("utf-8")
    return status, headers, raw


class Gateway(ThreadingHTTPServer):
    """The HTTP server; start() serves in a background thread, stop() shuts it down."""

    daemon_threads = True
    request_queue_size = 1024  # the listen backlog (socketserver's default is 5)
    name = "gateway"

    def __init__(
        self,
        handler: Handler | None,
        port: int = 3000,
        host: str = "127.0.0.1",
        access_log: bool = True,
        local_routes: dict[str, LocalRoute] | None = None,
        serialize: bool = False,
    ):
        """handler: the API handler (or a pool of its environments); serialize: call it one request at a
        time (a handler imported into this process: the Powertools router is not safe for threads)."""
        self.handler = handler
        self.handler_lock = threading.Lock() if serialize else contextlib.nullcontext()
        self.access_log = access_log
        self.local_routes = dict(local_routes or {})
        self._thread: threading.Thread | None = None
        super().__init__((host, port), _RequestHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, args=(0.1,), name="gateway", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2) -> None:
        if self._thread:  # shutdown() waits for serve_forever(), which never ran otherwise
            self.shutdown()
            self._thread.join(timeout)
        self.server_close()
