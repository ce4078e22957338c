"""A lender's book for the realtime and maintenance benches: loans of distinct amounts, rates, terms, ages and
delinquency, made through the domain library (create, activate, one payment covering the installments paid
so far), and what a bench run cost on DynamoDB, read from the moto server's usage counts (local.usage).

Delinquency: half the loans have paid every installment due, a fifth one short, the others two to twelve short
or (8%) nothing at all: days past due spread from 0 to about two years, as in a book with collections."""

from __future__ import annotations

import json
import random
import urllib.request
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

SEED = 20261207

# Criteria that match no loan of the book: realistic reads of values, labels and customers that cost what a
# rule that does not match costs.
QUIET = [
    '(= loan-sub-status "Bankruptcy")',
    '(contains? customer-statuses "Deceased")',
    "(> setup-loan-amount 5000000)",
    '(and (> status-days-past-due 30) (= customer.primary.status "SCRA"))',
    "(< status-payoff 0)",
    '(contains? portfolios "Legal")',
    "(> setup-interest-rate 45)",
    "(and (= status-days-past-due 0) (> status-amount-due 100000))",
    '(= setup-payment-frequency "weekly")',
    "(> setup-loan-term 360)",
    "(and (> status-days-past-due 5000) (> status-due-fees 0))",
    '(starts-with? loan-display-id "ZZ")',
    "(> (count checklist) 9)",
    "bankruptcy-active",
    "charged-off",
    "(> (u/date-compare current-date setup-contract-date) 100000)",
    '(= credit-status "Fraud")',
    '(and (> status-total-paid 10000000) (= loan-status "Open"))',
]


def set_day(tenant_id: str, day: date) -> None:
    from lms import tenancy
    from lms.contract import TenantUpdate

    tenancy.update_tenant(tenant_id, TenantUpdate.model_validate({"businessDate": day.isoformat()}), None)


def tenant(name: str, day: date) -> str:
    """A new tenant whose business date is `day`."""
    from lms import tenancy
    from lms.contract import TenantCreate

    made = tenancy.create_tenant(TenantCreate.model_validate({"name": name})).tenant_id
    set_day(made, day)
    return made


def _months_between(first: date, day: date) -> int:
    """Installments due from the first payment date up to `day` (monthly)."""
    if day < first:
        return 0
    return (day.year - first.year) * 12 + day.month - first.month + (1 if day.day >= first.day else 0)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, 28))


def make_loans(tenant_id: str, count: int, today: date, seed: int = SEED) -> list[str]:
    """`count` activated loans of the tenant (whose business date is `today`), each its own."""
    from lms import loans, transactions
    from lms.contract import LoanCreate, PaymentCreate

    rng = random.Random(seed)
    made = []
    for _ in range(count):
        amount = Decimal(rng.randrange(200, 4_000)) * 10
        rate = Decimal(rng.randrange(399, 2_999)).scaleb(-2)
        term = rng.choice((12, 24, 36, 48, 60, 72))
        contract = today - timedelta(days=rng.randint(20, 720))
        first = _add_months(contract, 1)
        setup = {
            "loanAmount": f"{amount:.2f}",
            "interestRate": f"{rate}",
            "termPeriods": term,
            "paymentFrequency": "monthly",
            "contractDate": contract.isoformat(),
            "firstPaymentDate": first.isoformat(),
        }
        loan = loans.create(tenant_id, LoanCreate.model_validate({"setup": setup}))
        loans.activate(tenant_id, loan.id)
        due = min(term - 1, _months_between(first, today))  # none paid off
        r = rng.random()
        short = 0 if r < 0.5 else 1 if r < 0.7 else rng.randint(2, 3) if r < 0.82 else rng.randint(4, 12)
        paid = 0 if r >= 0.92 else max(0, due - short)
        installment = (amount * (1 + rate * term / 1200) / term).quantize(Decimal("0.01"))
        if paid:
            transactions.pay(
                tenant_id,
                loan.id,
                PaymentCreate.model_validate(
                    {"amount": f"{installment * paid:.2f}", "date": _add_months(first, paid - 1).isoformat()}
                ),
            )
        made.append(loan.id)
    return made


def usage(endpoint: str, reset: bool = False) -> dict[str, dict[str, float]]:
    """The moto server's DynamoDB and SQS calls and request units since the last reset (LOCAL_USAGE=1)."""
    request = urllib.request.Request(f"{endpoint}/_local_usage", method="DELETE" if reset else "GET")
    with urllib.request.urlopen(request, timeout=300) as answer:
        return json.loads(answer.read())["calls"]


def per_unit(counted: dict[str, dict[str, float]], units: int) -> dict[str, Any]:
    """DynamoDB calls per unit (loan-day, stream record), by kind, and the write and read units per unit.
    item writes: calls that write one item or one transaction (PutItem, UpdateItem, DeleteItem,
    TransactWriteItems); loan writes: those that write a loan (a PutItem, or a transaction that holds one);
    batch writes and batch reads: BatchWriteItem and BatchGetItem calls."""
    kinds = {"item writes": 0.0, "loan writes": 0.0, "batch writes": 0.0, "reads": 0.0, "batch reads": 0.0}
    kinds["queries"] = 0.0
    operations: dict[str, float] = {}
    wru = rru = 0.0
    for key, entry in counted.items():
        if not key.startswith("DynamoDB."):
            continue
        wru += entry["writeUnits"]
        rru += entry["readUnits"]
        calls = entry["calls"]
        if key.endswith(" LoansTable") and entry.get("transactions"):
            kinds["loan writes"] += entry["transactions"] / units  # rule runs' transactions that wrote a loan
        if not calls:
            continue
        operation = key.split()[0].removeprefix("DynamoDB.")
        operations[key.removeprefix("DynamoDB.").replace(" (calls)", "")] = calls / units
        kind = {
            "PutItem": "item writes",
            "UpdateItem": "item writes",
            "DeleteItem": "item writes",
            "TransactWriteItems": "item writes",
            "BatchWriteItem": "batch writes",
            "GetItem": "reads",
            "TransactGetItems": "reads",
            "BatchGetItem": "batch reads",
            "Query": "queries",
            "Scan": "queries",
        }.get(operation)
        if kind:
            kinds[kind] += calls / units
        if kind == "item writes" and key.endswith(" LoansTable"):
            kinds["loan writes"] += calls / units
    return {**kinds, "write units": wru / units, "read units": rru / units, "operations": operations}


def shown(counts: dict[str, Any]) -> str:
    kinds = ", ".join(f"{k} {v:.3f}" for k, v in counts.items() if k != "operations")
    operations = ", ".join(f"{k} {v:.3f}" for k, v in sorted(counts["operations"].items()))
    return f"{kinds}\n      by call: {operations}"
