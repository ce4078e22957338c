"""Server-generated ids: a short kind prefix and a ULID (time-ordered, so lists come out oldest first)."""

from __future__ import annotations

import os
import re
import threading
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


_lock = threading.Lock()
_last = 0


def new_id(prefix: str) -> str:
    """Monotonic within a process: ids made in the same millisecond still sort in the order they were
    made (the audit entries of one run, the transactions of one rule), as a monotonic ULID does."""
    global _last
    with _lock:
        value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
        if value <= _last:
            value = _last + 1
        _last = value
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return f"{prefix}_{''.join(reversed(chars))}"


_SHAPE = re.compile(r"^[a-z]{3,4}_[0-9A-HJKMNP-TV-Z]{26}$")


def well_formed(prefix: str, value: str) -> bool:
    """Whether value could be an id of this kind: anything else is unknown without a lookup
    (and never reaches DynamoDB, whose key size limits would turn it into a server error)."""
    return value.startswith(prefix + "_") and bool(_SHAPE.match(value))


def stable_id(prefix: str, millis: int, *parts: str) -> str:
    """An id made from what it names (the same parts give the same id: a redelivered stream record
    makes the same event), sorting by `millis` like the ids above."""
    import hashlib

    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    value = (max(0, millis) % (1 << 48) << 80) | int.from_bytes(digest[:10], "big")
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return f"{prefix}_{''.join(reversed(chars))}"
