"""A background thread that calls `poll_once()` until stopped: the local pumps and the scheduler."""
from __future__ import annotations

import threading


class Poller:
    """Subclasses set `name` and `_interval` and define poll_once() (the work done: a count, 0 when idle).
    The thread waits `_interval` seconds after an idle tick; an error is printed and polling goes on."""

    name = "poller"
    _interval: float = 0.2

    def poll_once(self) -> int:
        raise NotImplementedError

    def start(self) -> None:
        self._stop = threading.Event()

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    busy = self.poll_once()
                except Exception as error:  # keep polling; a handler's own failures are handled by poll_once()
                    print(f"{self.name}: {error!r}", flush=True)
                    busy = 0
                if not busy:
                    self._stop.wait(self._interval)

        self._thread = threading.Thread(target=loop, name=self.name.replace(" ", "-"), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if getattr(self, "_thread", None) is not None:
            self._stop.set()
            self._thread.join(timeout=5)
