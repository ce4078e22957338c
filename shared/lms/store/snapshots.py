"""Daily snapshots of a loan's values: key "<tenant>#<loan>", then the business date. Written with
BatchWriteItem before the loan's own conditional write: a snapshot is the same item however often
the day is computed, so a redelivered message writes it again unchanged."""

from __future__ import annotations

from typing import Any

from pynamodb.expressions.condition import Condition

from .paging import decode_cursor, encode_cursor
from .tables import SnapshotItem, scoped


def put_many(tenant_id: str, loan_id: str, snapshots: list[tuple[str, dict[str, Any]]]) -> None:
    if not snapshots:
        return
    key = scoped(tenant_id, loan_id)
    with SnapshotItem.batch_write() as batch:
        for day, body in snapshots:
            batch.save(SnapshotItem(key, day, body=body))


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
    items = [{"date": item.day, **item.body} for item in results]
    last = results.last_evaluated_key
    return items, encode_cursor(last["day"]["S"]) if last else None


def between(tenant_id: str, loan_id: str, since: str, until: str) -> list[dict[str, Any]]:
    """Every snapshot of one loan from `since` to `until` (ISO dates, both included), oldest first, all pages:
    what a backtest replays (eventually consistent: snapshots are written once and never changed)."""
    results = SnapshotItem.query(scoped(tenant_id, loan_id), SnapshotItem.day.between(since, until))
    return [{"date": item.day, **item.body} for item in results]


def put_many_loans(tenant_id: str, snapshots: dict[str, list[tuple[str, dict[str, Any]]]]) -> None:
    """The snapshots of several loans in as few BatchWriteItem calls as possible (25 items each)."""
    with SnapshotItem.batch_write() as batch:
        for loan_id, days in snapshots.items():
            key = scoped(tenant_id, loan_id)
            for day, body in days:
                batch.save(SnapshotItem(key, day, body=body))
