"""The amounts an action's amount spec may start from (docs/rules.md#amounts-computed-from-the-loan):
LoanPro's 22 base values (Rules Applied - Loan Settings, "Base Value") and this service's interest-accrued,
each read from the loan as it stands when the action applies. Amounts this service does not keep (escrow,
discounts, advancements, lines of credit, an underwriting fee) are zero, as their rule variables are."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..autopay import next_amount
from ..contract import Loan
from ..servicing import Terms, plan

ZERO = Decimal("0.00")
Context = Callable[[], Mapping[str, Any]]  # the loan's rule variables, built when a base needs one


def _value(name: str) -> Callable[[Loan, Context], Decimal]:
    return lambda loan, _: getattr(loan.values, name) or ZERO


def _variable(name: str) -> Callable[[Loan, Context], Decimal]:
    return lambda _, context: context()[name] or ZERO


def _schedule_total(part: str) -> Callable[[Loan, Context], Decimal]:
    return lambda loan, _: sum((getattr(row, part) for row in plan(Terms.of(loan.setup)).rows), ZERO)


def _remaining_interest(loan: Loan, context: Context) -> Decimal:
    """The schedule's interest not yet paid: the finance charge less the interest paid so far."""
    return max(ZERO, _schedule_total("interest")(loan, context) - context()["status-total-paid-interest"])


def _zero(loan: Loan, context: Context) -> Decimal:
    return ZERO


BASES: dict[str, Callable[[Loan, Context], Decimal]] = {
    "zero": _zero,
    "amount-past-due": _value("amount_past_due"),
    "principal-balance": _value("principal_balance"),
    "payoff": _value("payoff"),
    "due-fees": _value("due_fees"),
    "due-principal": _variable("status-due-principal"),
    "due-interest": _variable("status-due-interest"),
    "due-escrow": _zero,
    "payoff-fees": _value("due_fees"),  # no fee here comes due only at payoff: the payoff's fees are the due fees
    "remaining-discount": _zero,
    "remaining-interest": _remaining_interest,
    "total-advancements": _zero,
    "total-credits": _variable("status-total-credits"),
    "next-autopay-amount": lambda loan, _: next_amount(loan),
    "available-credit": _zero,
    "last-payment-amount": _value("last_payment_amount"),
    "next-payment-amount": _value("next_payment_amount"),
    "total-payments-collected": _value("total_paid"),
    "total-loan-amount": lambda loan, _: loan.setup.loan_amount,
    "underwriting-fee": _zero,
    "til-finance-charge": _schedule_total("interest"),
    "til-total-of-payments": _schedule_total("payment"),
    "interest-accrued": _value("interest_accrued"),
}


def base_amount(base: str, loan: Loan, context: Context) -> Decimal:
    return BASES[base](loan, context)
