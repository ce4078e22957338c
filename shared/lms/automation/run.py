"""One loan as the rules of one run see and change it (lms.automation.actions applies the actions to it), and
the error an action raises when it cannot apply to the loan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from .. import loans
from ..clock import utc_now
from ..contract import AmountSpec, Customer, Loan, Transaction
from ..ids import new_id
from ..labels import Labels
from ..transactions import entries
from .amounts import base_amount
from .context import LoanContext, loan_context

ZERO = Decimal("0.00")


class ActionError(Exception):
    """This action cannot apply to this loan; the rule's run on the loan stops with this reason."""


@dataclass
class Run:
    """One loan as the rules of one run see and change it."""

    loan: Loan
    customers: dict[str, Customer]
    labels: Labels
    today: date
    load_transactions: Callable[[], list[Transaction]]  # the loan's transactions, read only if an action needs them
    new_transactions: list[Transaction] = field(default_factory=list)
    utc_today: date | None = None  # (u/today): the tenant's business-date override, else the UTC date now
    customer_changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    # The context last built, and the state it was built from: shared by the run's rules until one changes it.
    _built: tuple[tuple[Any, ...], LoanContext] | None = field(default=None, init=False, repr=False, compare=False)

    def context(self) -> LoanContext:
        """The loan's rule variables as it now stands (the transactions and labels read only when needed). Built
        once and shared by every rule of the run until an action changes the loan (actions replace it: it is
        immutable), its customers or its transactions; a state put back after a failed rule is the same state."""
        state = (self.loan, *self.customers.items(), *self.new_transactions)
        if self._built is None or self._built[0] != state:
            built = loan_context(
                self.loan,
                self.customers,
                self.today,
                self.seen_transactions,
                self.utc_today,
                labels=lambda: self.labels,
            )
            self._built = (state, built)
        return self._built[1]

    def amount(self, spec: AmountSpec) -> Decimal:
        """The spec's base value on the loan as it now stands, plus its fixed amount."""
        return base_amount(spec.base, self.loan, self.context) + spec.plus

    def post(self, kind: str, amount: Decimal = ZERO, day: date | None = None, **fields: Any) -> Transaction:
        """A transaction made by a rule: the loan's values are recomputed at once, so later actions
        and rules see them."""
        tx = Transaction(
            id=new_id("txn"),
            loan_id=self.loan.id,
            type=kind,
            amount=amount,
            date=day or self.today,
            source="rule",
            created_at=utc_now(),
            **fields,
        )
        self.new_transactions.append(tx)
        self.recompute()
        return tx

    @cached_property
    def transactions(self) -> list[Transaction]:
        return self.load_transactions()

    def seen_transactions(self) -> list[Transaction]:
        """The loan's transactions as the rule now running sees them: those stored and those this run made."""
        return [*self.transactions, *self.new_transactions]

    def recompute(self) -> None:
        every = self.transactions + self.new_transactions
        self.loan, _ = loans.recompute(self.loan, entries(every), max(self.today, self.loan.as_of), self.labels)
