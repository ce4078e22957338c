"""The daily maintenance benchmark (issues 6 and 20): nights of maintenance over a realistic book with 20 daily
rules, through dispatcher, queue and worker, against a moto server (its own process), as a ratio to a
baseline worker that only reads and writes each loan once; DynamoDB calls and request units per loan-day;
the worker's memory as the book grows.

    python -m bench.maintenance_bench            # what `make bench` runs
    python -m bench.maintenance_bench --strict   # exit 2 when a target is missed

The book (bench.book): 1,000 loans made through the domain library, each its own amount, rate, term, age and
delinquency. Two tenants hold the same loans: the maintenance tenant (with the transactions) and the baseline
tenant (copies of the loan items: the baseline reads nothing else). 20 daily rules over values, labels and
customers: two match about one loan in ten (delinquent loans: a checklist item, a portfolio), so a night both
reads only and writes (the loan, its audit entries) as a lender's does; the first night is the one in which
those rules change the loans, later nights match without changing (audit entries only).

Each round is one business day: the baseline night (its run started, its queue drained by the local queue pump
with a handler that expands pages as the worker does and, per loan, makes one GetItem and one versioned
PutItem) and the maintenance night (the scheduler's dispatch creates the run, the pump drains it with the real
worker: servicing step, snapshot, daily rules), in turns (which goes first alternates). Every round is
printed; the ratio quoted is the median of the rounds'. Then a quiet night (the matching rules switched off:
no rule matches) is counted: DynamoDB calls per loan-day, from the moto server's usage counts (local.usage).
Memory: tracemalloc in this process, which holds the pump and the worker (moto runs in its own), over a night
of the 1,000 loans and of 10,000 (the book cloned ten times), never in a timed night (it slows Python).

Targets: the median ratio at most 1.5x; on the quiet night at most 1 write of the loan and 0.1 batch reads per
loan-day (the writes of the run's own bookkeeping, a few per run and one per batch of 250 loans, are printed
beside it: they are not per loan); memory flat (the larger book's peak at most 1.5x the smaller's).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "shared"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from datetime import UTC  # noqa: E402 - after the path set-up above, as the imports below

from bench import book  # noqa: E402
from bench.moto_process import moto_server  # noqa: E402

RULES, TARGET, WRITES_TARGET, BATCH_READS_TARGET = 20, 1.5, 1.0, 0.1
FIRST = date(2026, 3, 2)  # the first night; the book is made on the day before

# Two rules that match about one delinquent loan in ten; eighteen that do not match this book.
MATCHING = [
    ('(and (> status-days-past-due 90) (< status-days-past-due 240) (= loan-status "Open"))', "check"),
    ("(and (> status-days-past-due 540) (> status-payoff 1000))", "portfolio"),
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=1000, help="loans in the book (each its own)")
    parser.add_argument("--rounds", type=int, default=5, help="nights, each baseline and maintenance")
    parser.add_argument("--memory-sizes", default="1000,10000", help="books whose night's memory is compared")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    os.environ["LOCAL_USAGE"] = "1"  # the moto server counts calls and request units (local.usage)
    with moto_server() as endpoint:
        return _run(endpoint, args)


def _run(endpoint: str, args: argparse.Namespace) -> int:  # noqa: C901 - the bench's script, top to bottom
    import boto3

    from local.queues import QueuePump
    from local.resources import create_resources, load_template, tables

    template = load_template()
    for props in tables(template).values():  # no streams: nothing here reads them
        props.pop("StreamSpecification", None)
    session = boto3.Session(region_name="us-east-1")
    names = create_resources(session, endpoint_url=endpoint, template=template)
    os.environ.update({**names, "POWERTOOLS_LOG_LEVEL": "ERROR"})  # quiet: the figures only

    from functions.maintenance_worker.app import lambda_handler as worker
    from lms import maintenance
    from lms.store.tables import LoanItem

    def baseline(event: dict, _context: object) -> dict:
        import json

        for record in event["Records"]:
            body = json.loads(record["body"])
            if body["type"] == "expand":
                maintenance.expand(body)
                continue
            for loan_id in body["loanIds"]:
                item = LoanItem.get(body["tenantId"], loan_id, consistent_read=True)
                item.save()  # one read, one conditional (versioned) write
        return {"batchItemFailures": []}

    started = time.perf_counter()
    tenant = _tenant("maintenance", FIRST - timedelta(days=1))
    book.make_loans(tenant, args.loans, FIRST - timedelta(days=1))
    base_tenant = _copy(tenant, "baseline")
    print(
        f"maintenance bench: {args.loans:,} loans, each its own (made in {time.perf_counter() - started:.0f} s), "
        f"{RULES} daily rules of which {len(MATCHING)} match about one loan in ten; moto server at {endpoint}"
    )
    pump = QueuePump(session, endpoint_url=endpoint, handlers={"MaintenanceWorkerFunction": baseline})

    def night(which: str, day: date) -> tuple[float, dict]:
        book.set_day(base_tenant if which == "baseline" else tenant, day)
        book.usage(endpoint, reset=True)  # what the night's run costs, from here
        if which == "baseline":
            pump.set_handler("MaintenanceWorkerFunction", baseline)
            t0 = time.perf_counter()
            maintenance.start_run(base_tenant, day, "bench")
            pump.drain(timeout=3600)
            seconds = time.perf_counter() - t0
            assert pump.depth("MaintenanceDeadLetterQueue") == 0, "the baseline failed"
        else:
            pump.set_handler("MaintenanceWorkerFunction", worker)
            t0 = time.perf_counter()
            created = maintenance.dispatch(datetime.now(UTC))
            assert (tenant, f"run-{day}") in created, created
            pump.drain(timeout=3600)
            seconds = time.perf_counter() - t0
            run = maintenance.get_run(tenant, f"run-{day}")
            assert (run.state, run.loans_done, run.loans_failed) == ("completed", args.loans, 0), run
        return seconds, book.per_unit(book.usage(endpoint), args.loans)

    ratios, matched = [], []
    print("  night        baseline loans/s  maintenance loans/s   ratio   matched   (who went first)")
    for index in range(args.rounds):
        day = FIRST + timedelta(days=index)
        order = ("baseline", "maintenance") if index % 2 == 0 else ("maintenance", "baseline")
        seconds, counts = {}, {}
        for which in order:
            seconds[which], counts[which] = night(which, day)
        ratio = seconds["maintenance"] / seconds["baseline"]
        ratios.append(ratio)
        matched.append(_matched(tenant, day))
        print(
            f"  {day}   {args.loans / seconds['baseline']:14.1f}   {args.loans / seconds['maintenance']:17.1f}"
            f"   {ratio:5.2f}x   {matched[-1]:>5} loans   ({order[0]}){'   <- the writing night' if index == 0 else ''}"
        )
        if index == 0:
            writing = counts["maintenance"]
    median = statistics.median(ratios)
    print(f"  median of {args.rounds} nights: {median:.2f}x the baseline (target at most {TARGET}x)")
    print(f"  per loan-day, the writing night ({FIRST}):\n    {book.shown(writing)}")
    print(f"  per loan-day, the last night (matching without changing):\n    {book.shown(counts['maintenance'])}")
    print(f"  per loan-day, the baseline:\n    {book.shown(counts['baseline'])}")

    _switch(tenant, active=False)  # a quiet night: no rule matches
    quiet_day = FIRST + timedelta(days=args.rounds)
    _, quiet = night("maintenance", quiet_day)
    assert _matched(tenant, quiet_day) == 0, "a rule matched on the quiet night"
    _switch(tenant, active=True)
    writes_met = quiet["loan writes"] <= WRITES_TARGET
    reads_met = quiet["batch reads"] <= BATCH_READS_TARGET
    print(f"  per loan-day, a quiet night ({quiet_day}, no rule matches):\n    {book.shown(quiet)}")
    print(
        f"  target on a quiet night: at most {WRITES_TARGET:g} write of the loan per loan-day: "
        f"{'met' if writes_met else 'MISSED'} ({quiet['loan writes']:.3f}; with the run's own bookkeeping "
        f"{quiet['item writes']:.3f}); at most {BATCH_READS_TARGET:g} batch "
        f"reads: {'met' if reads_met else 'MISSED'} ({quiet['batch reads']:.3f})"
    )

    peaks = {}
    day = quiet_day
    for size in (int(s) for s in args.memory_sizes.split(",")):
        day += timedelta(days=1)
        traced = tenant if size == args.loans else _clones(tenant, size, day - timedelta(days=1))
        book.set_day(traced, day)
        pump.set_handler("MaintenanceWorkerFunction", worker)
        tracemalloc.start()
        maintenance.start_run(traced, day, "bench")
        pump.drain(timeout=3600)
        _, peaks[size] = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert maintenance.get_run(traced, f"run-{day}").loans_done == size
        print(f"  worker peak memory over a night of {size:>6,} loans: {peaks[size] / 2**20:.1f} MiB")
    flat = max(peaks.values()) <= 1.5 * min(peaks.values())
    met = median <= TARGET
    print(
        f"  targets: ratio {'met' if met else 'MISSED'} ({median:.2f}x <= {TARGET}x); quiet night "
        f"{'met' if writes_met and reads_met else 'MISSED'}; memory {'flat' if flat else 'NOT flat'} from "
        f"{min(peaks):,} to {max(peaks):,} loans ({min(peaks.values()) / 2**20:.1f} -> "
        f"{max(peaks.values()) / 2**20:.1f} MiB); {time.perf_counter() - started:.0f} s in all"
    )
    return 2 if args.strict and not (met and writes_met and reads_met and flat) else 0


def _tenant(name: str, day: date) -> str:
    """A tenant whose business date is `day`, with the 20 daily rules (the matching ones first)."""
    from lms import labels
    from lms.automation import rulebook
    from lms.contract import ChecklistItemCreate, PortfolioCreate, RuleCreate

    tenant = book.tenant(name, day)
    labels.create(tenant, labels.CHECKLIST_ITEM, ChecklistItemCreate.model_validate({"title": "Watch"}))
    labels.create(tenant, labels.PORTFOLIO, PortfolioCreate.model_validate({"title": "Recovery"}))
    actions = {
        "check": {"type": "loan-checklist", "check": ["Watch"]},
        "portfolio": {"type": "loan-settings", "addPortfolios": ["Recovery"]},
    }
    for i, (criteria, action) in enumerate(MATCHING + [(c, "check") for c in book.QUIET]):
        rulebook.create(
            tenant,
            RuleCreate.model_validate(
                {"name": f"rule {i}", "evalRealTime": False, "criteria": criteria, "actions": [actions[action]]}
            ),
        )
    return tenant


def _switch(tenant: str, active: bool) -> None:
    """The matching rules on or off (off: a quiet night)."""
    from lms.automation import rulebook
    from lms.contract import RuleUpdate

    matching = {f"rule {i}" for i in range(len(MATCHING))}
    for rule in rulebook.every(tenant):
        if rule.name in matching:
            rulebook.update(tenant, rule.id, RuleUpdate.model_validate({"active": active}), None)


def _matched(tenant: str, day: date) -> int:
    """Loans of the night's run on which a rule matched (its results, as the worker counted them)."""
    from lms.maintenance.runs import run_key
    from lms.store.tables import JobItem

    prefix = JobItem.sk.startswith(f"res#{run_key(day)}#")
    return sum(1 for item in JobItem.query(tenant, prefix, consistent_read=True) if (item.body or {}).get("matched"))


def _items(tenant: str):
    from lms.store.tables import LoanItem

    return list(LoanItem.query(tenant, consistent_read=True))


def _copy(source: str, name: str) -> str:
    """A tenant holding copies of the source tenant's loan items (what the baseline reads and writes)."""
    from lms.store.tables import LoanItem

    tenant = book.tenant(name, FIRST - timedelta(days=1))
    with LoanItem.batch_write() as batch:
        for item in _items(source):
            item.tenant_id = tenant
            batch.save(item)
    return tenant


def _clones(source: str, size: int, day: date) -> str:
    """A tenant (business date `day`, the 20 rules) with `size` loans: the source's cloned, each its own id."""
    from lms.ids import new_id
    from lms.store.tables import LoanItem

    tenant = _tenant(f"clones {size}", day)
    items = _items(source)
    with LoanItem.batch_write() as batch:
        for i in range(size):
            item = items[i % len(items)]
            item.tenant_id, item.loan_id = tenant, new_id("loan")
            batch.save(item)
    return tenant


if __name__ == "__main__":
    sys.exit(main())
