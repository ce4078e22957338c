"""local.collector: a full collection walks only what was made since the last one; nothing is kept for good.
Run in a child interpreter: settle() changes its process's collector for good."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import gc, weakref
    from local import collector

    class Node:
        pass

    collector.settle(reclaim_seconds=3600)
    print("frozen at start", gc.get_freeze_count() > 0)
    a, b = Node(), Node()
    a.other, b.other = b, a
    ref = weakref.ref(a)
    before = gc.get_freeze_count()
    gc.collect()  # a full collection: a and b are alive, and frozen after it
    print("frozen after a full collection", gc.get_freeze_count() > before)
    del a, b
    gc.collect()
    print("a frozen cycle waits", ref() is not None)
    collector.reclaim()
    print("reclaim frees it", ref() is None)
    print("what survived is frozen again", gc.get_freeze_count() > 0)
    collector.settle()  # once per process: no second callback
    print("one callback", gc.callbacks.count(collector._after_collection) == 1)
    """
)


def test_settle_freezes_after_each_full_collection_and_reclaim_frees_a_frozen_cycle():
    answer = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.splitlines() == [
        "frozen at start True",
        "frozen after a full collection True",
        "a frozen cycle waits True",
        "reclaim frees it True",
        "what survived is frozen again True",
        "one callback True",
    ]
