"""A webhook receiver on 127.0.0.1 for trying the local stack's webhooks (allow it while the stack runs:
`make webhook-target TARGET=<receiver.target>`): every POST is answered 204 (keep-alive), counted, and its
JSON body kept unless `keep` is off (a bench that only counts)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self, keep: bool = True) -> None:
        self.count = 0
        self.received: list[dict[str, Any]] = []
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    receiver.count += 1
                    if keep:
                        receiver.received.append(json.loads(body))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.1,), daemon=True).start()  # close() waits a poll
        self.target = f"127.0.0.1:{self.server.server_address[1]}"

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in list(self.received) if e.get("type") == kind]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
