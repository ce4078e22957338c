"""Server-generated ids: a short kind prefix and a ULID (time-ordered, so lists come out oldest first)."""
from __future__ import annotations

import os
import re
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(prefix: str) -> str:
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
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
