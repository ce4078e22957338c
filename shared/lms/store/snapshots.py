"""Daily snapshots of a loan's values: key "<tenant>#<loan>", then the business date. Written with
BatchWriteItem before the loan's own conditional write: a snapshot is the same item however often
the day is computed, so a redelivered message writes it again unchanged.

A snapshot is kept packed: its document (as DocumentAttribute writes it, so numbers stay exact) as compact
JSON, compressed, in one binary attribute. Maintenance writes one a loan-day and a backtest reads
thousands; botocore and moto handle an item attribute by attribute (serialised, parsed, typed, sized,
copied), so one attribute instead of a map of nested ones makes each write and read several times
cheaper (the 1,000-loan backtest test: 260 s before, 80 s after). The bytes billed are about the same
(under 1 KB either way). A snapshot written as a map (before) still reads."""

from __future__ import annotations

import json
import zlib
from typing import Any

from pynamodb.expressions.condition import Condition

from .attributes import DocumentAttribute
from .paging import decode_cursor, encode_cursor
from .tables import SnapshotItem, scoped

_DOCUMENT = DocumentAttribute()


def pack(body: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(_DOCUMENT.serialize(body), separators=(",", ":")).encode("utf-8"))


def unpack(packed: bytes) -> dict[str, Any]:
    return _DOCUMENT.deserialize(json.loads(zlib.decompress(packed)))


def _read(item: SnapshotItem) -> dict[str, Any]:
    return {"date": item.day, **(unpack(item.packed) if item.packed is not None else item.body or {})}


def put_many(tenant_id: str, loan_id: str, snapshots: list[tuple[str, dict[str, Any]]]) -> None:
    if snapshots:
        put_many_loans(tenant_id, {loan_id: snapshots})


def page(
    tenant_id: str, loan_id: str, limit: int, cursor: str | None, since: str | None = None, until: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Snapshots oldest first, between two dates (inclusive) when given."""
    after = decode_cursor(cursor)
    key = scoped(tenant_id, loan_id)
    condition: Condition | None = None
    if since and until:
        condition = SnapshotItem.day.between(since, until)
    elif since:
        condition = SnapshotItem.day >= since
    elif until:
        condition = SnapshotItem.day <= until
    start = {"loanKey": {"S": key}, "day": {"S": after}} if after else None
    results = SnapshotItem.query(key, condition, limit=limit, last_evaluated_key=start, consistent_read=True)
    items = [_read(item) for item in results]
    last = results.last_evaluated_key
    return items, encode_cursor(last["day"]["S"]) if last else None


def between(tenant_id: str, loan_id: str, since: str, until: str) -> list[dict[str, Any]]:
    """Every snapshot of one loan from `since` to `until` (ISO dates, both included), oldest first, all pages:
    what a backtest replays (eventually consistent: snapshots are written once and never changed)."""
    return [
        _read(item) for item in SnapshotItem.query(scoped(tenant_id, loan_id), SnapshotItem.day.between(since, until))
    ]


def put_many_loans(tenant_id: str, snapshots: dict[str, list[tuple[str, dict[str, Any]]]]) -> None:
    """The snapshots of several loans in as few BatchWriteItem calls as possible (25 items each)."""
    with SnapshotItem.batch_write() as batch:
        for loan_id, days in snapshots.items():
            key = scoped(tenant_id, loan_id)
            for day, body in days:
                batch.save(SnapshotItem(key, day, packed=pack(body)))
