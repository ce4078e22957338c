"""Maintaining one loan: every day from the day after it was last maintained up to the run's date, in
order: the servicing step, a snapshot, the daily rules; then the loan's one write (the commit point)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from .. import measures, tracing
from ..automation.engine import Settings, applies, audit_entries, change_customers, evaluate, needs_customers
from ..automation.run import Run
from ..autopay import collect as autopay_collect
from ..clock import utc_now
from ..contract import Allocation, Loan, LoanCustomer, LoanValues, RuleApplication, Transaction
from ..ids import new_id
from ..labels import Labels
from ..loans import changed_links, pending_from, recompute
from ..servicing import Ledger, Terms, advance, values
from ..store import audit as audit_store
from ..store import loans as loan_store
from ..store import snapshots as snapshot_store
from ..store import transactions as transaction_store
from ..store.errors import StaleWrite
from ..transactions import entries as ledger_entries

logger = Logger(child=True)


MAX_ITEMS = 80  # rule-made transactions + audit entries per loan write (DynamoDB: 100 per transaction)
_ATTEMPTS = 5


@dataclass
class LoanMaintenance:
    """What maintaining one loan (up to some day) writes."""

    loan: Loan
    snapshots: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    entries: list[RuleApplication] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    links: list[LoanCustomer] = field(default_factory=list)  # customer links whose role a daily rule changed
    matched: bool = False
    complete: bool = True  # False: stopped early (too many items for one write); more days to go


def _policy(loan: Loan, labels: Labels) -> Any:
    return [(p.since, p.allowed) for p in loan.late_fee_history] or labels.late_fees(
        loan.loan_status, loan.loan_sub_status
    )


def _snapshot(loan: Loan) -> dict[str, Any]:
    return {
        "values": loan.values.model_dump(mode="json", by_alias=True),
        "loanStatus": loan.loan_status,
        "loanSubStatus": loan.loan_sub_status,
        "chargedOff": loan.charged_off,
        "interestStopped": loan.interest_stopped,
    }


def plan(tenant_id: str, loan: Loan, through: date, settings: Settings, now: datetime) -> LoanMaintenance | None:
    """The days from the loan's last maintained day up to `through`; None when there is nothing to do
    (maintained already, a run for an earlier date, not active)."""
    if not loan.active or loan.archived:
        return None
    first = (loan.maintained_through or loan.as_of - timedelta(days=1)) + timedelta(days=1)
    if first > through:
        return None
    terms = Terms.of(loan.setup)
    stored: list[Transaction] | None = None
    result = LoanMaintenance(loan)

    def transactions() -> list[Transaction]:
        nonlocal stored
        if stored is None:
            stored = transaction_store.every(tenant_id, loan.id)
        return stored + result.transactions

    kept = _kept_ledger(loan)
    if kept is None:  # a loan written before it kept its ledger: replayed once
        loan, kept = recompute(loan, ledger_entries(transactions()), loan.as_of, settings.labels)
    ledger = kept
    original = loan
    day = first
    customers: dict[str, Any] | None = None
    while day <= through:
        if day > loan.as_of:
            # Transactions dated ahead (read only for a loan that has one due by this day) take effect now.
            ahead = ledger_entries(transactions()) if loan.pending_from and loan.pending_from <= day else []
            ledger = advance(ledger, terms, day, _policy(loan, settings.labels), ahead)
            loan = loan.model_copy(
                update={
                    "values": LoanValues.model_validate(values(ledger, terms).to_dict()),
                    "as_of": day,
                    "interest_stopped": ledger.stopped,
                    "charged_off": ledger.charged_off,
                    "ledger": ledger.to_doc(),
                    "pending_from": pending_from(ahead, day) if ahead else loan.pending_from,
                }
            )
        loan, ledger = _autopay(tenant_id, result, loan, ledger, day, settings, transactions)
        result.snapshots.append((day.isoformat(), _snapshot(loan)))
        chosen = [r for r in settings.rules if applies(r, loan, "daily")]
        if chosen:
            if customers is None:
                customers = _customers(tenant_id, loan, chosen)
            run = Run(
                loan=loan,
                customers=customers,
                labels=settings.labels,
                today=day,
                load_transactions=transactions,
                utc_today=settings.utc_today,
            )
            _daily_rules(result, run, chosen, day, now)
            if run.loan is not loan:
                loan = run.loan
                ledger = _kept_ledger(loan) or ledger
            customers = run.customers
        loan = loan.model_copy(update={"maintained_through": day})
        written = len(result.transactions) + len(result.entries) + len(changed_links(original, loan))
        if written > MAX_ITEMS and day < through:
            result.complete = False
            break
        day += timedelta(days=1)
    result.loan = _finished(result, original, loan, now)
    return result


def _autopay(
    tenant_id: str,
    result: LoanMaintenance,
    loan: Loan,
    ledger: Ledger,
    day: date,
    settings: Settings,
    transactions: Any,
) -> tuple[Loan, Ledger]:
    """The day's AutoPay collection (before the day's snapshot and rules, which see its payment)."""
    if not loan.autopay:
        return loan, ledger
    payment, autopay = autopay_collect(tenant_id, loan, day)
    if autopay is None:
        return loan, ledger
    loan = loan.model_copy(update={"autopay": autopay})
    if payment is None:
        return loan, ledger
    result.transactions.append(payment)
    updated, kept = recompute(loan, ledger_entries(transactions()), day, settings.labels)
    allocation = kept.allocations.get(payment.id)
    if allocation is not None:
        result.transactions[-1] = payment.model_copy(
            update={"allocation": Allocation.model_validate(allocation.to_doc())}
        )
    return updated.model_copy(update={"maintained_through": loan.maintained_through}), kept


def _kept_ledger(loan: Loan) -> Ledger | None:
    """The calculator state the loan keeps, when it is the state of the loan's own day."""
    if loan.ledger is not None and int(loan.ledger["day"]) == loan.as_of.toordinal():
        return Ledger.from_doc(loan.ledger)
    return None


