"""The webhook HTTP client against real receivers on 127.0.0.1. Targets name a host that does not
resolve ("receiver.test") with the receiver's address, so a request that arrives proves the
client connected to the vetted address instead of resolving the name."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lms.webhooks.client import plain_post, request
from lms.webhooks.guard import Target


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # headers and body are separate writes
    server: Receiver

    def _record_and_reply(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.received.append(Received(self.command, self.path, headers, body))
        self.server.reply(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _record_and_reply

    def log_message(self, *args) -> None:
        pass


class Receiver(ThreadingHTTPServer):
    """A webhook receiver: records requests and TCP connections; `reply(handler)` answers."""

    daemon_threads = True

    def __init__(self, reply, tls: ssl.SSLContext | None = None):
        self.reply = reply
        self.tls = tls
        self.received: list[Received] = []
        self.connections: list[socket.socket] = []
        self.server_names: list[str | None] = []  # TLS SNI, per handshake
        self.stop = threading.Event()  # ends replies that would go on forever
        super().__init__(("127.0.0.1", 0), _Handler)
        self.port = self.server_address[1]

    def get_request(self):
        sock, address = super().get_request()
        self.connections.append(sock)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True)
        return sock, address

    def handle_error(self, request, client_address) -> None:
        pass  # clients cutting answers short is what these tests do

    def close(self) -> None:
        self.stop.set()
        self.shutdown()
        self.server_close()
        for sock in self.connections:  # or a pooled keep-alive connection could outlive the test
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


@pytest.fixture
def serve():
    """serve(reply, tls=None) starts a Receiver in a thread; all are closed after the test."""
    servers: list[Receiver] = []

    def start(reply, tls=None) -> Receiver:
        server = Receiver(reply, tls)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def answer(status: int = 200, body: bytes = b"ok", headers: tuple[tuple[str, str], ...] = ()):
    def reply(handler: _Handler) -> None:
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return reply


def echo(handler: _Handler) -> None:
    answer(200, handler.server.received[-1].body)(handler)


def target(server: Receiver, host: str = "receiver.test", scheme: str = "http") -> Target:
    return Target(
        scheme=scheme,
        host=host,
        port=server.port,
        address="127.0.0.1",
        path="/hook?x=1",
        host_header=f"{host}:{server.port}",
    )


def timed(*args, **kwargs):
    started = time.monotonic()
    response = request(*args, **kwargs)
    return response, time.monotonic() - started


# --- what goes on the wire ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_request_arrives_at_the_vetted_address_with_host_path_headers_and_exact_body(serve, method):
    server = serve(answer(200, b'{"received": true}', (("X-Receipt", "r-1"),)))
    body = b'{"event": "loan.funded", "amount": "10.00"}\x00\xff'
    response = request(target(server), method, {"Content-Type": "application/json", "X-Signature": "t=1,v1=ab"}, body)

    assert (response.status, response.body, response.error) == (200, b'{"received": true}', None)
    assert response.headers["x-receipt"] == "r-1" and response.headers["content-length"] == "18"
    assert isinstance(response.latency_ms, int) and response.latency_ms >= 0
    [received] = server.received
    assert (received.method, received.path, received.body) == (method, "/hook?x=1", body)
    assert received.headers["host"] == f"receiver.test:{server.port}"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["x-signature"] == "t=1,v1=ab"
    assert received.headers["content-length"] == str(len(body))
    assert received.headers["user-agent"] == "lms-webhooks/1"


def test_a_user_agent_given_by_the_caller_is_sent_instead_of_the_default(serve):
    server = serve(answer())
    request(target(server), "POST", {"user-agent": "lender-hooks/7"}, b"{}")
    assert server.received[0].headers["user-agent"] == "lender-hooks/7"


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_get_and_delete_without_a_body_send_no_body(serve, method):
    server = serve(answer())
    assert request(target(server), method, {}, None).status == 200
    [received] = server.received
    assert received.body == b""
    assert "content-length" not in received.headers and "transfer-encoding" not in received.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Signature": "v1=ab\r\nX-Injected: 1"},
        {"X-Signature": "v1=ab\nX-Injected: 1"},
        {"X-Signature": "v1=ab\r X-Injected: 1"},
        {"X-Signature\r\nX-Injected": "1"},
    ],
)
def test_cr_or_lf_in_a_header_is_refused_before_anything_is_sent(serve, headers):
    server = serve(answer())
    with pytest.raises(ValueError, match="CR, LF"):
        request(target(server), "POST", headers, b"{}")
    assert server.connections == [] and server.received == []


@pytest.mark.parametrize(
    "method, headers",
    [
        ("TRACE", {}),
        ("post", {}),
        ("POST", {"Host": "elsewhere.test"}),
        ("POST", {"content-length": "0"}),
        ("POST", {"Transfer-Encoding": "chunked"}),
    ],
)
def test_bad_arguments_are_refused(serve, method, headers):
    server = serve(answer())
    with pytest.raises(ValueError):
        request(target(server), method, headers, b"{}")
    assert server.connections == []


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Note": "\u2603"},  # beyond Latin-1: http.client would raise UnicodeEncodeError mid-request
        {"X-Note": "a\u2028b"},
        {"X-Note": "a\x01b"},
        {"X-Note": "a\x7fb"},
        {"X-Note": "a\x0bb"},
        {"X Note": "1"},
        {"X-Note:": "1"},
    ],
)
def test_a_header_that_cannot_be_sent_is_refused_before_anything_is_sent_without_quoting_it(serve, headers):
    from lms.webhooks.client import Unsendable

    server = serve(answer())
    with pytest.raises(Unsendable) as refused:
        request(target(server), "POST", headers, b"{}")
    assert server.connections == [] and server.received == []
    value = next(iter(headers.values()))
    assert value == "1" or value not in str(refused.value)


def test_a_latin_1_header_value_is_sent_as_latin_1(serve):
    server = serve(answer())
    assert request(target(server), "POST", {"X-Who": "Jos\u00e9\tX"}, b"{}").status == 200
    assert server.received[0].headers["x-who"] == "Jos\u00e9\tX"  # http.server reads headers as Latin-1


def test_an_address_that_is_not_an_ip_literal_is_refused():
    unresolved = Target(
        scheme="http", host="receiver.test", port=80, address="receiver.test", path="/", host_header="receiver.test"
    )
    with pytest.raises(ValueError):
        request(unresolved, "POST", {}, b"{}")


# --- what comes back -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 204, 400, 404, 410, 429, 500, 503])
def test_the_status_is_returned_as_is_and_nothing_is_retried(serve, status):
    server = serve(answer(status, b"" if status == 204 else b"answer", (("Retry-After", "0"),)))
    response = request(target(server), "POST", {}, b"{}")
    assert (response.status, response.error) == (status, None)
    assert response.body == (b"" if status == 204 else b"answer")
    assert len(server.received) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_returned_with_its_location_and_never_followed(serve, status):
    elsewhere = serve(answer())
    location = f"http://127.0.0.1:{elsewhere.port}/"
    server = serve(answer(status, b"", (("Location", location),)))
    response = request(target(server), "POST", {}, b"{}")
    assert (response.status, response.headers["location"]) == (status, location)
    assert len(server.received) == 1
    assert elsewhere.connections == [] and elsewhere.received == []


def test_a_body_ended_by_closing_the_connection_is_read_whole(serve):
    def reply(handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Connection", "close")  # no Content-Length: the body ends with the connection
        handler.end_headers()
        handler.wfile.write(b"until the connection closes")

    server = serve(reply)
    response = request(target(server), "POST", {}, b"{}")
    assert (response.status, response.body, response.error) == (200, b"until the connection closes", None)


def test_an_answer_broken_off_mid_body_keeps_its_status_and_partial_body(serve):
    def reply(handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        handler.wfile.write(b"partial")
        handler.close_connection = True

    server = serve(reply)
    response = request(target(server), "POST", {}, b"{}")
    assert (response.status, response.body, response.error) == (200, b"partial", "connection closed mid-body")


def _write_until_the_client_leaves(left: threading.Event, body: bytes | None):
    """Answer 200 with `body` (Content-Length) or, for None, an endless chunked body; set `left`
    when a write fails because the client closed the connection."""

    def reply(handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header(
            *(("Content-Length", str(len(body))) if body is not None else ("Transfer-Encoding", "chunked"))
        )
        handler.end_headers()
        try:
            if body is not None:
                handler.wfile.write(body)
            else:
                chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
                while not handler.server.stop.is_set():
                    handler.wfile.write(chunk)
        except OSError:
            left.set()
            raise

    return reply


@pytest.mark.parametrize("size", [10 * 1024 * 1024, None], ids=["10MB", "endless"])
def test_a_long_body_is_cut_at_max_body_and_its_connection_closed_unread(serve, size):
    left = threading.Event()
    server = serve(_write_until_the_client_leaves(left, None if size is None else b"x" * size))
    response, elapsed = timed(target(server), "POST", {}, b"{}", read_timeout=5.0, max_body=1000)
    assert (response.status, response.body) == (200, b"x" * 1000)
    assert "cut" in response.error
    assert elapsed < 4.0  # well before the 5 s read timeout: cut, not waited out (loose: CI machines are busy)
    assert left.wait(2.0), "the cut connection was kept open (drained or pooled) instead of closed"


def test_a_receiver_that_never_answers_times_out_within_the_read_timeout(serve):
    server = serve(lambda handler: handler.server.stop.wait())
    response, elapsed = timed(target(server), "POST", {}, b"{}", connect_timeout=0.5, read_timeout=0.5)
    assert response.status is None and "timeout" in response.error
    assert response.body == b"" and response.headers == {}
    assert 0.4 < elapsed < 3.0  # the server would wait forever


def _trickle(head: bytes):
    """Send `head` at once, then one byte per 0.2 s (until the client leaves or 5 s passed)."""

    def reply(handler: _Handler) -> None:
        handler.wfile.write(head)
        for _ in range(25):
            if handler.server.stop.wait(0.2):
                return
            handler.wfile.write(b"a")

    return reply


@pytest.mark.parametrize(
    "head, status",
    [
        (b"HTTP/1.1 200 OK\r\nX-Slow: ", None),  # the headers never end
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 200),  # the body never ends
    ],
    ids=["headers", "body"],
)
def test_a_trickling_receiver_cannot_hold_the_call_beyond_the_read_timeout(serve, head, status):
    server = serve(_trickle(head))
    response, elapsed = timed(target(server), "POST", {}, b"{}", read_timeout=1.0)
    assert response.status == status and "timeout" in response.error
    assert 0.9 < elapsed < 3.5  # the server trickles for 5 s


def test_a_refused_connection_is_reported_quickly():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = Target(
        scheme="http",
        host="receiver.test",
        port=port,
        address="127.0.0.1",
        path="/",
        host_header=f"receiver.test:{port}",
    )
    response, elapsed = timed(closed, "POST", {}, b"{}")
    assert response.status is None and "refused" in response.error.lower()
    assert elapsed < 2.5  # no waiting out the 3 s connect timeout


# --- connections -----------------------------------------------------------------------------------


def test_sequential_requests_to_a_target_share_one_kept_alive_connection(serve):
    server = serve(answer())
    assert [request(target(server), "POST", {}, b"{}").status for _ in range(3)] == [200, 200, 200]
    assert len(server.received) == 3 and len(server.connections) == 1


def test_ten_threads_of_twenty_requests_all_succeed_each_with_its_own_answer(serve):
    server = serve(echo)

    def deliver(thread: int) -> list[bool]:
        results = []
        for i in range(20):
            body = f"thread {thread} request {i}".encode()
            response = request(target(server), "POST", {}, body)
            results.append((response.status, response.body) == (200, body))
        return results

    with ThreadPoolExecutor(10) as threads:
        results = [ok for oks in threads.map(deliver, range(10)) for ok in oks]
    assert results == [True] * 200
    assert len(server.received) == 200
    assert len(server.connections) <= 10


def test_plain_post_uses_the_same_pooled_client(serve):
    server = serve(answer(202))
    url = f"http://127.0.0.1:{server.port}/bench?n=1"
    assert [plain_post(url, b'{"n": 1}', {"Content-Type": "application/json"}) for _ in range(2)] == [202, 202]
    assert [(r.method, r.path, r.body) for r in server.received] == [("POST", "/bench?n=1", b'{"n": 1}')] * 2
    assert len(server.connections) == 1


# --- TLS -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA (as a PEM file) and a server certificate it signed for receiver.test."""
    directory = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.UTC)

    def certificate(subject: str, key, issuer: str, issuer_key, ca: bool, san: str | None = None):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        else:
            assert san is not None, "a server certificate names its host"
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
            )
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("Webhook Test CA", ca_key, "Webhook Test CA", ca_key, ca=True)
    leaf = certificate("receiver.test", server_key, "Webhook Test CA", ca_key, ca=False, san="receiver.test")
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "server.pem").write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return directory


