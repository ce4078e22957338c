"""The servicing calculator's benchmark (issue 4): loan-days per second of the daily step on one core.

    python -m bench.servicing_bench            # what `make bench` runs
    python -m bench.servicing_bench --strict   # exit 2 when the target is missed

Generated loans (seeded; four frequencies, three day counts, late fees, some paid ahead, some behind)
are brought forward day by day over a year. Timed, best of several rounds, interleaved:
  baseline   a loop that only copies each loan's fields (the ledger's state) once per loan-day;
  step       the daily step: accrual, installments falling due, late fees;
  step+values  the step and the loan's values (DPD, APD, payoff, next payment...), as maintenance
               needs them for the snapshot and the daily rules.
Target: step+values at least 20,000 loan-days/s.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "shared"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from lms.servicing import Entry, Terms, plan, replay, step, values  # noqa: E402
from lms.servicing.ledger import STATE_FIELDS  # noqa: E402

TARGET = 20_000
FREQUENCIES = ("monthly", "semi-monthly", "biweekly", "weekly")
DAY_COUNTS = ("actual/365", "actual/360", "30/360")


def generate(count: int, seed: int) -> list[tuple[Terms, list[Entry]]]:
    rng = random.Random(seed)
    loans = []
    for i in range(count):
        contract = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 365))
        terms = Terms(
            loan_amount=Decimal(rng.randrange(100_000, 5_000_000)) / 100,
            interest_rate=Decimal(rng.randrange(0, 36_000)) / 1000,
            term_periods=rng.choice((12, 24, 36, 60, 72)),
            payment_frequency=rng.choice(FREQUENCIES),
            contract_date=contract,
            first_payment_date=contract + timedelta(days=rng.randrange(14, 45)),
            day_count=rng.choice(DAY_COUNTS),
            grace_days=rng.choice((0, 5, 10, 15)),
            late_fee_amount=rng.choice((None, Decimal("25.00"), Decimal("10.00"))),
        )
        entries = [
            Entry(
                f"p{i}-{k}",
                "payment",
                contract + timedelta(days=30 * (k + 1)),
                Decimal(rng.randrange(5_000, 60_000)) / 100,
            )
            for k in range(rng.randrange(0, 6))
        ]
        loans.append((terms, entries))
    return loans


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    loans = generate(args.loans, seed=20260131)
    started = date(2026, 3, 1)
    # Each loan as maintenance finds it: its ledger at the start date (transactions before it applied).
    prepared = [(terms, plan(terms), replay(terms, entries, started)) for terms, entries in loans]
    loan_days = args.loans * args.days

    def baseline() -> float:
        ledgers = [copy.copy(ledger) for _, _, ledger in prepared]
        t0 = time.perf_counter()
        for _ in range(args.days):
            for ledger in ledgers:
                {name: getattr(ledger, name) for name in STATE_FIELDS}  # noqa: B018  (copy the loan's fields)
        return time.perf_counter() - t0

    def stepping(with_values: bool) -> float:
        ledgers = [(terms, schedule, copy.copy(ledger)) for terms, schedule, ledger in prepared]
        t0 = time.perf_counter()
        for _ in range(args.days):
            for terms, schedule, ledger in ledgers:
                step(ledger, terms, schedule)
                if with_values:
                    values(ledger, terms, schedule)
        return time.perf_counter() - t0

    best = {"baseline": float("inf"), "step": float("inf"), "step+values": float("inf")}
    for _ in range(args.rounds):
        best["baseline"] = min(best["baseline"], baseline())
        best["step"] = min(best["step"], stepping(False))
        best["step+values"] = min(best["step+values"], stepping(True))

    print(
        f"servicing bench: {args.loans:,} generated loans x {args.days} days = {loan_days:,} loan-days, one core, "
        f"best of {args.rounds} rounds; Python {platform.python_version()}"
    )
    base_rate = loan_days / best["baseline"]
    for name, seconds in best.items():
        rate = loan_days / seconds
        print(
            f"  {name:<12} {rate:>12,.0f} loan-days/s   {rate / base_rate:>6.3f}x baseline   "
            f"({seconds / loan_days * 1e6:.1f} us per loan-day)"
        )
    terms = Terms(Decimal("250000.00"), Decimal("6.5"), 360, "monthly", date(2000, 1, 1), date(2000, 2, 1))
    t0 = time.perf_counter()
    replay(terms, [], date(2029, 12, 31))
    print(
        f"  replay of a 30-year loan from its contract date (10,957 days): {(time.perf_counter() - t0) * 1000:.0f} ms "
        "(what a reversal or back-dated payment costs at worst)"
    )
    rate = loan_days / best["step+values"]
    met = rate >= TARGET
    print(f"  target step+values >= {TARGET:,} loan-days/s: {'met' if met else 'MISSED'} ({rate:,.0f})")
    return 2 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
