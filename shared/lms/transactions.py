"""Loan transactions (payments and their reversal, charges, credits) and the loan's values after them.

Every transaction recomputes the loan from its contract date with all its transactions (servicing
`replay`): a reversal is then "as if it had never been applied" and a back-dated payment is
applied as of its date, with no special case. The transaction and the loan's new values are
written in one DynamoDB transaction at the loan's version; a concurrent change re-reads and
recomputes (optimistic locking), so neither is lost.
"""

from __future__ import annotations

import random
import time
from datetime import date
from decimal import Decimal
from typing import Any

from . import loans, servicing
from .clock import utc_now
from .contract import Allocation, ChargeCreate, CreditCreate, Loan, Page, PaymentCreate, ScheduleRow, Transaction
from .errors import Conflict, Invalid, NotFound, field_error
from .ids import new_id, well_formed
from .labels import Labels
from .labels import load as load_labels
from .store import transactions as store
from .store.errors import StaleWrite

_ATTEMPTS = 5


def entries(txs: list[Transaction]) -> list[servicing.Entry]:
    """What the calculator applies: every transaction except reversals and the payments they reversed."""
    return [
        servicing.Entry(
            t.id,
            t.type,
            t.date,
            t.amount,
            t.charge_off,
            t.keeps_days_past_due,
            tuple(t.apply_to) if t.apply_to else servicing.BUCKETS,
        )
        for t in txs
        if t.type != "reversal" and not t.reversed
    ]


def replay_transactions(
    loan: Loan, txs: list[Transaction], through: date, labels: Labels
) -> tuple[Loan, servicing.Ledger]:
    return loans.recompute(loan, entries(txs), through, labels)


def _check_date(loan: Loan, day: date, through: date) -> None:
    if day < loan.setup.contract_date:
        raise field_error("date", f"{day} is before the loan's contract date {loan.setup.contract_date}")
    if day > through:
        raise field_error("date", f"{day} is in the future: the loan's today is {through}")


def _post(tenant_id: str, loan_id: str, build: Any) -> Transaction:
    """Reads the loan and its transactions, lets `build` make the new transaction (and say which payment
    it reverses), recomputes and writes both at once; retried when the loan changed meanwhile."""
    labels = load_labels(tenant_id)
    for attempt in range(_ATTEMPTS):
        loan = loans.get(tenant_id, loan_id)
        if not loan.active:
            raise Invalid(
                "the loan is not activated: activate it before posting transactions",
                [{"field": "loanId", "message": "loan is not activated"}],
            )
        through = loans.today(loan, tenant_id)
        txs = store.every(tenant_id, loan_id)
        tx, reverses = build(loan, through, txs)
        updated, ledger = replay_transactions(
            loan, txs + [tx] if reverses is None else _marked(txs, reverses, tx), through, labels
        )
        _nothing_unapplied(tx, ledger)
        allocation = ledger.allocations.get(tx.id)
        if allocation is not None:
            tx = tx.model_copy(update={"allocation": Allocation.model_validate(allocation.to_doc())})
        try:
            store.post(tenant_id, tx, updated, reverses)
            return tx
        except StaleWrite:
            time.sleep(random.uniform(0, 0.05 * (attempt + 1)))  # let the other writer finish
    raise Conflict("the loan keeps changing: try again")


def _nothing_unapplied(tx: Transaction, ledger: servicing.Ledger) -> None:
    """Refuses a transaction after which any payment or credit is more than the payoff on its date:
    the new one itself, or a later one that a back-dated payment or credit has made too large."""
    for entry_id, allocation in ledger.allocations.items():
        if allocation.unapplied:
            payoff = allocation.fees + allocation.interest + allocation.principal
            if entry_id == tx.id:
                owed = f"{' and '.join(tx.apply_to)} owed" if tx.apply_to else "payoff"
                raise field_error("amount", f"{tx.amount} is more than the loan's {owed} ({payoff}) on {tx.date}")
            raise field_error(
                "amount",
                f"with this {tx.type}, the later transaction {entry_id} would be "
                f"{allocation.unapplied} more than the loan's payoff on its date",
            )


