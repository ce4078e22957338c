"""A background thread that calls `poll_once()` until stopped: the local pumps and the scheduler.

A pump never dies silently: an error that escapes poll_once() is printed with the pump's name and
traceback, kept as its last error (GET /_local/status shows it), and polling goes on after a pause.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import Any


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def say(text: str) -> None:
    """One line on the stack's standard error (where its access log goes)."""
    print(text, file=sys.stderr, flush=True)


class Poller:
    """Subclasses set `name` and define poll_once() (the work done: a count, 0 when idle). Ticks are at
    least `min_period` apart. After an idle tick the thread waits `idle_wait`, longer each idle tick in
    a row up to `idle_wait_max`; wake() ends that wait (the gateway calls it after a write, so a change
    is picked up without waiting out an idle pause)."""

    name = "poller"
    min_period: float = 0.0
    idle_wait: float = 0.2
    idle_wait_max: float = 0.2
    error_wait: float = 1.0

    last_error: dict[str, Any] | None = None
    errors = 0

    def poll_once(self) -> int:
        raise NotImplementedError

    def start(self) -> None:
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=self.name.replace(" ", "-"), daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        wait = self.idle_wait
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                busy = self.poll_once()
            except Exception as error:  # noqa: BLE001 - the pump goes on; what failed is said and kept
                self.failed_with(error)
                self._stop.wait(self.error_wait)
                continue
            rest = self.min_period - (time.monotonic() - started)
            if rest > 0:
                self._stop.wait(rest)
            if busy:
                wait = self.idle_wait
                continue
            self._wake.wait(wait)
            self._wake.clear()
            wait = min(wait * 2, self.idle_wait_max)

    def failed_with(self, error: BaseException, where: str = "") -> None:
        """Says and keeps an unexpected error (where: which stream or queue)."""
        self.errors += 1
        self.last_error = {"at": now_iso(), "where": where or self.name, "error": f"{type(error).__name__}: {error}"}
        say(
            f"{self.name}: {where + ': ' if where else ''}unexpected error, going on: {error!r}\n"
            + "".join(traceback.format_exception(error)).rstrip()
        )

    def wake(self) -> None:
        wake = getattr(self, "_wake", None)
        if wake is not None:
            wake.set()

    def signal_stop(self) -> None:
        """Asks the thread to stop after its current tick (stop() also waits for it)."""
        if getattr(self, "_stop", None) is not None:
            self._stop.set()
            self._wake.set()

    def stop(self, timeout: float = 5) -> None:
        self.signal_stop()
        if getattr(self, "_thread", None) is not None:
            self._thread.join(timeout)
