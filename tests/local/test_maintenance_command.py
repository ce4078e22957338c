"""`make maintenance` (local.maintenance) against an HTTP API that is slow or drops a connection: it waits
and asks again, and ends with the run's outcome, never a traceback."""

from __future__ import annotations

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from local import maintenance


@pytest.fixture
def api(monkeypatch):
    """An API whose second GET answers after the client's timeout, and whose third drops the connection."""
    monkeypatch.setattr(maintenance, "TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(maintenance, "POLL_SECONDS", 0.01)
    gets = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer(202, {"runId": "run-2026-03-02"})

        def do_GET(self):  # noqa: N802
            gets.append(time.monotonic())
            if len(gets) == 2:
                time.sleep(0.6)  # past the client's timeout
            if len(gets) == 3:
                self.connection.close()
                return
            done = min(len(gets) * 2, 6)
            self._answer(
                200,
                {
                    "businessDate": "2026-03-02",
                    "state": "completed" if done == 6 and len(gets) > 4 else "running",
                    "loansQueued": 6 if len(gets) > 1 else None,
                    "loansDone": done,
                    "loansFailed": 0,
                },
            )

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            pass  # the slow answer finds its client gone: not this test's concern

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()  # shutdown() waits a poll
    yield f"http://127.0.0.1:{server.server_address[1]}", gets
    server.shutdown()


def test_a_slow_answer_and_a_dropped_connection_are_waited_out(api, capsys):
    url, gets = api
    bar = io.StringIO()
    status, started = maintenance.patiently(url, "key", "POST", "/maintenance/runs", {})
    run = maintenance.follow(url, "key", started["runId"], output=bar)
    assert (status, run["state"], run["loansDone"]) == (202, "completed", 6)
    assert len(gets) >= 5, "asked again after the slow answer and after the dropped connection"
    assert "6/6" in bar.getvalue() and "100%" in bar.getvalue()
    assert "Traceback" not in capsys.readouterr().err


def test_the_command_says_what_went_wrong_when_the_api_never_answers(monkeypatch, capsys):
    monkeypatch.setattr(maintenance, "PATIENCE_SECONDS", 0.5)
    monkeypatch.setenv("API", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("KEY", "lk_any")
    assert maintenance.main(["2026-03-02"]) == 1
    err = capsys.readouterr().err
    assert "maintenance:" in err and "Traceback" not in err
