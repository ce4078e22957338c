"""The servicing calculator: pure functions over Decimal, no I/O (docs/servicing.md)."""

from __future__ import annotations

from ..contract import LoanSetup, LoanValues
from .ledger import Allocation, Entry, Ledger, Values, advance, apply, open_ledger, replay, step, values
from .schedule import (
    CENT,
    DAYS_IN_YEAR,
    PERIODS_PER_YEAR,
    Plan,
    Row,
    Terms,
    book,
    due_dates,
    installment,
    plan,
    schedule,
)

__all__ = [
    "CENT",
    "DAYS_IN_YEAR",
    "PERIODS_PER_YEAR",
    "Allocation",
    "Entry",
    "Ledger",
    "Plan",
    "Row",
    "Terms",
    "Values",
    "advance",
    "apply",
    "book",
    "due_dates",
    "initial_values",
    "installment",
    "open_ledger",
    "plan",
    "replay",
    "schedule",
    "step",
    "values",
]


def initial_values(setup: LoanSetup) -> LoanValues:
    """Values of a loan before anything has happened to it (as of its contract date)."""
    terms = Terms.of(setup)
    return LoanValues.model_validate(values(open_ledger(terms), terms).to_dict())
