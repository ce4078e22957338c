"""The schedule: what the template's EventBridge rule does (rate(15 minutes)) for moto, which never
fires schedules. Calls the maintenance dispatch handler with a Scheduled Event, every
MAINTENANCE_DISPATCH_SECONDS (default 60: a finer clock than the deployed 15 minutes, so a local
tenant's run starts within a minute of its maintenance hour)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local.apigw import ACCOUNT, REGION, context_for
from local.polling import Poller, now_iso


def scheduled_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": "local-schedule",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/local"],
        "detail": {},
    }


class Scheduler(Poller):
    name = "scheduler"

    def __init__(self, handler: Callable[[dict, Any], Any] | None = None, interval: float | None = None):
        self._handler = handler
        seconds = interval if interval is not None else int(os.environ.get("MAINTENANCE_DISPATCH_SECONDS", "60"))
        self.idle_wait = self.idle_wait_max = seconds
        self.fired = 0
        self.handler_ms = 0
        self.last_fired: str | None = None

    def fire(self) -> Any:
        if self._handler is None:
            from functions.maintenance_dispatch.app import lambda_handler

            self._handler = lambda_handler
        started = time.perf_counter()
        answer = self._handler(scheduled_event(), context_for("MaintenanceDispatchFunction"))
        self.handler_ms += round((time.perf_counter() - started) * 1000)
        self.fired += 1
        self.last_fired = now_iso()
        return answer

    def poll_once(self) -> int:
        self.fire()
        return 0  # then wait the interval

    def status(self) -> dict[str, Any]:
        return {
            "function": "MaintenanceDispatchFunction",
            "everySeconds": self.idle_wait,
            "fired": self.fired,
            "handlerMs": self.handler_ms,
            "lastFired": self.last_fired,
            "lastError": self.last_error,
        }
