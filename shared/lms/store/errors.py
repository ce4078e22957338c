"""Store-level outcomes the domain decides about."""

from __future__ import annotations

from typing import Any

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
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise StaleWrite() from None
        raise
    return item.version
