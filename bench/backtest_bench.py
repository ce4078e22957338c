"""The backtest benchmark: how fast lms.automation.backtest.replay goes through stored daily snapshots, in
loan-days per second, against replaying the same snapshots through the calculator alone (each loan-day's rule
variables built, lms.automation.context.loan_context, and no rule evaluated).

    python -m bench.backtest_bench            # what `make bench` runs
    python -m bench.backtest_bench --strict   # exit 2 when the target (at least 0.5x) is missed

The book is made in memory, as daily maintenance would have made it: loans of varied terms (some pay, some stop
paying), stepped day by day over 90 days with a live daily rulebook (a charge-off at 120 days past due, a
"Past Due" sub-status at 30, interest stopped at 90, a checklist item at 15), a snapshot a day taken before the
rules. The backtest replays the rulebook with the charge-off proposed at 90 days instead (so about one
loan-day in ten matches), no I/O on either side. Each round times both over the same loans, ten loans of
one and then of the other at a time (CPU time of this process, so another process on the machine slows both
alike); every round is printed, then the medians.
"""

from __future__ import annotations

import argparse
import functools
import gc
import random
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "shared"):  # the same import roots as pytest.ini
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from lms import loans as loan_service  # noqa: E402
from lms.automation.backtest import replay  # noqa: E402
from lms.automation.context import loan_context  # noqa: E402
from lms.automation.engine import applies, evaluate  # noqa: E402
from lms.automation.run import Run  # noqa: E402
from lms.contract import LateFeePeriod, Loan, LoanSetup, LoanValues, Rule, Transaction  # noqa: E402
from lms.ids import new_id  # noqa: E402
from lms.labels import Labels  # noqa: E402
from lms.servicing import Terms, advance, due_dates, installment, values  # noqa: E402
from lms.store.settings import SettingRow  # noqa: E402
from lms.tenancy import DEFAULT_LABELS  # noqa: E402
from lms.transactions import entries  # noqa: E402

START = date(2026, 3, 1)
END = START + timedelta(days=89)
ROUNDS, TARGET, SEED, CHUNK = 9, 0.5, 20260301, 10
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _rule(number: int, criteria: str, actions: list[dict[str, Any]], daily: bool = True) -> Rule:
    return Rule.model_validate(
        {
            "id": f"rul_{number}",
            "name": f"rule {number}",
            "active": True,
            "criteria": criteria,
            "actions": actions,
            "eval_daily": daily,
            "eval_real_time": not daily,
            "add_to_new_loans": True,
            "preactivation": False,
            "order": number,
            "version": 1,
            "created_at": NOW,
            "updated_at": NOW,
        }
    )


CHARGE_OFF: list[dict[str, Any]] = [
    {"type": "credit", "amount": {"base": "payoff"}, "category": "Charge-off", "chargeOff": True},
    {"type": "loan-settings", "loanStatus": "Closed", "loanSubStatus": "Charged Off"},
]
LIVE = [
    _rule(1, "(and (>= status-days-past-due 120) (not charged-off))", CHARGE_OFF),
    _rule(
        2,
        '(and (>= status-days-past-due 30) (= loan-sub-status "Repaying"))',
        [{"type": "loan-settings", "loanSubStatus": "Past Due"}],
    ),
    _rule(
        3,
        "(and (>= status-days-past-due 90) (not interest-stopped) (not charged-off))",
        [{"type": "stop-interest", "mode": "suspend"}],
    ),
    _rule(4, "(= status-days-past-due 15)", [{"type": "loan-checklist", "check": ["Late notice"]}]),
]
PROPOSED = [_rule(1, "(and (>= status-days-past-due 90) (not charged-off))", CHARGE_OFF), *LIVE[1:]]


def labels() -> Labels:
    rows = [SettingRow(kind, f"lbl_{n}", body) for n, (kind, body) in enumerate(DEFAULT_LABELS)]
    return Labels(rows + [SettingRow("checklist-item", "chk_1", {"title": "Late notice"})])


