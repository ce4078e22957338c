"""The servicing calculator: pure functions over Decimal, no I/O (docs/servicing.md). It knows
nothing of the HTTP contract: `Terms.of` reads any object with a loan setup's fields."""

from __future__ import annotations

from .ledger import (
    BUCKETS,
    Allocation,
    Entry,
    Ledger,
    Values,
    advance,
    apply,
    days_past_due_on,
    open_ledger,
    replay,
    step,
    values,
)
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
    "BUCKETS",
    "Entry",
    "Ledger",
    "Plan",
    "Row",
    "Terms",
    "Values",
    "advance",
    "apply",
    "book",
    "days_past_due_on",
    "due_dates",
    "installment",
    "open_ledger",
    "plan",
    "replay",
    "schedule",
    "step",
    "values",
]