# What maintenance itself changes on a loan; a change to anything else was made by a daily rule.
_MAINTAINED = {
    "autopay",
    "values",
    "as_of",
    "interest_stopped",
    "charged_off",
    "ledger",
    "pending_from",
    "maintained_through",
    "updated_at",
}


def _daily_rules(result: LoanMaintenance, run: Run, chosen: list[Any], day: date, now: datetime) -> None:
    """The day's rules on the run's loan, what they wrote added to the plan."""
    evaluations = evaluate(run, chosen)
    entries = audit_entries(run.loan.id, evaluations, "daily", now)
    result.entries += [e.model_copy(update={"business_date": day}) for e in entries]
    result.matched = result.matched or any(e.applied_live for e in evaluations)  # a shadow rule changes nothing
    result.transactions += run.new_transactions
    if run.customer_changes:
        result.runs.append(run)


def _finished(result: LoanMaintenance, original: Loan, loan: Loan, now: datetime) -> Loan:
    """The loan to write: at the version read, with a cascade when a rule changed it (real time takes
    the next step of that cascade)."""
    changed = {k for k, v in loan if getattr(original, k) != v} - _MAINTAINED
    result.links = changed_links(original, loan)
    update: dict[str, Any] = {"updated_at": now, "version": original.version}
    if changed or result.transactions:
        applied = sorted({e.rule_id for e in result.entries if e.matched and e.actions_applied})
        update["cascade"] = {"id": new_id("cas"), "depth": 1, "applied": applied, "trigger": "daily"}
    return loan.model_copy(update=update)


def _customers(tenant_id: str, loan: Loan, rules: list[Any]) -> dict[str, Any]:
    from ..store import customers as customer_store

    if not needs_customers(rules):
        return {}
    return customer_store.get_many(tenant_id, [c.customer_id for c in loan.customers])


def write_loan(tenant_id: str, work: LoanMaintenance) -> None:
    """The loan's write, the commit point (snapshots are written before it)."""
    if work.transactions or work.entries or work.links:
        audit_store.commit(tenant_id, work.loan, work.transactions, work.entries, links=work.links)
        measures.count("RuleApplications", sum(1 for entry in work.entries if entry.matched))
    else:
        loan_store.put(tenant_id, work.loan)
    for run in work.runs:
        change_customers(tenant_id, run)


def maintain_one(tenant_id: str, loan_id: str, through: date, settings: Settings) -> bool:
    """Brings one loan up to `through` (re-reading on a concurrent change); whether a rule matched."""
    with tracing.span("maintain_loan", tenant_id=tenant_id, loan_id=loan_id, business_date=through.isoformat()):
        return _maintain_one(tenant_id, loan_id, through, settings)


def _maintain_one(tenant_id: str, loan_id: str, through: date, settings: Settings) -> bool:
    matched = False
    for _ in range(_ATTEMPTS * 4):
        loan = loan_store.get(tenant_id, loan_id)
        work = None if loan is None else plan(tenant_id, loan, through, settings, utc_now())
        if work is None:
            return matched
        snapshot_store.put_many(tenant_id, loan_id, work.snapshots)
        try:
            write_loan(tenant_id, work)
        except (StaleWrite, audit_store.AlreadyHandled):
            continue
        matched = matched or work.matched
        if work.complete:
            return matched
    raise RuntimeError(f"loan {loan_id} keeps changing during maintenance")


@dataclass
class LoanOutcome:
    loan_id: str
    matched: bool = False
    error: Exception | None = None


def maintain_many(tenant_id: str, through: date, loan_ids: list[str], settings: Settings) -> list[LoanOutcome]:
    """A batch of one run's loans: one read for all, one write of all their snapshots, then each loan's
    own write; a loan that changed meanwhile (or needs more than one write) goes on alone."""
    outcomes: dict[str, LoanOutcome] = {i: LoanOutcome(i) for i in loan_ids}
    loans = loan_store.get_many_consistent(tenant_id, loan_ids)
    plans: dict[str, LoanMaintenance] = {}
    alone: list[str] = []
    now = utc_now()
    for loan_id in loan_ids:
        try:
            work = plan(tenant_id, loans[loan_id], through, settings, now) if loan_id in loans else None
        except Exception as error:  # this loan only
            outcomes[loan_id].error = error
            continue
        if work is not None:
            plans[loan_id] = work
    if plans:
        snapshot_store.put_many_loans(tenant_id, {i: p.snapshots for i, p in plans.items()})
    for loan_id, work in plans.items():
        try:
            write_loan(tenant_id, work)
            outcomes[loan_id].matched = work.matched
            if not work.complete:
                alone.append(loan_id)
        except (StaleWrite, audit_store.AlreadyHandled):
            alone.append(loan_id)
        except Exception as error:
            outcomes[loan_id].error = error
    for loan_id in alone:
        try:
            outcomes[loan_id].matched = maintain_one(tenant_id, loan_id, through, settings) or outcomes[loan_id].matched
        except Exception as error:
            outcomes[loan_id].error = error
    return [outcomes[i] for i in loan_ids]
