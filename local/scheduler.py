"""The schedule: what the template's EventBridge rule does (rate(15 minutes)) for moto, which never
fires schedules. Calls the maintenance dispatch handler with a Scheduled Event, every
MAINTENANCE_DISPATCH_SECONDS (default 60: a finer clock than the deployed 15 minutes, so a local
tenant's run starts within a minute of its maintenance hour)."""
from __future__ import annotations

import os
import threading
from datetime import datetime, timezone
from typing import Any, Callable


def scheduled_event() -> dict[str, Any]:
    return {"version": "0", "id": "local-schedule", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:123456789012:rule/local"], "detail": {}}


class _Context:
    function_name = "MaintenanceDispatchFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:MaintenanceDispatchFunction"
    aws_request_id = "local-scheduler"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


class Scheduler:
    name = "scheduler"

    def __init__(self, handler: Callable[[dict, Any], Any] | None = None, interval: float | None = None):
        self._handler = handler
        self._interval = interval if interval is not None else int(os.environ.get("MAINTENANCE_DISPATCH_SECONDS", "60"))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def fire(self) -> Any:
        if self._handler is None:
            from functions.maintenance_dispatch.app import lambda_handler

            self._handler = lambda_handler
        return self._handler(scheduled_event(), _Context())

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.fire()
                except Exception as error:  # keep the schedule going
                    print(f"scheduler: {error!r}", flush=True)
                self._stop.wait(self._interval)

        self._thread = threading.Thread(target=loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
