"""Python's cyclic garbage collector, kept from pausing the local stack's long-running processes.

A full (generation 2) collection walks every object the process holds. In the moto server that is every
item of every table: at 500 loans a full collection stopped the server for 100-200 ms, every request in
flight waiting on it, and the pause grows with the tables (the load bench's p99). The API's environments
(hy, pydantic, Powertools, boto3: 50-80 ms) and the background paid the same on their imports.

settle() freezes what the process holds now (gc.freeze: moved to a permanent generation that collections
never walk) and again after each full collection: a full collection then walks only what was made since
the last one, not the whole heap. What is frozen was alive when frozen (a full collection just freed every
unreachable cycle); when it later dies, reference counting frees it as before. Only a cycle formed among
frozen objects after they were frozen would wait (and a cycle that was in flight at a full collection: a
request's objects, freed by reference counting only once the request is done, if they do not form a cycle):
every RECLAIM_SECONDS the process unfreezes and collects once, so nothing is kept for good.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

RECLAIM_SECONDS = 30 * 60


def _after_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def reclaim() -> None:
    """Unfreeze and collect everything once (a cycle among frozen objects is freed); the callback freezes
    what survived."""
    gc.unfreeze()
    gc.collect()


def _reclaim_every(seconds: float) -> None:
    while True:
        time.sleep(seconds)
        reclaim()


def settle(reclaim_seconds: float = RECLAIM_SECONDS) -> None:
    """Freeze what is alive now and after every full collection; a full collection of everything every
    `reclaim_seconds`. Once per process."""
    if _after_collection in gc.callbacks:
        return
    gc.collect()  # what is frozen is alive: the imports' garbage is freed first
    gc.freeze()
    gc.callbacks.append(_after_collection)
    threading.Thread(target=_reclaim_every, args=(reclaim_seconds,), name="gc-reclaim", daemon=True).start()
