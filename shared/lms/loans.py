"""Loans: create (not yet activated), read, partial update, activation, customer roles."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from pydantic.alias_generators import to_camel

from . import servicing
from .clock import utc_now
from .contract import LateFeePeriod, Loan, LoanCreate, LoanCustomer, LoanSetup, LoanUpdate, LoanValues, Page, Role
from .errors import Invalid, NotFound, field_error
from .ids import new_id, well_formed
from .labels import Labels
from .labels import load as load_labels
from .store import loans as store
from .store.errors import MissingReference, check_version, update_versioned
from .tenancy import business_date, get_tenant

_NOT_NULL = (
    "display_id",
    "loan_status",
    "portfolios",
    "sub_portfolios",
    "checklist",
    "custom_fields",
    "customers",
    "setup",
)


def initial_values(setup: LoanSetup) -> LoanValues:
    """Values of a loan before anything has happened to it (as of its contract date)."""
    terms = servicing.Terms.of(setup)
    return LoanValues.model_validate(servicing.values(servicing.open_ledger(terms), terms).to_dict())


def check_customers(customers: list[LoanCustomer]) -> list[LoanCustomer]:
    ids = [c.customer_id for c in customers]
    if len(set(ids)) != len(ids):
        raise field_error("customers", "a customer appears on the loan once, in one role")
    roles = [c.role for c in customers]
    for role in (Role.primary, Role.secondary):
        if roles.count(role) > 1:
            raise field_error("customers", f"a loan has at most one {role.value} customer")
    if customers and Role.primary not in roles:
        raise field_error("customers", "a loan with customers needs a primary customer")
    return customers


def changed_links(before: Loan, after: Loan) -> list[LoanCustomer]:
    """The customer links of `after` that `before` does not have (a role a rule changed): written with the loan."""
    if after.customers is before.customers:  # a copy of the loan that kept its customers: nothing to compare
        return []
    return [c for c in after.customers if c not in before.customers]


def _labelled(loan: dict[str, Any], labels: Labels) -> dict[str, Any]:
    """Canonical titles for every label on the loan; Invalid when one is unknown."""
    loan["loan_status"], loan["loan_sub_status"] = labels.loan_status(loan["loan_status"], loan.get("loan_sub_status"))
    loan["portfolios"] = labels.portfolio_titles(loan.get("portfolios") or [])
    loan["sub_portfolios"] = labels.sub_portfolio_titles(loan.get("sub_portfolios") or [], loan["portfolios"])
    loan["checklist"] = labels.checklist_titles(loan.get("checklist") or [])
    return loan


def _save(tenant_id: str, loan: Loan, previous: Loan | None) -> Loan:
    try:
        return store.save(tenant_id, loan, previous)
    except MissingReference as missing:
        raise Invalid(
            f"unknown customer id(s): {', '.join(missing.ids)}",
            [{"field": "customers", "message": f"no customer {cid}"} for cid in missing.ids],
        ) from None


def create(tenant_id: str, request: LoanCreate) -> Loan:
    tenant = get_tenant(tenant_id)
    fields = request.model_dump(mode="python", by_alias=False, exclude_none=True)
    fields.setdefault("loan_status", "Application")
    fields["customers"] = check_customers(request.customers or [])
    setup = request.setup.model_copy(update={"day_count": request.setup.day_count or tenant.day_count})
    loan_id = new_id("loan")
    now = utc_now()
    draft = _labelled({**fields, "customers": fields["customers"]}, load_labels(tenant_id))
    loan = Loan.model_validate(
        {
            **draft,
            "id": loan_id,
            "display_id": fields.get("display_id") or loan_id,
            "setup": setup,
            "values": initial_values(setup),
            "as_of": business_date(tenant),
            "version": 0,
            "created_at": now,
            "updated_at": now,
        }
    )
    return _save(tenant_id, loan, None)


def get(tenant_id: str, loan_id: str) -> Loan:
    loan = store.get(tenant_id, loan_id) if well_formed("loan", loan_id) else None
    if loan is None:
        raise NotFound("loan not found")
    return loan


def page(tenant_id: str, limit: int, cursor: str | None) -> Page[Loan]:
    items, next_cursor = store.page(tenant_id, limit, cursor)
    return Page[Loan](items=items, next_cursor=next_cursor)


def _apply(current: Loan, changes: dict[str, Any], labels: Labels) -> Loan:
    loan = current.model_dump(mode="python", by_alias=False)
    if "loan_status" in changes and "loan_sub_status" not in changes:
        loan["loan_sub_status"] = None  # a new status starts without a sub-status unless one is sent
    if "portfolios" in changes and "sub_portfolios" not in changes:
        kept = {p.casefold() for p in changes["portfolios"]}
        loan["sub_portfolios"] = [
            s
            for s in loan["sub_portfolios"]
            if any(
                s.casefold() in {x.casefold() for x in labels.portfolios[p].sub_portfolios}
                for p in kept
                if p in labels.portfolios
            )
        ]
    if "custom_fields" in changes:
        merged = {**loan["custom_fields"], **changes.pop("custom_fields")}
        loan["custom_fields"] = {k: v for k, v in merged.items() if v is not None}
    if "setup" in changes:
        if current.active:
            raise field_error("setup", "loan terms cannot change after activation")
        setup = changes["setup"]
        setup["day_count"] = setup.get("day_count") or current.setup.day_count
        changes["setup"] = type(current.setup).model_validate(setup)
        loan["values"] = initial_values(changes["setup"])
    if "customers" in changes:
        changes["customers"] = check_customers([LoanCustomer.model_validate(c) for c in changes["customers"]])
    loan.update(changes)
    loan["updated_at"] = utc_now()
    loan["ledger"] = current.ledger  # never shown, so not in model_dump: kept by hand
    loan["pending_from"] = current.pending_from
    loan["bankruptcy_history"] = current.bankruptcy_history
    return Loan.model_validate(_labelled(loan, labels))


def update(tenant_id: str, loan_id: str, request: LoanUpdate, if_match: int | None) -> Loan:
    """Changes only the fields sent (custom fields merge; null removes one). A stale version
    answers 409; without a version a concurrent write is re-read and the change applied again."""
    expected = request.version if request.version is not None else if_match
    changes = {
        k: v for k, v in request.model_dump(mode="python", by_alias=False, exclude_unset=True).items() if k != "version"
    }
    for name in _NOT_NULL:
        if name in changes and changes[name] is None:
            raise field_error(to_camel(name), f"{to_camel(name)} cannot be null")
    labels = load_labels(tenant_id)

    def attempt() -> Loan:
        current = get(tenant_id, loan_id)
        check_version("loan", current.version, expected)
        if not changes:
            return current
        updated = _apply(current, dict(changes), labels)
        if updated.active and (updated.loan_status, updated.loan_sub_status) != (
            current.loan_status,
            current.loan_sub_status,
        ):
            updated = late_fee_change(updated, today(current, tenant_id), labels)
        return _save(tenant_id, updated, current)

    return update_versioned("loan", expected, attempt)


def recompute(
    loan: Loan, entries: Iterable[servicing.Entry], through: date, labels: Labels
) -> tuple[Loan, servicing.Ledger]:
    """The loan with its values as of the end of `through`, from its terms and transactions
    (late fees as the loan's status allows)."""
    terms = servicing.Terms.of(loan.setup)
    policy = [(p.since, p.allowed) for p in loan.late_fee_history] or labels.late_fees(
        loan.loan_status, loan.loan_sub_status
    )
    entries = list(entries)
    ledger = servicing.replay(terms, entries, through, policy)
    current = LoanValues.model_validate(servicing.values(ledger, terms).to_dict())
    return loan.model_copy(
        update={
            "values": current,
            "as_of": through,
            "interest_stopped": ledger.stopped,
            "ledger": ledger.to_doc(),
            "pending_from": pending_from(entries, through),
            "charged_off": ledger.charged_off,
            "updated_at": utc_now(),
        }
    ), ledger


def pending_from(entries: Iterable[servicing.Entry], through: date) -> date | None:
    """The first day after `through` on which one of the entries takes effect, if any."""
    return min((e.day for e in entries if e.day > through), default=None)


def late_fee_change(loan: Loan, since: date, labels: Labels) -> Loan:
    """Records from which day the loan's new status allows (or stops) late fees, so a later
    recomputation charges the fees of each day as the status then allowed."""
    allowed = labels.late_fees(loan.loan_status, loan.loan_sub_status)
    history = [p for p in loan.late_fee_history if p.since < since]
    if not history or history[-1].allowed != allowed:
        history.append(LateFeePeriod(since=since, allowed=allowed))
    return loan.model_copy(update={"late_fee_history": history})


def today(loan: Loan, tenant_id: str) -> date:
    """The day a loan's values are brought to: the tenant's business date, or the loan's own later date."""
    return max(business_date(get_tenant(tenant_id)), loan.as_of)


def activate(tenant_id: str, loan_id: str) -> Loan:
    """Activates the loan (status Open / Repaying) and brings its values to today (a loan whose
    contract date is past has installments due already). Activating an active loan changes nothing."""
    labels = load_labels(tenant_id)

    def attempt() -> Loan:
        current = get(tenant_id, loan_id)
        if current.active:
            return current
        status, sub_status = labels.loan_status("Open", "Repaying")
        now = utc_now()
        history = [LateFeePeriod(since=current.setup.contract_date, allowed=labels.late_fees(status, sub_status))]
        activated, _ = recompute(
            current.model_copy(
                update={
                    "active": True,
                    "activated_at": now,
                    "loan_status": status,
                    "loan_sub_status": sub_status,
                    "updated_at": now,
                    "late_fee_history": history,
                    "cascade": None,
                }
            ),
            (),
            today(current, tenant_id),
            labels,
        )
        # Daily maintenance takes it from its first day: the next run snapshots it and runs the daily rules.
        activated = activated.model_copy(update={"maintained_through": activated.as_of - timedelta(days=1)})
        return _save(tenant_id, activated, current)

    return update_versioned("loan", None, attempt)
