"""The local stack's own routes, served by the gateway under /_local/ (never by the API, never deployed):

- GET /_local/status: every pump (each event source mapping of template.yaml: how far behind, how many
  records, invocations, retries, bisections, what went to an on-failure queue, the last error), the
  scheduler, the API's execution environments, the moto server and the webhook targets allowed.
- GET, POST, DELETE /_local/webhook-targets {"target": "127.0.0.1:9000"}: the local addresses webhooks
  may call besides WEBHOOK_ALLOWED_TARGETS, changed while the stack runs (`make webhook-target
  TARGET=...`). They are kept in a file every process of the stack reads at each check
  (WEBHOOK_ALLOWED_TARGETS_FILE).
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.polling import say

Route = Callable[[str, bytes], tuple[int, Any]]


def _error(status: int, code: str, message: str) -> tuple[int, Any]:
    return status, {"error": {"code": code, "message": message, "details": []}}


def _entries(text: str) -> list[str]:
    return [t.strip() for t in text.replace("\n", ",").split(",") if t.strip()]


class Targets:
    """The webhook targets added while the stack runs, in the file the stack's processes read."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        path.write_text("")

    def listed(self) -> list[str]:
        return _entries(self.path.read_text()) if self.path.exists() else []

    def everyone(self) -> list[str]:
        return _entries(os.environ.get("WEBHOOK_ALLOWED_TARGETS", "")) + self.listed()

    def add(self, target: str) -> None:
        """Adds ip:port (ValueError, naming the entry, when it is not one)."""
        from lms.webhooks import guard

        with self._lock:
            guard.parse_target(target)  # as the sender will
            if target not in self.everyone():
                self._write(self.listed() + [target])

    def remove(self, target: str) -> None:
        with self._lock:
            self._write([t for t in self.listed() if t != target])

    def _write(self, targets: list[str]) -> None:
        scratch = self.path.with_suffix(".new")
        scratch.write_text("\n".join(targets) + "\n")
        scratch.replace(self.path)  # whole, at once: a reader never sees half a file


class Control:
    """What the routes report on and change."""

    def __init__(self, background_port: int, api: Any, moto_endpoint: str, targets: Targets):
        self._background = f"http://127.0.0.1:{background_port}/status"
        self._api = api
        self._moto = moto_endpoint
        self._targets = targets
        self._started = time.time()

    def routes(self) -> dict[str, Route]:
        return {"/_local/status": self.status, "/_local/webhook-targets": self.webhook_targets}

    def status(self, method: str, _body: bytes) -> tuple[int, Any]:
        if method not in ("GET", "HEAD"):
            return _error(405, "method_not_allowed", "GET /_local/status")
        try:
            with urllib.request.urlopen(self._background, timeout=10) as answer:
                background = json.loads(answer.read())
        except OSError as error:
            background = {
                "streams": [],
                "queues": [],
                "scheduler": None,
                "error": f"the background process does not answer: {error}",
            }
        return 200, {
            "upSeconds": round(time.time() - self._started),
            "moto": self._moto,
            "api": self._api.status(),
            **background,
            "webhookTargets": self._targets.everyone(),
        }

    def webhook_targets(self, method: str, body: bytes) -> tuple[int, Any]:
        if method == "GET":
            return 200, {"targets": self._targets.everyone()}
        if method not in ("POST", "DELETE"):
            return _error(405, "method_not_allowed", "GET, POST or DELETE /_local/webhook-targets")
        try:
            target = json.loads(body or b"{}").get("target")
        except (ValueError, AttributeError):
            target = None
        if not isinstance(target, str) or not target.strip():
            return _error(422, "invalid", 'send {"target": "ip:port"}, for example {"target": "127.0.0.1:9000"}')
        target = target.strip()
        if method == "POST":
            try:
                self._targets.add(target)
            except ValueError as error:
                return _error(422, "invalid", str(error))
            say(f"local stack: webhooks may now call {target}")
        elif target not in self._targets.listed() and target in self._targets.everyone():
            return _error(
                422,
                "invalid",
                f"{target} comes from WEBHOOK_ALLOWED_TARGETS (or is the stack's own gateway): "
                "it stays allowed while the stack runs",
            )
        else:
            self._targets.remove(target)
        return 200, {"targets": self._targets.everyone()}


def settled(api: str, quiet_seconds: float = 2.0, timeout: float = 30.0) -> None:
    """Waits until the running stack's pumps have read and handled every stream record and message so far:
    nothing waiting and nothing read for `quiet_seconds` (the pumps read each stream at least once a second).
    TimeoutError if they do not settle in `timeout` seconds."""
    import urllib.request

    deadline, last, quiet_since = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        with urllib.request.urlopen(api.rstrip("/") + "/_local/status", timeout=10) as answer:
            status = json.loads(answer.read())
        seen = (
            sum(s["records"] for s in status["streams"]),
            sum(s["waiting"] for s in status["streams"]),
            sum(q["received"] + q["depth"] for q in status["queues"]),
        )
        if seen != last or seen[1]:
            last, quiet_since = seen, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_seconds:
            return
        time.sleep(0.2)
    raise TimeoutError("the stack's pumps did not settle")


def main(argv: list[str] | None = None) -> int:
    """`make status` and `make webhook-target TARGET=ip:port` against the running stack (API from the
    environment, default http://127.0.0.1:3000)."""
    import argparse
    import sys
    import urllib.error
    import urllib.request

    parser = argparse.ArgumentParser(description="The local stack's own routes.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="GET /_local/status")
    target = commands.add_parser("webhook-target", help="allow (or --remove) a local webhook receiver")
    target.add_argument("target", help="ip:port, e.g. 127.0.0.1:9000")
    target.add_argument("--remove", action="store_true")
    args = parser.parse_args(argv)
    api = os.environ.get("API", "http://127.0.0.1:3000").rstrip("/")
    if args.command == "status":
        request = urllib.request.Request(api + "/_local/status")
    else:
        request = urllib.request.Request(
            api + "/_local/webhook-targets",
            method="DELETE" if args.remove else "POST",
            data=json.dumps({"target": args.target}).encode(),
            headers={"Content-Type": "application/json"},
        )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            print(answer.read().decode())
            return 0
    except urllib.error.HTTPError as error:
        print(error.read().decode(), file=sys.stderr)
        return 1
    except OSError as error:
        print(
            f"no local stack answers at {api} ({getattr(error, 'reason', error)}): start one with `make run`",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