def book(
    size: int, tenant_labels: Labels
) -> tuple[list[Loan], dict[str, list[dict[str, Any]]], dict[str, list[Transaction]]]:
    """The loans, their daily snapshots and transactions, as maintenance with the LIVE rules writes them."""
    rng = random.Random(SEED)
    loans, snapshots, transactions = [], {}, {}
    for number in range(size):
        monthly = rng.random() < 0.8
        contract = END - timedelta(days=rng.randint(260, 600))
        setup = LoanSetup.model_validate(
            {
                "loanAmount": f"{rng.randrange(10, 300) * 100}.00",
                "interestRate": str(rng.randint(5, 25)),
                "termPeriods": rng.choice((24, 36, 48)) if monthly else rng.choice((78, 104)),
                "paymentFrequency": "monthly" if monthly else "biweekly",
                "contractDate": contract.isoformat(),
                "firstPaymentDate": (contract + timedelta(days=30 if monthly else 14)).isoformat(),
                "lateFee": {"amount": "25.00"},
            }
        )
        terms = Terms.of(setup)
        dues = [d for d in due_dates(terms) if d <= END]
        kind = rng.random()
        missed_from = END - timedelta(days=rng.randint(60, 200) if kind < 0.3 else rng.randint(0, 59))
        paid = dues if kind > 0.6 else [d for d in dues if d < missed_from]
        loan_id = f"loan_{number:06d}"
        txs = [
            Transaction(
                id=new_id("txn"), loan_id=loan_id, type="payment", amount=installment(terms), date=d, created_at=NOW
            )
            for d in paid
        ]
        loan = Loan.model_validate(
            {
                "id": loan_id,
                "display_id": loan_id,
                "setup": setup,
                "loan_status": "Open",
                "loan_sub_status": "Repaying",
                "active": True,
                "values": LoanValues(),
                "late_fee_history": [LateFeePeriod(since=contract, allowed=True)],
                "as_of": contract,
                "version": 1,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        loan, ledger = loan_service.recompute(loan, entries(txs), START - timedelta(days=1), tenant_labels)
        days: list[dict[str, Any]] = []
        made: list[Transaction] = []
        day = START
        while day <= END:  # maintenance's days: the servicing step, a snapshot, the daily rules
            ahead = [e for e in entries(txs + made) if e.day == day]
            ledger = advance(ledger, terms, day, [(p.since, p.allowed) for p in loan.late_fee_history], ahead)
            shown = LoanValues.model_validate(values(ledger, terms).to_dict())
            update = {
                "values": shown,
                "as_of": day,
                "charged_off": ledger.charged_off,
                "interest_stopped": ledger.stopped,
            }
            loan = loan.model_copy(update={**update, "ledger": ledger.to_doc()})
            days.append(
                {
                    "date": day.isoformat(),
                    "values": shown.model_dump(mode="json", by_alias=True),
                    "loanStatus": loan.loan_status,
                    "loanSubStatus": loan.loan_sub_status,
                    "chargedOff": loan.charged_off,
                    "interestStopped": loan.interest_stopped,
                }
            )
            stored = [*txs, *made]
            run = Run(loan, {}, tenant_labels, day, functools.partial(list, stored), utc_today=day)
            evaluate(run, [r for r in LIVE if applies(r, loan, "daily")])
            if run.loan is not loan:
                made += [t.model_copy(update={"source": "rule"}) for t in run.new_transactions]
                loan = run.loan
                ledger = type(ledger).from_doc(loan.ledger) if loan.ledger else ledger
            day += timedelta(days=1)
        loans.append(loan)
        snapshots[loan_id] = days
        transactions[loan_id] = txs + made
    return loans, snapshots, transactions


def calculator_alone(loans: list[Loan], snapshots: dict[str, list[dict[str, Any]]], tenant_labels: Labels) -> int:
    """The baseline: each loan-day rebuilt from its snapshot (as the backtest does) and its variables built."""
    built = 0
    for loan in loans:
        for snapshot in snapshots[loan.id]:
            day = date.fromisoformat(snapshot["date"])
            then = {"as_of": day, "maintained_through": day, "active": True, "archived": False, "ledger": None}
            then["values"] = LoanValues.model_validate(snapshot["values"])
            then["loan_status"], then["loan_sub_status"] = snapshot["loanStatus"], snapshot["loanSubStatus"]
            then["charged_off"], then["interest_stopped"] = snapshot["chargedOff"], snapshot["interestStopped"]
            past = loan.model_copy(update=then)
            loan_context(past, {}, day, lambda: (), day, labels=lambda: tenant_labels)
            built += 1
    return built


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=200)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    tenant_labels = labels()
    t0 = time.perf_counter()
    loans, snapshots, transactions = book(args.loans, tenant_labels)
    loan_days = sum(len(s) for s in snapshots.values())
    made = time.perf_counter() - t0
    print(f"backtest bench: {args.loans} loans x 90 days = {loan_days} loan-days (made in {made:.1f} s)")

    def backtested(chosen: list[Loan]) -> Any:
        return replay(chosen, snapshots, transactions, {}, PROPOSED, tenant_labels, since=START, until=END)

    answer = backtested(loans)
    matched = sum(d.matched for d in answer.days)
    actions = sum((Counter(d.actions) for d in answer.days), Counter())
    print(
        f"  rules {len(PROPOSED)}, loan-days matched {matched} ({matched / loan_days:.1%}), loans matched "
        f"{answer.loans_matched}, cascades {sum(d.cascades for d in answer.days)}, actions {dict(actions)}"
    )
    chunks = [loans[i : i + CHUNK] for i in range(0, len(loans), CHUNK)]
    base_rates, rates = [], []
    for number in range(1, ROUNDS + 1):
        # Chunk by chunk, the baseline then the backtest (CPU time of this process): noise hits both alike.
        base_seconds = seconds = 0.0
        gc.collect()
        for chunk in chunks:
            t0 = time.process_time()
            calculator_alone(chunk, snapshots, tenant_labels)
            t1 = time.process_time()
            backtested(chunk)
            base_seconds, seconds = base_seconds + t1 - t0, seconds + time.process_time() - t1
        base_rates.append(loan_days / base_seconds)
        rates.append(loan_days / seconds)
        print(
            f"  round {number}: calculator alone {base_rates[-1]:8.0f} loan-days/s   backtest {rates[-1]:8.0f} "
            f"loan-days/s   ratio {rates[-1] / base_rates[-1]:.2f}x"
        )
    base, real = statistics.median(base_rates), statistics.median(rates)
    ratio = real / base
    print(
        f"  median: calculator alone {base:.0f} loan-days/s, backtest {real:.0f} loan-days/s, ratio {ratio:.2f}x; "
        f"target at least {TARGET}x: {'met' if ratio >= TARGET else 'MISSED'}"
    )
    return 2 if args.strict and ratio < TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
