"""The daily step and transactions (docs/servicing.md#the-daily-step, docs/servicing.md#payments).

A loan's servicing state is a Ledger as of the end of one day. `step` brings it forward one day;
`replay` rebuilds it from the loan's terms and transactions, which is how reversals and
back-dated payments are applied ("as if it had never been applied", "recomputed from that date").

Each day d, in this order:
  1. stop-interest / resume-interest entries dated d take effect;
  2. interest accrues for d on the principal at the start of the day (booked to cents), unless
     interest is stopped or the loan is charged off; 30/360 accrues 30 days a month;
  3. payments, charges and credits dated d apply, in posting order;
  4. an installment due on (d - grace days) still unpaid at the end of d is charged its late fee;
  5. values are as of the end of d: an installment is past due from the day after its due date.

Installments and payments meet through cumulative totals: the amount past due is everything
scheduled through the last past due date minus what payments (after fees) and credits have paid
toward installments, capped by the payoff; after the last due date the whole payoff is due. So a
payment made early counts toward the next installment, and an overpayment reduces principal.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .schedule import Plan, Terms, plan

ZERO = Decimal("0.00")
BUCKETS = ("fees", "interest", "principal")  # the order a payment pays the loan's balances in


@dataclass(frozen=True, slots=True)
class Entry:
    """A transaction as the calculator sees it (reversed ones are simply left out)."""

    id: str
    kind: str
    day: date
    amount: Decimal = ZERO
    charge_off: bool = False
    keeps_age: bool = False  # an amount-past-due reset that leaves the days past due counting (resetDaysPastDue false)
    order: tuple[str, ...] = BUCKETS  # the balances a credit pays, in order (its credit type); the rest is unapplied


@dataclass(frozen=True, slots=True)
class Allocation:
    """Where an entry's amount went. A payment beyond the payoff is left unapplied."""

    fees: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO
    unapplied: Decimal = ZERO

    def to_doc(self) -> dict[str, Decimal]:
        return {"fees": self.fees, "interest": self.interest, "principal": self.principal, "unapplied": self.unapplied}


STATE_FIELDS = (  # a ledger's state, field by field (what maintenance will keep per loan)
    "day",
    "principal",
    "interest",
    "fees",
    "credited",
    "kept",
    "past",
    "stopped",
    "charged_off",
    "total_paid",
    "interest_paid",
    "principal_paid",
    "fees_paid",
    "credits",
    "fees_charged",
    "interest_charged",
    "late_fees",
    "last_payment_day",
    "last_payment_amount",
)


@dataclass(slots=True)
class Ledger:
    day: int  # ordinal of the day this state is the end of
    principal: Decimal
    interest: Decimal = ZERO  # accrued, unpaid
    fees: Decimal = ZERO  # charged, unpaid
    credited: Decimal = ZERO  # paid toward installments: payments after fees, and credits
    kept: Decimal = ZERO  # of credited, the amount-past-due resets that do not reset the days past due
    past: int = 0  # installments whose due date is before `day`
    stopped: bool = False
    charged_off: bool = False
    total_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    principal_paid: Decimal = ZERO
    fees_paid: Decimal = ZERO
    credits: Decimal = ZERO
    fees_charged: Decimal = ZERO
    interest_charged: Decimal = ZERO
    late_fees: int = 0
    last_payment_day: int | None = None
    last_payment_amount: Decimal | None = None
    allocations: dict[str, Allocation] = field(default_factory=dict, repr=False, compare=False)

    @property
    def date(self) -> date:
        return date.fromordinal(self.day)

    @property
    def payoff(self) -> Decimal:
        return self.principal + self.interest + self.fees

    def to_doc(self) -> dict[str, Any]:
        """The state, field by field (what two ledgers are compared on, and what a loan keeps so
        daily maintenance can step it forward without replaying its history)."""
        return {name: getattr(self, name) for name in STATE_FIELDS}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Ledger:
        """A ledger from to_doc()'s fields as stored (DynamoDB gives every number back as a Decimal)."""
        ints = {"day", "past", "late_fees", "last_payment_day"}
        fields: dict[str, Any] = {
            name: (None if doc.get(name) is None else int(doc[name]))
            if name in ints
            else bool(doc[name])
            if name in ("stopped", "charged_off")
            else doc.get(name, ZERO)
            if name == "kept"  # a ledger stored before resets could keep the days past due
            else doc.get(name)
            for name in STATE_FIELDS
        }
        return cls(**fields)


def open_ledger(terms: Terms) -> Ledger:
    """The state at the end of the contract date: the loan amount owed, nothing else."""
    return Ledger(day=terms.contract_date.toordinal(), principal=terms.loan_amount)


def _day_factor(terms: Terms, ordinal: int) -> int:
    """Days of interest that day d carries: 1, except under 30/360 (0 on the 31st; the 1st of March
    makes February up to 30 days)."""
    if terms.day_count != "30/360":
        return 1
    d = date.fromordinal(ordinal)
    if d.day == 31:
        return 0
    if d.day == 1:
        return 31 - min(date.fromordinal(ordinal - 1).day, 30)
    return 1


