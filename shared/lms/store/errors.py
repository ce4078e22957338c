"""Store-level outcomes the domain decides about."""


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