def _tls_receiver(serve, pki) -> Receiver:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / "server.pem")
    server = serve(answer(), tls=context)
    context.sni_callback = lambda sock, name, ctx: server.server_names.append(name)
    return server


@pytest.fixture
def trusted_test_ca(monkeypatch, pki):
    """The default CA store is the test CA (OpenSSL reads SSL_CERT_FILE when a pool loads it)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(pki / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(pki))


def test_https_sends_the_host_as_sni_and_verifies_the_certificate_against_it(serve, pki, trusted_test_ca):
    server = _tls_receiver(serve, pki)
    response = request(target(server, scheme="https"), "POST", {}, b"{}")
    assert (response.status, response.error) == (200, None)
    assert server.server_names == ["receiver.test"]
    assert server.received[0].headers["host"] == f"receiver.test:{server.port}"


def test_https_refuses_a_certificate_for_another_host(serve, pki, trusted_test_ca):
    server = _tls_receiver(serve, pki)
    response = request(target(server, host="other.test", scheme="https"), "POST", {}, b"{}")
    assert response.status is None and response.error is not None
    assert response.error.startswith("tls:") and "other.test" in response.error
    assert server.server_names == ["other.test"] and server.received == []


def test_https_refuses_a_certificate_the_default_store_does_not_trust(serve, pki, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    server = _tls_receiver(serve, pki)
    response = request(target(server, scheme="https"), "POST", {}, b"{}")
    assert response.status is None and response.error is not None and response.error.startswith("tls:")
    assert server.received == []