def _split(ledger: Ledger, amount: Decimal, order: tuple[str, ...] = BUCKETS) -> Allocation:
    if order == BUCKETS:  # a payment, and most credits
        fees = min(amount, ledger.fees)
        interest = min(amount - fees, ledger.interest)
        principal = min(amount - fees - interest, ledger.principal)
        unapplied = amount - fees - interest - principal
    else:
        paid = dict.fromkeys(BUCKETS, ZERO)
        left = amount
        for bucket in order:
            paid[bucket] = min(left, getattr(ledger, bucket))
            left -= paid[bucket]
        fees, interest, principal, unapplied = paid["fees"], paid["interest"], paid["principal"], left
    ledger.fees -= fees
    ledger.interest -= interest
    ledger.principal -= principal
    ledger.fees_paid += fees
    ledger.interest_paid += interest
    ledger.principal_paid += principal
    ledger.credited += interest + principal
    return Allocation(fees, interest, principal, unapplied)


def apply(ledger: Ledger, entry: Entry) -> Allocation:
    """One transaction on the ledger's current day."""
    kind = entry.kind
    if kind == "payment":
        allocation = _split(ledger, entry.amount)
        ledger.total_paid += entry.amount
        ledger.last_payment_day, ledger.last_payment_amount = ledger.day, entry.amount
    elif kind == "credit":
        allocation = _split(ledger, entry.amount, entry.order)
        ledger.credits += entry.amount - allocation.unapplied
        if entry.charge_off:
            ledger.charged_off = True
    elif kind == "charge":
        ledger.fees += entry.amount
        ledger.fees_charged += entry.amount
        allocation = Allocation(fees=entry.amount)
    elif kind == "apd-reset":
        # Counts toward installments without touching balances: the amount past due drops by it.
        ledger.credited += entry.amount
        if entry.keeps_age:
            ledger.kept += entry.amount
        allocation = Allocation()
    elif kind == "stop-interest":
        ledger.stopped, allocation = True, Allocation()
    elif kind == "resume-interest":
        ledger.stopped, allocation = False, Allocation()
    else:
        raise ValueError(f"unknown transaction kind {kind!r}")
    ledger.allocations[entry.id] = allocation
    return allocation


def step(ledger: Ledger, terms: Terms, schedule: Plan, entries: Iterable[Entry] = (), late_fees: bool = True) -> Ledger:
    """Brings the ledger forward one day (to ledger.day + 1), applying that day's entries."""
    day = ledger.day + 1
    ledger.day = day
    later = []
    for entry in entries:
        if entry.kind == "stop-interest":
            ledger.stopped = True
        elif entry.kind == "resume-interest":
            ledger.stopped = False
        else:
            later.append(entry)
            continue
        ledger.allocations[entry.id] = Allocation()
    if not ledger.stopped and not ledger.charged_off and ledger.principal:
        factor = _day_factor(terms, day)
        if factor:
            accrued = terms.day_interest(ledger.principal, factor)
            ledger.interest += accrued
            ledger.interest_charged += accrued
    due = schedule.due_ordinals
    while ledger.past < len(due) and due[ledger.past] < day:
        ledger.past += 1
    for entry in later:
        apply(ledger, entry)
    k = schedule.fee_day.get(day)
    # Unpaid: the installment is not covered, and something is owed (the schedule's interest can
    # exceed the interest actually accrued, so a loan paid off can be "short" of the schedule).
    if (
        k is not None
        and late_fees
        and not ledger.charged_off
        and schedule.cumulative[k] > ledger.credited
        and ledger.principal + ledger.interest + ledger.fees > 0
    ):
        fee = schedule.late_fees[k]
        if fee:
            ledger.fees += fee
            ledger.fees_charged += fee
            ledger.late_fees += 1
    if ledger.kept and not _past_due(ledger, schedule):
        ledger.kept = ZERO  # caught up: a later delinquency counts from its own installment
    return ledger


def _past_due(ledger: Ledger, schedule: Plan) -> Decimal:
    """The amount past due at the end of the ledger's day (as values() gives it)."""
    payoff = ledger.principal + ledger.interest + ledger.fees
    past = ledger.past
    if past == len(schedule.due_ordinals):
        return payoff
    if past:
        return min(max(schedule.cumulative[past - 1] - ledger.credited, ZERO), payoff)
    return ZERO


def replay(
    terms: Terms, entries: Iterable[Entry], through: date, late_fees: bool | Sequence[tuple[date, bool]] = True
) -> Ledger:
    """The ledger at the end of `through`, from the contract date and every entry (in posting
    order within a day). Entries after `through` are not applied. late_fees: whether the loan's
    status allows them, always or from each date on (the first period also covers the days before it)."""
    ledger, schedule, by_day = _opened(terms, entries)
    return _forward(ledger, terms, schedule, by_day, through, late_fees)


