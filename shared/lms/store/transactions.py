"""Loan transactions, each written in one DynamoDB transaction with the loan's new values."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..contract import Loan, Transaction
from .errors import RETRYABLE, StaleWrite
from .loans import loan_item
from .paging import decode_cursor, encode_cursor
from .tables import LoanItem, TransactionItem, scoped

_BODY = (
    "method",
    "title",
    "category",
    "charge_off",
    "apply_to",
    "keeps_days_past_due",
    "reverses",
    "allocation",
    "source",
)


def from_item(item: TransactionItem) -> Transaction:
    body = item.body or {}
    return Transaction.model_validate(
        {
            "id": item.transaction_id,
            "loan_id": item.loan_id,
            "type": item.kind,
            "amount": body["amount"],
            "date": item.day,
            "reversed": item.reversed_by is not None,
            "reversed_by": item.reversed_by,
            "created_at": item.created_at,
            **{name: body[name] for name in _BODY if body.get(name) is not None},
        }
    )


def transaction_item(tenant_id: str, tx: Transaction) -> TransactionItem:
    body = {
        "amount": tx.amount,
        **{name: getattr(tx, name) for name in _BODY if getattr(tx, name) not in (None, False)},
    }
    if tx.allocation is not None:
        body["allocation"] = tx.allocation.model_dump(mode="python")
    return TransactionItem(
        scoped(tenant_id, tx.loan_id),
        tx.id,
        tenant_id=tenant_id,
        loan_id=tx.loan_id,
        kind=tx.type,
        day=tx.date.isoformat(),
        body=body,
        reversed_by=tx.reversed_by,
        created_at=tx.created_at,
    )


def get(tenant_id: str, loan_id: str, transaction_id: str) -> Transaction | None:
    try:
        return from_item(TransactionItem.get(scoped(tenant_id, loan_id), transaction_id, consistent_read=True))
    except DoesNotExist:
        return None


def every(tenant_id: str, loan_id: str) -> list[Transaction]:
    """All of a loan's transactions in posting order."""
    return [from_item(item) for item in TransactionItem.query(scoped(tenant_id, loan_id), consistent_read=True)]


def page(tenant_id: str, loan_id: str, limit: int, cursor: str | None) -> tuple[list[Transaction], str | None]:
    after = decode_cursor(cursor)
    key = scoped(tenant_id, loan_id)
    start = {"loanKey": {"S": key}, "transactionId": {"S": after}} if after else None
    results = TransactionItem.query(key, limit=limit, last_evaluated_key=start, consistent_read=True)
    items = [from_item(item) for item in results]
    last = results.last_evaluated_key
    return items, encode_cursor(last["transactionId"]["S"]) if last else None


def post(tenant_id: str, tx: Transaction, loan: Loan, reverses: str | None = None) -> Loan:
    """Writes the transaction, marks the payment it reverses (if any, only if not reversed yet), and
    replaces the loan at loan.version with its new values: all or nothing. StaleWrite when the loan
    or the reversed payment changed since they were read."""
    item = loan_item(tenant_id, loan, loan.version)
    record = transaction_item(tenant_id, tx)
    record.body = {**record.body, "loanVersion": loan.version + 1}  # the loan's version this write makes
    try:
        with TransactWrite(connection=LoanItem._get_connection().connection) as write:
            write.save(record, condition=TransactionItem.transaction_id.does_not_exist())
            if reverses is not None:
                original = TransactionItem(scoped(tenant_id, loan.id), reverses)
                write.update(
                    original,
                    actions=[TransactionItem.reversed_by.set(tx.id)],
                    condition=TransactionItem.transaction_id.exists() & TransactionItem.reversed_by.does_not_exist(),
                )
            write.save(item)
    except TransactWriteError as error:
        # A failed condition, or another transaction on the same items in flight: the caller re-reads
        # (a payment reversed meanwhile then shows as reversed) and tries again.
        if any(r is not None and r.code in RETRYABLE for r in (error.cancellation_reasons or [])):
            raise StaleWrite() from None
        raise
    return loan.model_copy(update={"version": item.version})


def from_image(image: dict) -> Transaction:
    """A transaction from a stream record's image (DynamoDB JSON)."""
    return from_item(TransactionItem.from_raw_data(image))
