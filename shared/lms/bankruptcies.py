"""A loan's bankruptcy records (docs/http.md#bankruptcies): recorded, changed and listed through the API; at
most one active per loan. The loan keeps its latest record (what the `bankruptcy` action changes and the
bankruptcy-* variables read) and the earlier ones; each change is a change of the loan (its version, its
stream record: real-time rules run, `loan.bankruptcy-changed` is sent)."""

from __future__ import annotations

from typing import Any

from .clock import utc_now
from .contract import Bankruptcy, BankruptcyCreate, BankruptcyUpdate, Loan, Page
from .errors import Conflict, Invalid, NotFound
from .ids import new_id, well_formed
from .loans import get as get_loan
from .store import loans as store
from .store.errors import check_version, update_versioned

MAX_RECORDS = 20  # per loan, the latest included


def records(loan: Loan) -> list[dict[str, Any]]:
    """Every record of the loan, oldest first (the latest last)."""
    return [*loan.bankruptcy_history, *([loan.bankruptcy] if loan.bankruptcy else [])]


def listing(tenant_id: str, loan_id: str) -> Page[Bankruptcy]:
    """Newest first."""
    loan = get_loan(tenant_id, loan_id)
    return Page[Bankruptcy](items=[Bankruptcy.model_validate(r) for r in reversed(records(loan))])


def _active(record: dict[str, Any] | None) -> bool:
    return bool(record) and bool(record.get("active", True))  # type: ignore[union-attr]  # bool(record) first


def create(tenant_id: str, loan_id: str, request: BankruptcyCreate, if_match: int | None) -> Bankruptcy:
    fields = request.model_dump(mode="json", by_alias=True, exclude_none=True)

    def attempt() -> Loan:
        current = get_loan(tenant_id, loan_id)
        check_version("loan", current.version, if_match)
        if request.active and _active(current.bankruptcy):
            raise Conflict(
                f"the loan has an active bankruptcy ({current.bankruptcy['id']}): "  # type: ignore[index]  # active
                "change it, or close it (active false) before recording another"
            )
        if len(records(current)) >= MAX_RECORDS:
            raise Invalid(f"a loan keeps at most {MAX_RECORDS} bankruptcy records")
        now = utc_now().isoformat()
        record = {"id": new_id("bkr"), "customFields": {}, **fields, "createdAt": now, "updatedAt": now}
        history = [*current.bankruptcy_history, *([current.bankruptcy] if current.bankruptcy else [])]
        return store.save(
            tenant_id,
            current.model_copy(update={"bankruptcy": record, "bankruptcy_history": history, "updated_at": utc_now()}),
            current,
        )

    loan = update_versioned("loan", if_match, attempt)
    return Bankruptcy.model_validate(loan.bankruptcy)


def update(
    tenant_id: str, loan_id: str, bankruptcy_id: str, request: BankruptcyUpdate, if_match: int | None
) -> Bankruptcy:
    """Changes the fields sent (null clears one; customFields replaces the record's). Only the latest record
    can be made active, and only when no other is."""
    expected = request.version if request.version is not None else if_match
    changes = request.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude={"version"})
    for required in ("chapter", "filingDate", "active"):
        if required in changes and changes[required] is None:
            raise Invalid(f"{required} cannot be null", [{"field": required, "message": "cannot be null"}])
    if "customFields" in changes and changes["customFields"] is None:
        changes["customFields"] = {}

    def attempt() -> Loan:
        current = get_loan(tenant_id, loan_id)
        check_version("loan", current.version, expected)
        found = (
            [r for r in records(current) if r.get("id") == bankruptcy_id] if well_formed("bkr", bankruptcy_id) else []
        )
        if not found:
            raise NotFound("bankruptcy not found")
        record = found[0]
        latest = current.bankruptcy is not None and record is current.bankruptcy
        if changes.get("active") and not latest and not _active(record):
            raise Conflict("only the latest bankruptcy record can be made active again: record a new one")
        if {**record, **changes} == record:
            return current  # nothing changes
        updated = {**record, **changes, "updatedAt": utc_now().isoformat()}
        if latest:
            where: dict[str, Any] = {"bankruptcy": updated}
        else:
            where = {"bankruptcy_history": [updated if r is record else r for r in current.bankruptcy_history]}
        return store.save(tenant_id, current.model_copy(update={**where, "updated_at": utc_now()}), current)

    loan = update_versioned("loan", expected, attempt)
    return Bankruptcy.model_validate(next(r for r in records(loan) if r.get("id") == bankruptcy_id))
