"""Opaque list cursors. A cursor carries only the last sort key: the tenant always comes from the
caller's key, so a cursor can never reach another tenant's items."""

from __future__ import annotations

import base64
import binascii
import json

from ..errors import BadRequest


def encode_cursor(last_key: str | None) -> str | None:
    if last_key is None:
        return None
    return base64.urlsafe_b64encode(json.dumps({"k": last_key}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    if len(cursor) > 1000:
        raise BadRequest("cursor is not one this API returned", [{"field": "cursor", "message": "invalid cursor"}])
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["k"]
        if not isinstance(value, str) or not value or len(value) > 200:
            raise ValueError
        return value
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        raise BadRequest(
            "cursor is not one this API returned", [{"field": "cursor", "message": "invalid cursor"}]
        ) from None
