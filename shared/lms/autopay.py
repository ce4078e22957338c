"""A loan's AutoPay (docs/http.md#autopay): set, shown and removed through the API, collected by daily
maintenance on each due date through its processor (lms.processors), and suspended or continued by the
loan-settings action. The loan keeps it (a change is a change of the loan: its version, its stream record,
real-time rules); each collection's outcome is its `lastResult`, sent as autopay.succeeded or
autopay.failed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from .clock import utc_now
from .contract import Autopay, AutopayPut, Loan, Transaction
from .errors import NotFound
from .ids import new_id, stable_id
from .loans import get as get_loan
from .processors import PROCESSORS, Charge
from .servicing import Terms, due_dates, plan
from .store import loans as store
from .store.errors import check_version, update_versioned

ZERO = Decimal("0.00")


def get(tenant_id: str, loan_id: str) -> Autopay:
    loan = get_loan(tenant_id, loan_id)
    if loan.autopay is None:
        raise NotFound("the loan has no AutoPay")
    return Autopay.model_validate(loan.autopay)


def put(tenant_id: str, loan_id: str, request: AutopayPut, if_match: int | None) -> Autopay:
    """Sets the loan's AutoPay (replacing the one it had, whose id and last result it keeps)."""
    expected = request.version if request.version is not None else if_match
    fields = request.model_dump(mode="json", by_alias=True, exclude={"version"})

    def attempt() -> Loan:
        current = get_loan(tenant_id, loan_id)
        check_version("loan", current.version, expected)
        before = current.autopay or {}
        now = utc_now().isoformat()
        autopay = {
            "id": before.get("id") or new_id("apy"),
            **fields,
            "lastResult": before.get("lastResult"),
            "createdAt": before.get("createdAt") or now,
            "updatedAt": now,
        }
        if {k: v for k, v in autopay.items() if k != "updatedAt"} == {
            k: v for k, v in before.items() if k != "updatedAt"
        }:
            return current
        return store.save(tenant_id, current.model_copy(update={"autopay": autopay, "updated_at": utc_now()}), current)

    loan = update_versioned("loan", expected, attempt)
    return Autopay.model_validate(loan.autopay)


def delete(tenant_id: str, loan_id: str, if_match: int | None) -> None:
    def attempt() -> Loan:
        current = get_loan(tenant_id, loan_id)
        check_version("loan", current.version, if_match)
        if current.autopay is None:
            raise NotFound("the loan has no AutoPay")
        return store.save(tenant_id, current.model_copy(update={"autopay": None, "updated_at": utc_now()}), current)

    update_versioned("loan", if_match, attempt)


def _amount(loan: Loan, autopay: dict[str, Any], installment: Decimal) -> Decimal:
    kind = autopay.get("amountType", "scheduled")
    if kind == "fixed":
        wanted = Decimal(str(autopay["amount"]))
    elif kind == "amount-past-due":
        wanted = loan.values.amount_past_due
    elif kind == "payoff":
        wanted = loan.values.payoff
    else:
        wanted = installment
    return max(ZERO, min(wanted, loan.values.payoff))


def next_amount(loan: Loan) -> Decimal:
    """What the loan's AutoPay would collect on the next due date if it ran on the loan as it stands now:
    zero without an AutoPay that collects (none, inactive or suspended) or without a payment to come."""
    autopay, due = loan.autopay, loan.values.next_payment_date
    if not autopay or not autopay.get("active", True) or autopay.get("suspended", False) or due is None:
        return ZERO
    return _amount(loan, autopay, _installment(loan, due))


def _installment(loan: Loan, due: date) -> Decimal:
    """The scheduled payment due on `due` (0.00 when no installment is due that day)."""
    return next((r.payment for r in plan(Terms.of(loan.setup)).rows if r.due_date == due), ZERO)


def _millis(day: date) -> int:
    return int(datetime.combine(day, time(), UTC).timestamp() * 1000)


def collect(tenant_id: str, loan: Loan, day: date) -> tuple[Transaction | None, dict[str, Any] | None]:
    """The day's collection, when the loan's AutoPay collects on it (active, not suspended, a due date, an
    amount to take): the payment it posts (None when declined) and the AutoPay with its new last result.
    The processor is asked with the same key however often the day is planned: it charges once."""
    autopay = loan.autopay
    if not autopay or not autopay.get("active", True) or autopay.get("suspended", False):
        return None, None
    terms = Terms.of(loan.setup)
    if day not in due_dates(terms):  # the dates alone: the amortized schedule only on a due date
        return None, None
    amount = _amount(loan, autopay, _installment(loan, day))
    if amount <= 0:
        return None, None
    key = f"{tenant_id}:{loan.id}:{autopay['id']}:{day.isoformat()}"
    method = autopay.get("method") or {}
    outcome = PROCESSORS[autopay.get("processor", "local")].charge(
        Charge(key, amount, str(method.get("type", "")), str(method.get("token", "")))
    )
    result: dict[str, Any] = {
        "date": day.isoformat(),
        "status": "succeeded" if outcome.succeeded else "failed",
        "amount": f"{amount:f}",
        "reference": outcome.reference,
        "reason": outcome.reason,
        "transactionId": None,
    }
    payment = None
    if outcome.succeeded:
        payment = Transaction(
            id=stable_id("txn", _millis(day), key),  # the same payment however often the day is planned
            loan_id=loan.id,
            type="payment",
            amount=amount,
            date=day,
            method=f"autopay-{method.get('type', '')}",
            source="autopay",
            created_at=utc_now(),
        )
        result["transactionId"] = payment.id
    return payment, {**autopay, "lastResult": result}
