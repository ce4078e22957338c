"""What one rule run on one loan writes, in one DynamoDB transaction: the loan at its version, the
transactions its actions made, its audit entries, and (for a stream record) a marker that the record
was handled, so a redelivered record changes nothing twice."""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..contract import Loan, LoanCustomer, RuleApplication, Transaction
from .errors import CONDITION_FAILED, RETRYABLE, StaleWrite, cancellation_codes
from .loans import link_item, loan_item
from .paging import decode_cursor, encode_cursor
from .tables import AuditItem, scoped
from .transactions import transaction_item

MAX_ITEMS = 100  # DynamoDB's limit per transaction


class AlreadyHandled(Exception):
    """The trigger's marker exists: this stream record or message was handled before."""


def _entry_body(entry: RuleApplication) -> dict:
    """The entry as stored: what the API shows, plus its notifications (for the events function)."""
    body = entry.model_dump(mode="json")
    if entry.notifications:
        body["notifications"] = entry.notifications
    return body


def _marker_key(trigger_id: str) -> str:
    return f"handled#{trigger_id}"


def load(tenant_id: str, loan_id: str, trigger_id: str | None) -> tuple[Loan | None, dict | None]:
    """The loan, and the trigger's marker if it was handled before (what it found: {"matched",
    "failed"}): one round trip (BatchGetItem, consistent)."""
    from .loans import loan_from_item as loan_entity
    from .tables import LoanItem

    if trigger_id is None:
        try:
            return loan_entity(LoanItem.get(tenant_id, loan_id, consistent_read=True)), None
        except DoesNotExist:
            return None, None
    client = LoanItem._get_connection().connection.client
    marker = {"loanKey": {"S": scoped(tenant_id, loan_id)}, "entryId": {"S": _marker_key(trigger_id)}}
    request = {
        LoanItem.Meta.table_name: {
            "Keys": [{"tenantId": {"S": tenant_id}, "loanId": {"S": loan_id}}],
            "ConsistentRead": True,
        },
        AuditItem.Meta.table_name: {"Keys": [marker], "ConsistentRead": True, "ProjectionExpression": "loanKey, body"},
    }
    found: dict[str, list] = {}
    for _ in range(10):
        answer = client.batch_get_item(RequestItems=request)
        for table, items in answer.get("Responses", {}).items():
            found.setdefault(table, []).extend(items)
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            break
    loans = found.get(LoanItem.Meta.table_name, [])
    loan = loan_entity(LoanItem.from_raw_data(loans[0])) if loans else None
    markers = found.get(AuditItem.Meta.table_name)
    if not markers:
        return loan, None
    return loan, AuditItem.from_raw_data(markers[0]).body or {"matched": True}


def _marker(tenant_id: str, loan_id: str, trigger_id: str, entries: list[RuleApplication]) -> AuditItem:
    """What a later delivery of the same trigger learns: whether a rule matched, whether one erred."""
    return AuditItem(
        scoped(tenant_id, loan_id),
        _marker_key(trigger_id),
        body={"matched": any(e.matched for e in entries), "failed": any(e.error for e in entries)},
    )


def commit(
    tenant_id: str,
    loan: Loan | None,
    transactions: list[Transaction],
    entries: list[RuleApplication],
    trigger_id: str | None = None,
    links: Sequence[LoanCustomer] = (),
) -> Loan | None:
    """Writes it all or nothing. loan None: the loan itself did not change (audit entries only).
    links: the loan's customer links whose role a rule changed (written with the loan).
    StaleWrite when the loan changed since it was read; AlreadyHandled when the marker exists."""
    items = (1 if loan is not None else 0) + len(transactions) + len(entries) + (1 if trigger_id else 0) + len(links)
    if items > MAX_ITEMS:
        raise ValueError(f"one run writes at most {MAX_ITEMS} items, not {items}")
    if items == 0:
        return loan
    if loan is None and not transactions:
        _write_entries(tenant_id, entries, trigger_id)
        return None
    item = loan_item(tenant_id, loan, loan.version) if loan is not None else None
    try:
        with TransactWrite(connection=AuditItem._get_connection().connection) as write:
            if trigger_id:
                write.save(
                    _marker(tenant_id, _loan_of(loan, transactions, entries), trigger_id, entries),
                    condition=AuditItem.entry_id.does_not_exist(),
                )
            for tx in transactions:
                write.save(transaction_item(tenant_id, tx))
            for entry in entries:
                write.save(
                    AuditItem(scoped(tenant_id, entry.loan_id), f"e#{entry.id}", body=_entry_body(entry)),
                    condition=AuditItem.entry_id.does_not_exist(),
                )
            if item is not None and loan is not None:
                write.save(item)
                for link in links:
                    write.save(link_item(tenant_id, loan.id, link))
    except TransactWriteError as error:
        reasons = cancellation_codes(error)
        if trigger_id and reasons and reasons[0] == CONDITION_FAILED:
            raise AlreadyHandled() from None
        if any(code in RETRYABLE for code in reasons):
            raise StaleWrite() from None
        raise
    return None if loan is None or item is None else loan.model_copy(update={"version": item.version})


def _loan_of(loan: Loan | None, transactions: list[Transaction], entries: list[RuleApplication]) -> str:
    """The id of the loan a run wrote about (every item of one run is about one loan)."""
    if entries:
        return entries[0].loan_id
    return loan.id if loan is not None else transactions[0].loan_id


def _write_entries(tenant_id: str, entries: list[RuleApplication], trigger_id: str | None) -> None:
    """Audit entries only (a rule matched and changed nothing, or erred): one BatchWriteItem. The marker
    needs no condition here: a shard's records are handled one at a time, and the caller checked the
    marker when it read the loan."""
    with AuditItem.batch_write() as batch:
        for entry in entries:
            batch.save(AuditItem(scoped(tenant_id, entry.loan_id), f"e#{entry.id}", body=_entry_body(entry)))
        if trigger_id:
            batch.save(_marker(tenant_id, entries[0].loan_id, trigger_id, entries))


def entries_page(
    tenant_id: str, loan_id: str, limit: int, cursor: str | None
) -> tuple[list[RuleApplication], str | None]:
    """A page of the loan's audit log, newest first."""
    after = decode_cursor(cursor)
    key = scoped(tenant_id, loan_id)
    start = {"loanKey": {"S": key}, "entryId": {"S": after}} if after else None
    results = AuditItem.query(
        key,
        AuditItem.entry_id.startswith("e#"),
        limit=limit,
        last_evaluated_key=start,
        scan_index_forward=False,
        consistent_read=True,
    )
    entries = [RuleApplication.model_validate(item.body) for item in results]
    last = results.last_evaluated_key
    return entries, encode_cursor(last["entryId"]["S"]) if last else None


def entry_from_image(image: dict) -> tuple[str, RuleApplication] | None:
    """(tenant id, audit entry) from a stream record's image; None for a handled-trigger marker."""
    item = AuditItem.from_raw_data(image)
    if not item.entry_id.startswith("e#"):
        return None
    return item.loan_key.split("#", 1)[0], RuleApplication.model_validate(item.body)
