"""Loan terms and the amortization schedule (docs/servicing.md#schedule)."""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from itertools import accumulate

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
PERIODS_PER_YEAR = {"monthly": 12, "semi-monthly": 24, "biweekly": 26, "weekly": 52}
DAYS_IN_YEAR = {"actual/365": 365, "actual/360": 360, "30/360": 360}


def book(amount: Decimal) -> Decimal:
    """Money as booked: cents, half up."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Terms:
    """What the calculator needs of a loan's setup (hashable, so plans are cached per terms)."""

    loan_amount: Decimal
    interest_rate: Decimal  # annual percent
    term_periods: int
    payment_frequency: str
    contract_date: date
    first_payment_date: date
    day_count: str = "actual/365"
    grace_days: int = 10
    late_fee_amount: Decimal | None = None
    late_fee_percent: Decimal | None = None
    shifts: tuple[tuple[int, int], ...] = ()  # (installment number, days): it and those after it move

    @classmethod
    def of(cls, setup) -> Terms:
        """From a contract LoanSetup."""
        fee = setup.late_fee
        return cls(
            loan_amount=setup.loan_amount,
            interest_rate=setup.interest_rate,
            term_periods=setup.term_periods,
            payment_frequency=getattr(setup.payment_frequency, "value", setup.payment_frequency),
            contract_date=setup.contract_date,
            first_payment_date=setup.first_payment_date,
            day_count=setup.day_count or "actual/365",
            grace_days=setup.grace_days,
            late_fee_amount=fee.amount if fee else None,
            late_fee_percent=fee.percent if fee else None,
            shifts=tuple((s.from_installment, s.days) for s in setup.due_date_shifts),
        )

    @property
    def periodic_rate(self) -> Decimal:
        return self.interest_rate / HUNDRED / PERIODS_PER_YEAR[self.payment_frequency]

    def period_interest(self, balance: Decimal) -> Decimal:
        """One period's interest on balance, booked. One division, so an exact half cent is exact
        (0.12/360 never terminates: multiplying by a rounded rate can land just under a tie)."""
        return book(balance * self.interest_rate / (HUNDRED * PERIODS_PER_YEAR[self.payment_frequency]))

    def day_interest(self, principal: Decimal, days: int = 1) -> Decimal:
        """days of interest on principal under the loan's day count, booked (one division, as above)."""
        return book(principal * self.interest_rate * days / (HUNDRED * DAYS_IN_YEAR[self.day_count]))


def add_months(start: date, months: int, anchor_day: int) -> date:
    """start moved by whole months, on anchor_day clamped to the month's end (Jan 31 -> Feb 28 -> Mar 31)."""
    month_index = start.year * 12 + start.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def due_dates(terms: Terms) -> tuple[date, ...]:
    """Every due date: monthly keeps the first date's day of month; semi-monthly alternates it with
    the day 15 days later (each kept as a monthly anchor); biweekly and weekly step 14 and 7 days.
    A shift (change-due-date) moves one installment and every one after it by some days."""
    dates = _regular_due_dates(terms)
    for number, days in terms.shifts:
        dates = dates[: number - 1] + tuple(d + timedelta(days=days) for d in dates[number - 1 :])
    return dates


def _regular_due_dates(terms: Terms) -> tuple[date, ...]:
    first, n = terms.first_payment_date, terms.term_periods
    frequency = terms.payment_frequency
    if frequency == "monthly":
        return tuple(add_months(first, k, first.day) for k in range(n))
    if frequency == "semi-monthly":
        second = first + timedelta(days=15)
        return tuple(
            add_months(first, k // 2, first.day) if k % 2 == 0 else add_months(second, k // 2, second.day)
            for k in range(n)
        )
    step = timedelta(days=14 if frequency == "biweekly" else 7)
    return tuple(first + step * k for k in range(n))


def installment(terms: Terms) -> Decimal:
    """The level installment of the standard amortization formula, rounded to cents half up, computed
    exactly (as a fraction: a 28-digit Decimal can land just under an exact half cent)."""
    rate = Fraction(terms.interest_rate) / (100 * PERIODS_PER_YEAR[terms.payment_frequency])
    amount, periods = Fraction(terms.loan_amount), terms.term_periods
    if rate == 0:
        exact = amount / periods
    else:
        growth = (1 + rate) ** periods
        exact = amount * rate * growth / (growth - 1)
    cents = math.floor(exact * 100 + Fraction(1, 2))
    return Decimal(cents) / 100


@dataclass(frozen=True, slots=True)
class Row:
    number: int
    due_date: date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal


def schedule(terms: Terms) -> tuple[Row, ...]:
    """The amortization table: interest = balance x periodic rate (booked), principal the rest of
    the level installment; the last installment takes whatever balance is left, so it closes to zero."""
    return plan(terms).rows


@dataclass(frozen=True, slots=True)
class Plan:
    """A loan's schedule in the shapes the daily step needs: due dates as ordinals, the cumulative
    amount due through each installment, and the late fee per installment."""

    rows: tuple[Row, ...]
    due_ordinals: tuple[int, ...]
    cumulative: tuple[Decimal, ...]
    late_fees: tuple[Decimal, ...]
    fee_day: dict[int, int]  # ordinal of (due date + grace days) -> installment index


@lru_cache(maxsize=64)
def plan(terms: Terms) -> Plan:
    """The loan's plan, kept for the last few terms (a request or a loan's catch-up asks for the same
    one many times; a 1,200-period plan takes about a megabyte, so the cache stays small)."""
    level = installment(terms)
    balance = terms.loan_amount
    rows = []
    dates = due_dates(terms)
    for number, due in enumerate(dates, start=1):
        interest = terms.period_interest(balance)
        principal = balance if number == len(dates) else max(min(level - interest, balance), Decimal(0))
        balance -= principal
        rows.append(Row(number, due, interest + principal, interest, principal, balance))
    payments = [row.payment for row in rows]
    if terms.late_fee_amount is not None:
        fees = [terms.late_fee_amount] * len(rows)
    elif terms.late_fee_percent is not None:
        fees = [book(p * terms.late_fee_percent / HUNDRED) for p in payments]
    else:
        fees = [Decimal(0)] * len(rows)
    ordinals = tuple(d.toordinal() for d in dates)
    return Plan(
        rows=tuple(rows),
        due_ordinals=ordinals,
        cumulative=tuple(accumulate(payments)),
        late_fees=tuple(fees),
        fee_day={o + terms.grace_days: k for k, o in enumerate(ordinals)},
    )