def _opened(terms: Terms, entries: Iterable[Entry]) -> tuple[Ledger, Plan, dict[int, list[Entry]]]:
    """The ledger at the end of the contract date (its entries applied), the plan, and the later entries by day."""
    schedule = plan(terms)
    ledger = open_ledger(terms)
    by_day: dict[int, list[Entry]] = {}
    for entry in entries:
        by_day.setdefault(entry.day.toordinal(), []).append(entry)
    for entry in by_day.pop(ledger.day, []):
        apply(ledger, entry)
    return ledger, schedule, by_day


def advance(
    ledger: Ledger,
    terms: Terms,
    through: date,
    late_fees: bool | Sequence[tuple[date, bool]] = True,
    entries: Iterable[Entry] = (),
) -> Ledger:
    """Brings a ledger (the end of some day) forward to the end of `through`, day by day: one night (or a
    missed week) of daily maintenance. Same days as replay steps. `entries`: the loan's entries dated after
    the ledger's day (a stop-interest or a reset dated ahead), applied on their days; earlier ones are in it."""
    by_day: dict[int, list[Entry]] = {}
    for entry in entries:
        if ledger.day < entry.day.toordinal() <= through.toordinal():
            by_day.setdefault(entry.day.toordinal(), []).append(entry)
    return _forward(ledger, terms, plan(terms), by_day, through, late_fees)


def _forward(
    ledger: Ledger,
    terms: Terms,
    schedule: Plan,
    by_day: dict[int, list[Entry]],
    through: date,
    late_fees: bool | Sequence[tuple[date, bool]],
) -> Ledger:
    changes = (
        [(day.toordinal(), allowed) for day, allowed in sorted(late_fees)] if not isinstance(late_fees, bool) else []
    )
    allowed = changes[0][1] if changes else bool(late_fees) if isinstance(late_fees, bool) else True
    end = through.toordinal()
    while ledger.day < end:
        while changes and changes[0][0] <= ledger.day + 1:
            allowed = changes.pop(0)[1]
        step(ledger, terms, schedule, by_day.get(ledger.day + 1, ()), allowed)
    return ledger


@dataclass(frozen=True, slots=True)
class Values:
    """The calculator's current values of a loan (docs/servicing.md#values, docs/rules.md#variables)."""

    days_past_due: int
    amount_past_due: Decimal
    payoff: Decimal
    per_diem: Decimal
    principal_balance: Decimal
    interest_accrued: Decimal
    due_fees: Decimal
    next_payment_date: date | None
    next_payment_amount: Decimal | None
    last_payment_date: date | None
    last_payment_amount: Decimal | None
    total_paid: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def values(ledger: Ledger, terms: Terms, schedule: Plan | None = None) -> Values:
    schedule = schedule or plan(terms)
    cumulative, due = schedule.cumulative, schedule.due_ordinals
    n, past, credited = len(due), ledger.past, ledger.credited
    payoff = ledger.principal + ledger.interest + ledger.fees
    past_due = _past_due(ledger, schedule)
    if past_due:
        # The oldest installment payments and credits have not covered; a reset that keeps the days past due
        # lowers the amount past due but leaves that installment where it was.
        oldest = bisect_right(cumulative, credited - ledger.kept, 0, past)
        days_past_due = ledger.day - due[min(oldest, n - 1)]
    else:
        days_past_due = 0
    next_date: date | None = None
    next_amount: Decimal | None = None
    if past < n and payoff:
        # The first installment not yet past due and not already covered by payments made ahead.
        k = past
        while k < n - 1 and cumulative[k] <= credited:
            k += 1
        next_date = date.fromordinal(due[k])
        if k == n - 1:
            next_amount = payoff - past_due
        else:
            covered = max(credited, cumulative[k - 1]) if k else credited
            next_amount = min(max(cumulative[k] - covered, ZERO), payoff - past_due)
    accruing = not ledger.stopped and not ledger.charged_off
    per_diem = terms.day_interest(ledger.principal) if accruing else ZERO
    return Values(
        days_past_due=days_past_due,
        amount_past_due=past_due,
        payoff=payoff,
        per_diem=per_diem,
        principal_balance=ledger.principal,
        interest_accrued=ledger.interest,
        due_fees=ledger.fees,
        next_payment_date=next_date,
        next_payment_amount=next_amount,
        last_payment_date=None if ledger.last_payment_day is None else date.fromordinal(ledger.last_payment_day),
        last_payment_amount=ledger.last_payment_amount,
        total_paid=ledger.total_paid,
    )


def days_past_due_on(
    terms: Terms,
    entries: Iterable[Entry],
    days: Sequence[date],
    late_fees: bool | Sequence[tuple[date, bool]] = True,
) -> list[int | None]:
    """The days past due at the end of each of `days` (in any order), from one pass over the loan's history
    (what replay would give for each day); None for a day before the contract date."""
    ledger, schedule, by_day = _opened(terms, entries)
    found: dict[date, int | None] = {}
    for day in sorted(set(days)):
        if day < terms.contract_date:
            found[day] = None
            continue
        ledger = _forward(ledger, terms, schedule, by_day, day, late_fees)
        found[day] = values(ledger, terms, schedule).days_past_due
    return [found[day] for day in days]
