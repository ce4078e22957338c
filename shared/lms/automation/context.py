"""A loan's rule variables (docs/rules.md#variables): the context a compiled criteria reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..clock import utc_now
from ..contract import BUREAUS, Customer, Loan, Transaction
from ..labels import Labels
from ..rules.catalogue import DPD_HISTORY, ESCROW_AND_DISCOUNT, INTEREST_STOP, LEDGER_FIGURES, PORTFOLIO_INDEX
from ..servicing import Ledger, Terms, days_past_due_on, open_ledger, plan
from ..servicing import values as values_of
from ..servicing.status import HISTORY_THRESHOLDS, Bucket, history_code, history_days, largest, status
from ..transactions import entries

ZERO = Decimal("0.00")
NOT_KEPT = {v.name: ZERO for v in ESCROW_AND_DISCOUNT}  # this service keeps no escrow and no discount
Transactions = Callable[[], Sequence[Transaction]]
LabelsOf = Callable[[], Labels]  # the tenant's labels, read only when a rule reads a variable that needs them


def _figures(loan: Loan, today: date, transactions: Transactions, _labels: LabelsOf | None) -> dict[str, Any]:
    """The variables derived from the loan's ledger and schedule (servicing.status), LoanPro's names."""
    terms = Terms.of(loan.setup)
    schedule = plan(terms)
    ledger = Ledger.from_doc(loan.ledger) if loan.ledger else open_ledger(terms)
    current = values_of(ledger, terms, schedule)
    figures = status(ledger, terms, schedule, current)
    worst = largest(figures.buckets)
    scheduled = figures.scheduled
    return {
        "status-due-interest": figures.due_interest,
        "status-due-principal": figures.due_principal,
        "status-full-due": figures.full_due,
        "status-next-payment-principal": figures.next_payment_principal,
        "status-next-payment-interest": figures.next_payment_interest,
        "status-next-payment-fees": figures.next_payment_fees,
        "next-period-amount": figures.next_period_amount,
        "next-scheduled-payment-date": scheduled.due_date if scheduled else None,
        "next-scheduled-payment-amount": scheduled.payment if scheduled else None,
        "next-scheduled-payment-principal": scheduled.principal if scheduled else None,
        "next-scheduled-payment-interest": scheduled.interest if scheduled else None,
        "next-scheduled-payment-fees": figures.next_payment_fees if scheduled else None,
        "subsequent-due-date": figures.subsequent_due_date,
        "status-period-start": figures.period_start,
        "status-period-end": figures.period_end,
        "status-final-payment-date": figures.final_payment_date,
        "status-orig-maturity-date": figures.original_maturity_date,
        "date-of-first-delinquency": figures.first_delinquency,
        "today-minus-dpd": today - timedelta(days=current.days_past_due),
        "status-delinquent-bucket-date": worst.due_date if worst else None,
        "status-delinquent-bucket-amount": worst.past_due_amount if worst else None,
        "status-delinquent-buckets": len(figures.buckets),
        "status-delinquent-bucket-balance": bucket_balance(figures.buckets),
        "status-total-paid-principal": ledger.principal_paid,
        "status-total-paid-interest": ledger.interest_paid,
        "status-total-paid-fees": ledger.fees_paid,
        "status-total-credits": ledger.credits,
        "status-total-fees-charged": ledger.fees_charged,
        "status-total-interest-charged": ledger.interest_charged,
        "status-late-fees-charged": ledger.late_fees,
    }


def bucket_balance(buckets: tuple[Bucket, ...]) -> dict[str, dict[str, Any]]:
    """LoanPro's status-delinquent-bucket-balance: bucket "1" is the most recent installment missed, the
    highest number (also under "LARGEST-BUCKET") the oldest; past-due-amount is what was past due before the
    bucket's installment came due, new-due-amount that and the bucket's amount-due."""
    shaped: dict[str, dict[str, Any]] = {}
    before = ZERO
    for number, bucket in zip(range(len(buckets), 0, -1), buckets, strict=True):  # oldest first
        shaped[str(number)] = {
            "bucket-number": number,
            "installment": bucket.number,
            "due-date": bucket.due_date,
            "days-past-due": bucket.days_past_due,
            "scheduled-payment": bucket.scheduled_payment,
            "amount-due": bucket.past_due_amount,
            "past-due-amount": before,
            "new-due-amount": before + bucket.past_due_amount,
        }
        before += bucket.past_due_amount
    if buckets:
        shaped["LARGEST-BUCKET"] = shaped[str(len(buckets))]
    return shaped


def _history(loan: Loan, today: date, transactions: Transactions, _labels: LabelsOf | None) -> dict[str, Any]:
    """LoanPro's 24-month delinquency history: the days past due on the same day of each of the last 24
    months (one replay of the loan's transactions), as Metro 2 codes and as counts over each threshold."""
    terms = Terms.of(loan.setup)
    policy: bool | list[tuple[date, bool]] = [(p.since, p.allowed) for p in loan.late_fee_history] or True
    past_due = days_past_due_on(terms, entries(list(transactions())), history_days(today), policy)
    found: dict[str, Any] = {"status-24-dpd-history": "".join(history_code(d) for d in past_due)}
    for threshold in HISTORY_THRESHOLDS:
        found[f"status-24-dpd-{threshold}"] = sum(1 for d in past_due if d is not None and d >= threshold)
    return found


def _interest_stop(loan: Loan, today: date, transactions: Transactions, _labels: LabelsOf | None) -> dict[str, Any]:
    """Since when interest has been stopped: the first stop-interest of the stop in effect today (a later
    stop while stopped changes nothing; a resume ends it)."""
    since: date | None = None
    for entry in sorted(entries(list(transactions())), key=lambda e: e.day):  # a day's entries in posting order
        if entry.day > today:
            break
        if entry.kind == "stop-interest" and since is None:
            since = entry.day
        elif entry.kind == "resume-interest":
            since = None
    if since is None or not loan.interest_stopped:
        return {"stop-interest-date": None, "stop-interest-days": None}
    return {"stop-interest-date": since, "stop-interest-days": (today - since).days + 1}


def _portfolio_index(loan: Loan, today: date, transactions: Transactions, labels: LabelsOf | None) -> dict[str, Any]:
    """The loan's portfolios by the tenant's portfolio ids (a loan names them by title)."""
    known = labels().portfolios if labels is not None else {}
    indexed: dict[str, Any] = {}
    for title in loan.portfolios:
        portfolio = known.get(title.casefold())
        if portfolio is not None:
            subs = frozenset(s for s in loan.sub_portfolios if s in portfolio.sub_portfolios)
            indexed[portfolio.id] = {"id": portfolio.id, "title": portfolio.title, "sub-portfolios": subs}
    return {"portfolio": indexed, "portfolio-ids": frozenset(indexed)}


_GROUPS: tuple[tuple[frozenset[str], Callable[[Loan, date, Transactions, LabelsOf | None], dict[str, Any]]], ...] = (
    (frozenset(v.name for v in LEDGER_FIGURES), _figures),
    (frozenset(v.name for v in DPD_HISTORY), _history),
    (frozenset(v.name for v in INTEREST_STOP), _interest_stop),
    (frozenset(v.name for v in PORTFOLIO_INDEX), _portfolio_index),
)
LAZY_NAMES: frozenset[str] = frozenset().union(*(names for names, _ in _GROUPS))  # computed when first read


class LoanContext(dict[str, Any]):
    """A loan's variables: a dict a compiled criteria reads with c[name]. The ledger's figures (LoanPro's
    amounts, dates and buckets) and the 24-month history (a replay of the loan's transactions) are computed
    the first time a rule reads one of their group; anything that looks at every variable (iteration,
    items(), get, in) sees them all."""

    __slots__ = ("_loan", "_today", "_transactions", "_labels", "_pending")

    def __init__(
        self, eager: dict[str, Any], loan: Loan, today: date, transactions: Transactions, labels: LabelsOf | None
    ) -> None:
        super().__init__(eager)
        self._loan, self._today, self._transactions, self._labels = loan, today, transactions, labels
        self._pending = list(_GROUPS)

    def __missing__(self, name: str) -> Any:
        for group in self._pending:
            if name in group[0]:
                self._pending.remove(group)
                self.update(group[1](self._loan, self._today, self._transactions, self._labels))
                return dict.__getitem__(self, name)
        raise KeyError(name)

    def complete(self) -> LoanContext:
        while self._pending:
            _names, compute = self._pending.pop()
            self.update(compute(self._loan, self._today, self._transactions, self._labels))
        return self

    def get(self, name: str, default: Any = None) -> Any:  # dict's, completed first
        return dict.get(self.complete(), name, default)

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or any(name in names for names, _ in self._pending)

    def __iter__(self) -> Iterator[str]:
        return dict.__iter__(self.complete())

    def __len__(self) -> int:
        return dict.__len__(self.complete())

    def keys(self):  # dict's, completed first
        return dict.keys(self.complete())

    def values(self):  # dict's, completed first
        return dict.values(self.complete())

    def items(self):  # dict's, completed first
        return dict.items(self.complete())


_BANKRUPTCY_TEXT = {
    "bankruptcy-case-number": "caseNumber",
    "bankruptcy-petition-status": "petitionStatus",
    "bankruptcy-petition-type": "petitionType",
}
_BANKRUPTCY_DATES = {
    "bankruptcy-filing-date": "filingDate",
    "bankruptcy-dismissed-date": "dismissedDate",
    "bankruptcy-discharged-date": "dischargedDate",
    "bankruptcy-meeting-of-creditors-date": "meetingOfCreditorsDate",
    "bankruptcy-proof-of-claim-date": "proofOfClaimDate",
}


def _bankruptcy(record: dict[str, Any] | None) -> dict[str, Any]:
    """The active bankruptcy's fields (nil without one)."""
    found: dict[str, Any] = {name: (record or {}).get(key) for name, key in _BANKRUPTCY_TEXT.items()}
    for name, key in _BANKRUPTCY_DATES.items():
        text = (record or {}).get(key)
        found[name] = date.fromisoformat(text) if isinstance(text, str) else text
    found["bankruptcy-automatic-stay"] = (record or {}).get("automaticStay")
    return found


def _bureau_scores(role: str, customer: Customer | None) -> dict[str, Any]:
    """LoanPro's customer.<role>.credit-score-<bureau> and -average (of the bureaus' scores given, rounded)."""
    scores = customer.credit_scores if customer is not None else None
    found: dict[str, Any] = {f"{role}.credit-score-{b}": getattr(scores, b) if scores else None for b in BUREAUS}
    given = [s for s in found.values() if s is not None]
    found[f"{role}.credit-score-average"] = (
        int((Decimal(sum(given)) / len(given)).quantize(Decimal(1), ROUND_HALF_UP)) if given else None
    )
    return found


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


def loan_context(
    loan: Loan,
    customers: dict[str, Customer],
    today: date,
    transactions: Transactions,
    utc_today: date | None = None,
    *,
    labels: LabelsOf | None,
) -> LoanContext:
    """Every catalogue variable for this loan. customers: customer id -> customer, for every customer
    linked to the loan (their roles come from the loan); transactions: the loan's, read only when a rule
    reads its 24-month history; utc_today: what (u/today) gives, the tenant's business-date override when it has
    one (else the UTC date now); labels: the tenant's, read only when a rule reads the portfolios by id."""
    values = loan.values
    roles = {link.role.value: customers.get(link.customer_id) for link in loan.customers}
    primary, secondary = roles.get("primary"), roles.get("secondary")
    last_payment = values.last_payment_date
    setup = loan.setup
    bankruptcy = loan.bankruptcy if loan.bankruptcy and loan.bankruptcy.get("active", True) else None
    now = utc_now()
    eager = {
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
        **_bankruptcy(bankruptcy),
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
        **_bureau_scores("customer.primary", primary),
        **_bureau_scores("customer.secondary", secondary),
        "customer-statuses": frozenset(c.status for c in customers.values() if c is not None),
        "custom-fields": dict(loan.custom_fields),
        "current-date": today,
        "current-utc-date": utc_today or now.date(),
        "current-time": now.strftime("%H:%M:%S"),
        "loan-display-id": loan.display_id,
        "loan-create-time": loan.created_at.date(),
        "setup-days-in-year": 365 if (setup.day_count or "actual/365") == "actual/365" else 360,
        **NOT_KEPT,
    }
    return LoanContext(eager, loan, today, transactions, labels)


def shown(value: Any) -> Any:
    """A variable's value as the audit log and the API show it (JSON, exact)."""
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    if isinstance(value, dict):
        return {str(k): shown(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "as_tuple"):
        return f"{value:f}"
    return value
