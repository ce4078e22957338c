"""The local stack's own routes, served by the gateway under /_local/ (never by the API, never deployed):

- GET /_local/status: every pump (each event source mapping of template.yaml: how far behind, how many
  records, invocations, retries, bisections, what went to an on-failure queue, the last error), the
  scheduler, the moto server and the webhook targets allowed.
- GET, POST, DELETE /_local/webhook-targets {"target": "127.0.0.1:9000"}: the local addresses webhooks
  may call (WEBHOOK_ALLOWED_TARGETS), changed while the stack runs; `make webhook-target TARGET=...`.
"""
from __future__ import annotations

import json
import os
import threading
import time
from typing import Any, Callable

from local.polling import say

Route = Callable[[str, bytes], tuple[int, Any]]
_TARGETS = "WEBHOOK_ALLOWED_TARGETS"
_lock = threading.Lock()


def _error(status: int, code: str, message: str) -> tuple[int, Any]:
    return status, {"error": {"code": code, "message": message, "details": []}}


def allowed_targets() -> list[str]:
    return [t.strip() for t in os.environ.get(_TARGETS, "").split(",") if t.strip()]


def allow_target(target: str) -> None:
    """Adds ip:port to the targets webhooks may call (ValueError, naming the entry, when it is not one)."""
    from lms.webhooks import guard

    with _lock:
        current = allowed_targets()
        if target in current:
            return
        previous = os.environ.get(_TARGETS, "")
        os.environ[_TARGETS] = ",".join(current + [target])
        try:
            guard.allowed_targets()  # parses every entry, as the sender will
        except ValueError:
            os.environ[_TARGETS] = previous
            raise


class Control:
    """What the routes report on and change: the stack's workers, its own addresses."""

    def __init__(self, workers: list[Any], moto_endpoint: str, fixed_targets: list[str]):
        self._workers = workers
        self._moto = moto_endpoint
        self._fixed = set(fixed_targets)  # the gateway's own address: never removed
        self._started = time.time()

    def routes(self) -> dict[str, Route]:
        return {"/_local/status": self.status, "/_local/webhook-targets": self.webhook_targets}

    def status(self, method: str, _body: bytes) -> tuple[int, Any]:
        if method not in ("GET", "HEAD"):
            return _error(405, "method_not_allowed", "GET /_local/status")
        streams: list[Any] = []
        queues: list[Any] = []
        scheduler = None
        for worker in self._workers:
            try:
                report = worker.status()
            except Exception as error:  # noqa: BLE001 - e.g. moto gone: say so on the page itself
                report = [{"pump": worker.name, "lastError": {"error": repr(error)}}]
            kind = type(worker).__name__
            if kind == "StreamPump":
                streams += report
            elif kind == "QueuePump":
                queues += report
            else:
                scheduler = report
        return 200, {"upSeconds": round(time.time() - self._started), "moto": self._moto,
                     "streams": streams, "queues": queues, "scheduler": scheduler,
                     "webhookTargets": allowed_targets()}

    def webhook_targets(self, method: str, body: bytes) -> tuple[int, Any]:
        if method == "GET":
            return 200, {"targets": allowed_targets()}
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
                allow_target(target)
            except ValueError as error:
                return _error(422, "invalid", str(error))
            say(f"local stack: webhooks may now call {target}")
            return 200, {"targets": allowed_targets()}
        if target in self._fixed:
            return _error(422, "invalid", f"{target} is the stack's own gateway: it stays allowed")
        with _lock:
            os.environ[_TARGETS] = ",".join(t for t in allowed_targets() if t != target)
        return 200, {"targets": allowed_targets()}
