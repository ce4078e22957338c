"""Webhook tests: real HTTP receivers on 127.0.0.1 (allowed as the local stack allows its gateway),
the stream pump (events) and the queue pump (sender) over the in-process moto."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from tests.automation.conftest import pump, queue_pump  # noqa: F401  (fixtures)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each request with `answer(request) -> (status, headers)`; keeps every request."""

    answer: Callable[[Received], tuple[int, dict[str, str]]] = lambda r: (204, {})
    requests: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def receiver(monkeypatch):
    made: list[ThreadingHTTPServer] = []

    def start(answer=None) -> Receiver:
        state = Receiver(answer or (lambda r: (204, {})))
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                with lock:
                    state.requests.append(request)
                status, headers = state.answer(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()  # shutdown() waits a poll
        made.append(server)
        state.port = server.server_address[1]
        allowed = [f"127.0.0.1:{s.server_address[1]}" for s in made]
        monkeypatch.setenv("WEBHOOK_ALLOWED_TARGETS", ",".join(allowed))
        return state

    yield start
    for server in made:
        server.shutdown()
        server.server_close()


@pytest.fixture
def deliver(pump, queue_pump):  # noqa: F811
    """Runs the streams (events) and the queues (sender) until everything settled."""
    from local.queues import drain_all

    return lambda: drain_all(queue_pump, pump)


def dead_letters() -> list[dict]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName="WebhookDeadLetterQueue")["QueueUrl"]
    found: list[dict] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages", [])
        if not got:
            return found
        found += [json.loads(m["Body"]) for m in got]
