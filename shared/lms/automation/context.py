"""A loan's rule variables (docs/rules.md#variables): the context a compiled criteria reads."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..contract import Customer, Loan
from ..servicing import Terms, plan


def _customer_map(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {
        "id": customer.id,
        "status": customer.status,
        "credit-score": customer.credit_score,
        "first-name": customer.first_name,
        "last-name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "customer-type": customer.customer_type.value,
    }


def loan_context(loan: Loan, customers: dict[str, Customer], today: date) -> dict[str, Any]:
    """Every catalogue variable for this loan. customers: customer id -> customer, for every customer
    linked to the loan (their roles come from the loan)."""
    values = loan.values
    roles = {link.role.value: customers.get(link.customer_id) for link in loan.customers}
    primary, secondary = roles.get("primary"), roles.get("secondary")
    last_payment = values.last_payment_date
    setup = loan.setup
    bankruptcy = loan.bankruptcy if loan.bankruptcy and loan.bankruptcy.get("active", True) else None
    return {
        "status-days-past-due": values.days_past_due,
        "status-amount-due": values.amount_past_due,
        "status-payoff": values.payoff,
        "status-perdiem": values.per_diem,
        "status-principal-balance": values.principal_balance,
        "status-interest-accrued": values.interest_accrued,
        "status-due-fees": values.due_fees,
        "status-next-payment-date": values.next_payment_date,
        "status-next-payment-amount": values.next_payment_amount,
        "status-last-payment-date": last_payment,
        "status-last-payment-amount": values.last_payment_amount,
        "status-loan-recency": None if last_payment is None else (today - last_payment).days,
        "status-total-paid": values.total_paid,
        "status-orig-maturity-date": plan(Terms.of(setup)).rows[-1].due_date,
        "loan-status": loan.loan_status,
        "loan-sub-status": loan.loan_sub_status,
        "credit-status": loan.credit_status,
        "portfolios": frozenset(loan.portfolios),
        "sub-portfolios": frozenset(loan.sub_portfolios),
        "checklist": frozenset(loan.checklist),
        "loan-active": loan.active,
        "loan-archived": loan.archived,
        "interest-stopped": loan.interest_stopped,
        "charged-off": loan.charged_off,
        "bankruptcy-active": bankruptcy is not None,
        "bankruptcy-chapter": bankruptcy.get("chapter") if bankruptcy else None,
        "setup-loan-amount": setup.loan_amount,
        "setup-interest-rate": setup.interest_rate,
        "setup-loan-term": setup.term_periods,
        "setup-payment-frequency": setup.payment_frequency.value,
        "setup-contract-date": setup.contract_date,
        "setup-first-payment-date": setup.first_payment_date,
        "setup-grace-days": setup.grace_days,
        "customer.primary": _customer_map(primary),
        "customer.secondary": _customer_map(secondary),
        "customer.primary.status": primary.status if primary else None,
        "customer.secondary.status": secondary.status if secondary else None,
        "customer.primary.id": primary.id if primary else None,
        "customer.secondary.id": secondary.id if secondary else None,
        "customer.primary.credit-score": primary.credit_score if primary else None,
        "customer.secondary.credit-score": secondary.credit_score if secondary else None,
        "customer-statuses": frozenset(c.status for c in customers.values() if c is not None),
        "custom-fields": dict(loan.custom_fields),
        "current-date": today,
    }


def shown(value: Any) -> Any:
    """A variable's value as the audit log and the API show it (JSON, exact)."""
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    if isinstance(value, dict):
        return {k: shown(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "as_tuple"):
        return f"{value:f}"
    return value
