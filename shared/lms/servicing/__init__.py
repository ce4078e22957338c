"""The servicing calculator: pure functions over Decimal, no I/O (SERVICING.md)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ..contract import LoanSetup, LoanValues

CENT = Decimal("0.01")
PERIODS_PER_YEAR = {"monthly": 12, "semi-monthly": 24, "biweekly": 26, "weekly": 52}
DAYS_IN_YEAR = {"actual/365": 365, "actual/360": 360, "30/360": 360}


def book(amount: Decimal) -> Decimal:
    """Money as booked: cents, half up."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def installment(setup: LoanSetup) -> Decimal:
    """The level installment of the standard amortization formula, rounded to cents."""
    periods = setup.term_periods
    rate = setup.interest_rate / Decimal(100) / PERIODS_PER_YEAR[setup.payment_frequency.value]
    if rate == 0:
        return book(setup.loan_amount / periods)
    return book(setup.loan_amount * rate / (1 - (1 + rate) ** -periods))


def initial_values(setup: LoanSetup) -> LoanValues:
    """Values of a loan before anything has happened to it."""
    days = DAYS_IN_YEAR[setup.day_count or "actual/365"]
    return LoanValues(
        principal_balance=setup.loan_amount,
        payoff=setup.loan_amount,
        per_diem=book(setup.loan_amount * setup.interest_rate / Decimal(100) / days),
        next_payment_date=setup.first_payment_date,
        next_payment_amount=installment(setup),
    )
