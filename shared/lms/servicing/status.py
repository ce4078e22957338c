"""What a loan's ledger says beyond its values (docs/rules.md#loanpros-figures): how what is due splits into
fees, interest and principal, how the next installment splits, the loan's delinquency buckets (one per
installment past due and not yet paid), and the dates around the ledger's day (the period it is in, the
due dates after the next one, the maturity). Pure: the ledger, the terms and the plan, nothing else."""

from __future__ import annotations

import calendar
import dataclasses
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .ledger import Ledger, Values
from .schedule import Plan, Row, Terms, due_dates

ZERO = Decimal("0.00")
DELINQUENT_AFTER_DAYS = 30  # LoanPro: a loan is delinquent 30 days after a missed payment


@dataclass(frozen=True, slots=True)
class Bucket:
    """An installment past due and not fully paid."""

    number: int  # the installment's number on the schedule (1 is the first)
    due_date: date
    days_past_due: int
    scheduled_payment: Decimal  # the installment as scheduled
    past_due_amount: Decimal  # what of it is still unpaid


@dataclass(frozen=True, slots=True)
class Status:
    due_interest: Decimal
    due_principal: Decimal
    full_due: Decimal
    next_payment_principal: Decimal | None
    next_payment_interest: Decimal | None
    next_payment_fees: Decimal | None
    next_period_amount: Decimal
    scheduled: Row | None  # the next installment on the schedule, whatever was paid ahead
    subsequent_due_date: date | None
    period_start: date
    period_end: date | None
    final_payment_date: date
    original_maturity_date: date
    first_delinquency: date | None
    buckets: tuple[Bucket, ...]


def status(ledger: Ledger, terms: Terms, schedule: Plan, values: Values) -> Status:
    """The figures of `ledger` (the loan's state at the end of its day), with `values` its values."""
    due, credited = schedule.due_ordinals, ledger.credited
    n, past, day = len(due), ledger.past, ledger.day
    apd = values.amount_past_due
    matured = past == n
    fees_in_apd = ledger.fees if matured else ZERO  # past maturity, what is due is the whole payoff
    due_interest = min(ledger.interest, max(apd - fees_in_apd, ZERO))
    due_principal = max(apd - fees_in_apd - due_interest, ZERO)
    full_due = min(apd + ledger.fees - fees_in_apd, ledger.payoff)
    buckets = _buckets(schedule, credited, past, day, ledger.kept) if apd else ()
    following = bisect_right(due, day)  # the first installment due after the ledger's day
    next_principal = next_interest = next_fees = None
    subsequent = None
    if values.next_payment_date is not None and values.next_payment_amount is not None:
        k = due.index(values.next_payment_date.toordinal())
        next_interest = min(schedule.rows[k].interest, values.next_payment_amount)
        next_principal = values.next_payment_amount - next_interest
        next_fees = ZERO if matured else ledger.fees  # a payment pays the fees first
        subsequent = date.fromordinal(due[k + 1]) if k + 1 < n else None
    scheduled = schedule.rows[following] if following < n else None
    return Status(
        due_interest=due_interest,
        due_principal=due_principal,
        full_due=full_due,
        next_payment_principal=next_principal,
        next_payment_interest=next_interest,
        next_payment_fees=next_fees,
        next_period_amount=full_due + (values.next_payment_amount or ZERO),
        scheduled=scheduled,
        subsequent_due_date=subsequent,
        period_start=date.fromordinal(due[following - 1]) if following else terms.contract_date,
        period_end=date.fromordinal(due[following] - 1) if following < n else None,
        final_payment_date=schedule.rows[-1].due_date,
        original_maturity_date=due_dates(dataclasses.replace(terms, shifts=()))[-1],
        first_delinquency=(
            buckets[0].due_date + timedelta(days=DELINQUENT_AFTER_DAYS)
            if buckets and buckets[0].days_past_due >= DELINQUENT_AFTER_DAYS
            else None
        ),
        buckets=buckets,
    )


def _buckets(schedule: Plan, credited: Decimal, past: int, day: int, kept: Decimal = ZERO) -> tuple[Bucket, ...]:
    """Each installment due before `day` that the payments credited so far do not cover, oldest first. Resets
    that kept the days past due (`kept` of `credited`) cover the most recent of them: the oldest stays
    delinquent, as the days past due say."""
    due, cumulative = schedule.due_ordinals, schedule.cumulative
    paid = credited - kept
    first = bisect_right(cumulative, paid, 0, past)
    unpaid = [(k, cumulative[k] - max(paid, cumulative[k - 1] if k else ZERO)) for k in range(first, past)]
    left = kept
    for i in range(len(unpaid) - 1, -1, -1):
        if not left:
            break
        k, amount = unpaid[i]
        covered = min(left, amount)
        unpaid[i], left = (k, amount - covered), left - covered
    return tuple(
        Bucket(k + 1, date.fromordinal(due[k]), day - due[k], schedule.rows[k].payment, amount)
        for k, amount in unpaid
        if amount > 0
    )


def largest(buckets: tuple[Bucket, ...]) -> Bucket | None:
    """The bucket with the largest unpaid amount (the oldest of equals)."""
    best = None
    for bucket in buckets:
        if best is None or bucket.past_due_amount > best.past_due_amount:
            best = bucket
    return best


HISTORY_MONTHS = 24
HISTORY_THRESHOLDS = (30, 60, 90, 120, 150, 180)


def history_days(today: date) -> list[date]:
    """The same day of the month as `today` in each of the last 24 months, today's month first (the day
    clamped to the month's last: the 31st of March is the 28th or 29th in February)."""
    days = []
    for back in range(HISTORY_MONTHS):
        month_index = today.year * 12 + today.month - 1 - back
        year, month = divmod(month_index, 12)
        last = calendar.monthrange(year, month + 1)[1]
        days.append(date(year, month + 1, min(today.day, last)))
    return days


def history_code(days_past_due: int | None) -> str:
    """One month of the 24-month history, as Metro 2's payment history profile writes it: B before the
    loan existed, 0 current (under 30 days past due), 1 for 30-59 days, 2 for 60-89 ... 6 for 180 or more."""
    if days_past_due is None:
        return "B"
    return str(min(days_past_due // 30, 6))
