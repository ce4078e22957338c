"""Loans, written together with their customer links in one transaction."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..contract import Loan, LoanCustomer, LoanSettings, LoanSetup, LoanValues
from .errors import CONDITION_FAILED, AlreadyExists, MissingReference, StaleWrite, cancellation_codes, save_versioned
from .paging import decode_cursor, encode_cursor
from .tables import CustomerItem, LinkItem, LoanItem, scoped


def loan_from_item(item: LoanItem) -> Loan:
    return Loan(
        id=item.loan_id,
        display_id=item.display_id,
        setup=LoanSetup.model_validate(item.setup),
        loan_status=item.loan_status,
        loan_sub_status=item.loan_sub_status,
        credit_status=item.credit_status,
        portfolios=list(item.portfolios or []),
        sub_portfolios=list(item.sub_portfolios or []),
        customers=[LoanCustomer.model_validate(c) for c in (item.customers or {}).get("list", [])],
        active=item.active,
        activated_at=item.activated_at,
        archived=item.archived,
        interest_stopped=item.interest_stopped,
        charged_off=item.charged_off,
        bankruptcy=item.bankruptcy,
        bankruptcy_history=(item.bankruptcy_history or {}).get("list", []),
        settings=LoanSettings.model_validate(item.settings or {}),
        autopay=item.autopay,
        checklist=list(item.checklist or []),
        custom_fields=dict(item.custom_fields or {}),
        values=LoanValues.model_validate(item.values),
        late_fee_history=(item.late_fee_history or {}).get("list", []),
        rule_opt_outs=list(item.rule_opt_outs or []),
        cascade=item.cascade,
        ledger=item.ledger,
        pending_from=item.pending_from,
        as_of=item.as_of,
        maintained_through=item.maintained_through,
        version=item.version,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def loan_item(tenant_id: str, loan: Loan, version: int | None) -> LoanItem:
    item = LoanItem(
        tenant_id,
        loan.id,
        display_id=loan.display_id,
        setup=loan.setup.model_dump(mode="python", by_alias=True, exclude_none=True),
        loan_status=loan.loan_status,
        loan_sub_status=loan.loan_sub_status,
        credit_status=loan.credit_status,
        portfolios=list(loan.portfolios),
        sub_portfolios=list(loan.sub_portfolios),
        customers={"list": [c.model_dump(mode="python", by_alias=True) for c in loan.customers]},
        active=loan.active,
        activated_at=loan.activated_at,
        archived=loan.archived,
        interest_stopped=loan.interest_stopped,
        charged_off=loan.charged_off,
        bankruptcy=loan.bankruptcy,
        bankruptcy_history={"list": loan.bankruptcy_history} if loan.bankruptcy_history else None,
        settings=loan.settings.model_dump(mode="json", by_alias=True, exclude_defaults=True) or None,
        autopay=loan.autopay,
        checklist=list(loan.checklist),
        custom_fields=dict(loan.custom_fields),
        values=loan.values.model_dump(mode="python", by_alias=True),
        late_fee_history={"list": [p.model_dump(mode="json") for p in loan.late_fee_history]}
        if loan.late_fee_history
        else None,
        rule_opt_outs=list(loan.rule_opt_outs) or None,
        cascade=loan.cascade,
        ledger=loan.ledger,
        pending_from=loan.pending_from.isoformat() if loan.pending_from else None,
        as_of=loan.as_of.isoformat(),
        maintained_through=loan.maintained_through.isoformat() if loan.maintained_through else None,
        created_at=loan.created_at,
        updated_at=loan.updated_at,
    )
    if version is not None:
        item.version = version
    return item


def get(tenant_id: str, loan_id: str) -> Loan | None:
    try:
        return loan_from_item(LoanItem.get(tenant_id, loan_id, consistent_read=True))
    except DoesNotExist:
        return None


def get_many(tenant_id: str, loan_ids: list[str]) -> dict[str, Loan]:
    if not loan_ids:
        return {}
    return {item.loan_id: loan_from_item(item) for item in LoanItem.batch_get([(tenant_id, i) for i in set(loan_ids)])}


def page(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[Loan], str | None]:
    after = decode_cursor(cursor)
    start = {"tenantId": {"S": tenant_id}, "loanId": {"S": after}} if after else None
    results = LoanItem.query(tenant_id, limit=limit, last_evaluated_key=start)
    loans = [loan_from_item(item) for item in results]
    last = results.last_evaluated_key
    return loans, encode_cursor(last["loanId"]["S"]) if last else None


def link_item(tenant_id: str, loan_id: str, link: LoanCustomer) -> LinkItem:
    return LinkItem(
        scoped(tenant_id, link.customer_id),
        scoped(tenant_id, loan_id),
        tenant_id=tenant_id,
        customer_id=link.customer_id,
        loan_id=loan_id,
        role=link.role.value,
    )


def save(tenant_id: str, loan: Loan, previous: Loan | None) -> Loan:
    """Creates (previous is None) or replaces the loan at loan.version, and makes its links match
    its customers, in one transaction. Every customer must exist in the tenant."""
    item = loan_item(tenant_id, loan, None if previous is None else loan.version)
    before = {c.customer_id: c for c in (previous.customers if previous else [])}
    after = {c.customer_id: c for c in loan.customers}
    removed = before.keys() - after.keys()
    try:
        with TransactWrite(connection=LoanItem._get_connection().connection) as tx:
            # pynamodb sends condition checks, then deletes, then puts: reasons come back in that order.
            for customer_id in after:
                tx.condition_check(CustomerItem, tenant_id, customer_id, condition=CustomerItem.customer_id.exists())
            for customer_id in removed:
                tx.delete(
                    LinkItem(scoped(tenant_id, customer_id), scoped(tenant_id, loan.id)), add_version_condition=False
                )
            tx.save(item, condition=LoanItem.loan_id.does_not_exist() if previous is None else None)
            for customer_id, link in after.items():
                if before.get(customer_id) != link:
                    tx.save(link_item(tenant_id, loan.id, link))
    except TransactWriteError as error:
        reasons = [code == CONDITION_FAILED for code in cancellation_codes(error)]
        missing = [cid for cid, failed in zip(after, reasons, strict=False) if failed]
        if missing:
            raise MissingReference(missing) from None
        if len(reasons) > len(after) + len(removed) and reasons[len(after) + len(removed)]:
            raise (AlreadyExists() if previous is None else StaleWrite()) from None
        if any(r is not None and r.code == "TransactionConflict" for r in (error.cancellation_reasons or [])):
            raise StaleWrite() from None  # another transaction on the same items in flight: re-read, retry
        raise
    return loan.model_copy(update={"version": item.version})


def put(tenant_id: str, loan: Loan) -> Loan:
    """Replaces the loan at loan.version (one conditional PutItem; its customers are unchanged, so
    its links are too). StaleWrite when the loan changed since it was read."""
    return loan.model_copy(update={"version": save_versioned(loan_item(tenant_id, loan, loan.version))})


def get_many_consistent(tenant_id: str, loan_ids: list[str]) -> dict[str, Loan]:
    if not loan_ids:
        return {}
    return {
        item.loan_id: loan_from_item(item)
        for item in LoanItem.batch_get([(tenant_id, i) for i in dict.fromkeys(loan_ids)], consistent_read=True)
    }


def active_ids_page(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
    """A page of the tenant's loans as ids only, the active and unarchived ones (daily maintenance)."""
    after = decode_cursor(cursor)
    start = {"tenantId": {"S": tenant_id}, "loanId": {"S": after}} if after else None
    results = LoanItem.query(
        tenant_id, limit=limit, last_evaluated_key=start, attributes_to_get=["tenantId", "loanId", "active", "archived"]
    )  # keys: pynamodb
    # makes the next page's start from the last item when the limit stops it mid-page
    ids = [item.loan_id for item in results if item.active and not item.archived]
    last = results.last_evaluated_key
    return ids, encode_cursor(last["loanId"]["S"]) if last else None


def from_image(image: dict) -> Loan:
    """A loan from a stream record's image (DynamoDB JSON)."""
    return loan_from_item(LoanItem.from_raw_data(image))
