"""Store-level outcomes the domain decides about, and the one loop of a versioned update."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import Conflict

T = TypeVar("T")

# Cancellation reasons of a DynamoDB transaction that a re-read and retry resolves.
RETRYABLE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


class StaleWrite(Exception):
    """The item changed since it was read (optimistic locking)."""


class AlreadyExists(Exception):
    """A conditional create met an existing item (an id or a unique title)."""


class MissingReference(Exception):
    """A referenced item (e.g. a customer on a loan) does not exist."""

    def __init__(self, ids: list[str]):
        super().__init__(", ".join(ids))
        self.ids = ids


def save_versioned(item: Any) -> int:
    """Saves a pynamodb item at its version (the VersionAttribute's condition); its new version.
    StaleWrite when the item changed since it was read."""
    from pynamodb.exceptions import PutError

    try:
        item.save()
    except PutError as error:
        if condition_failed(error):
            raise StaleWrite() from None
        raise
    return item.version


ATTEMPTS = 5  # reads of an item that keeps changing under a write before the caller is told


def check_version(noun: str, current: int | None, expected: int | None) -> None:
    """The version a client sent (body or If-Match) must be the current one: otherwise 409."""
    if expected is not None and current != expected:
        raise Conflict(
            f"the {noun} is at version {current}, not {expected}: read it again",
            [{"field": "version", "message": f"current version is {current}"}],
        )


def update_versioned(noun: str, expected: int | None, attempt: Callable[[], T]) -> T:
    """The read / version check / save loop of every partial update and delete: `attempt` reads the
    item, checks it (check_version) and saves it at the version read, raising StaleWrite when it
    changed meanwhile. With a version from the client a concurrent change answers 409; without one
    the change is applied again to a fresh read, up to ATTEMPTS times."""
    for _ in range(ATTEMPTS):
        try:
            return attempt()
        except StaleWrite:
            if expected is not None:
                raise Conflict(f"the {noun} changed while saving: read it again") from None
    raise Conflict(f"the {noun} keeps changing: try again")


CONDITION_FAILED = "ConditionalCheckFailed"  # a transaction item's cancellation reason


def condition_failed(error: Exception) -> bool:
    """Whether a single-item write (PutError, UpdateError, DeleteError) failed because its condition
    did not hold, rather than for any other reason."""
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def cancellation_codes(error: Exception) -> list[str | None]:
    """A cancelled transaction's reason per item, in the order of its items (None: that item was fine)."""
    return [r.code if r is not None else None for r in (getattr(error, "cancellation_reasons", None) or [])]
