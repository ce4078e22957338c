"""DynamoDB stream records of the store's tables, read the same way by real-time rules
(lms.automation.realtime) and webhook events (lms.webhooks.events)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..clock import utc_now
from .attributes import from_dynamo

# Loan attributes whose change alone is no event and no interaction: values move with days and
# payments, and the rest is bookkeeping of the store, maintenance and cascades.
LOAN_BOOKKEEPING = frozenset(
    {
        "values",
        "asOf",
        "updatedAt",
        "version",
        "cascade",
        "lateFeeHistory",
        "ledger",
        "pendingFrom",
        "maintainedThrough",
    }
)
# Flags a transaction or daily maintenance sets: webhook events report them (loan.updated), real-time
# rules leave them to the transaction's own record or to the daily rules.
LOAN_SERVICING_FLAGS = frozenset({"interestStopped", "chargedOff"})
CUSTOMER_BOOKKEEPING = frozenset({"updatedAt", "version"})


def table_of(record: dict[str, Any]) -> str:
    """The name of the table a record comes from (from its event source ARN)."""
    arn = record.get("eventSourceARN", "")
    return arn.split(":table/", 1)[1].split("/", 1)[0] if ":table/" in arn else ""


def image(record: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The record's NewImage or OldImage as plain values (None when the record has none)."""
    found = record.get("dynamodb", {}).get(name)
    return None if found is None else {k: from_dynamo(v) for k, v in found.items()}


def written_at(record: dict[str, Any]) -> datetime:
    """When the change was made (the record's approximate creation time; now when it has none)."""
    created = record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    if isinstance(created, (int, float)):
        return datetime.fromtimestamp(created, tz=UTC)
    return utc_now()


def changed(old: dict[str, Any], new: dict[str, Any], ignored: frozenset[str]) -> set[str]:
    """The attributes whose value differs between two images (either form), apart from `ignored`."""
    return {k for k in old.keys() | new.keys() if k not in ignored and old.get(k) != new.get(k)}