def _marked(txs: list[Transaction], reverses: str, reversal: Transaction) -> list[Transaction]:
    return [
        t.model_copy(update={"reversed": True, "reversed_by": reversal.id}) if t.id == reverses else t for t in txs
    ] + [reversal]


def _new(loan: Loan, kind: str, amount: Decimal, day: date, **fields: Any) -> Transaction:
    return Transaction(
        id=new_id("txn"), loan_id=loan.id, type=kind, amount=amount, date=day, created_at=utc_now(), **fields
    )


def _dated(tenant_id: str, loan_id: str, kind: str, amount: Decimal, day: date | None, **fields: Any) -> Transaction:
    """A payment, charge or credit dated `day` (default: the loan's today)."""

    def build(loan: Loan, through: date, txs: list[Transaction]):
        _check_date(loan, day or through, through)
        return _new(loan, kind, amount, day or through, **fields), None

    return _post(tenant_id, loan_id, build)


def pay(tenant_id: str, loan_id: str, request: PaymentCreate) -> Transaction:
    return _dated(tenant_id, loan_id, "payment", request.amount, request.date, method=request.method)


def charge(tenant_id: str, loan_id: str, request: ChargeCreate) -> Transaction:
    return _dated(tenant_id, loan_id, "charge", request.amount, request.date, title=request.title)


def credit(tenant_id: str, loan_id: str, request: CreditCreate) -> Transaction:
    return _dated(
        tenant_id,
        loan_id,
        "credit",
        request.amount,
        request.date,
        category=request.category,
        charge_off=request.charge_off,
        apply_to=request.apply_to,
    )


def reverse(tenant_id: str, loan_id: str, transaction_id: str) -> Transaction:
    """Reverses a payment: the loan is recomputed as if it had never been made. Twice is refused."""

    def build(loan: Loan, through: date, txs: list[Transaction]):
        original = next((t for t in txs if t.id == transaction_id), None)
        if original is None:
            raise NotFound("payment not found")
        if original.type != "payment":
            raise field_error("transactionId", f"only a payment can be reversed; {transaction_id} is a {original.type}")
        if original.reversed:
            raise field_error(
                "transactionId", f"payment {transaction_id} is already reversed (by {original.reversed_by})"
            )
        return _new(loan, "reversal", original.amount, through, reverses=original.id), original.id

    if not well_formed("txn", transaction_id):
        loans.get(tenant_id, loan_id)  # an unknown loan answers as such first
        raise NotFound("payment not found")
    return _post(tenant_id, loan_id, build)


def page(tenant_id: str, loan_id: str, limit: int, cursor: str | None) -> Page[Transaction]:
    """A page of the loan's transactions in posting order, each payment's allocation as the loan stands now."""
    loan = loans.get(tenant_id, loan_id)
    items, next_cursor = store.page(tenant_id, loan_id, limit, cursor)
    if items and loan.active:
        txs = store.every(tenant_id, loan_id)
        _, ledger = replay_transactions(loan, txs, loan.as_of, load_labels(tenant_id))
        items = [
            t.model_copy(update={"allocation": Allocation.model_validate(ledger.allocations[t.id].to_doc())})
            if t.id in ledger.allocations
            else t
            for t in items
        ]
    return Page[Transaction](items=items, next_cursor=next_cursor)


def schedule(tenant_id: str, loan_id: str) -> Page[ScheduleRow]:
    """The loan's amortization schedule (all rows: it is derived from the terms, never stored)."""
    loan = loans.get(tenant_id, loan_id)
    rows = servicing.schedule(servicing.Terms.of(loan.setup))
    return Page[ScheduleRow](
        items=[
            ScheduleRow.model_validate(
                {
                    "number": r.number,
                    "due_date": r.due_date,
                    "payment": r.payment,
                    "interest": r.interest,
                    "principal": r.principal,
                    "balance": r.balance,
                }
            )
            for r in rows
        ]
    )
