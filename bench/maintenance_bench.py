"""The daily maintenance benchmark (issue 6): a night of maintenance for 1,000 and 10,000 loans with 20
daily rules, through dispatcher, queue and worker, against a moto server (its own process), as loans
per second, the worker's peak memory, and the ratio to a baseline worker that only reads and writes
each loan once.

    python -m bench.maintenance_bench            # what `make bench` runs
    python -m bench.maintenance_bench --strict   # exit 2 when the target (at most 1.5x) is missed

Per size: two tenants with the same N activated loans (cloned from one made through the library,
last maintained the day before). The baseline tenant's run is started and its queue drained by the
local queue pump with a baseline handler (expand pages as the real worker does; for each loan: one
GetItem, one versioned PutItem). Then the scheduler's dispatch creates the other tenant's run and the
pump drains it with the real worker (functions/maintenance_worker): servicing step, snapshot, 20
daily rules that do not match (a quiet night). Peak memory: tracemalloc in this process,
which holds the pump and the worker (moto runs in its own), measured in a second night of the same
loans (tracemalloc slows Python code, so never in the timed run).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "shared"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from datetime import UTC  # noqa: E402 - after the path set-up above, as the imports below

from bench.moto_process import moto_server  # noqa: E402

RULES, TARGET = 20, 1.5
DAY, NEXT = "2026-03-02", "2026-03-03"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    with moto_server() as endpoint:
        return _run(endpoint, [int(s) for s in args.sizes.split(",")], args.strict)


def _run(endpoint: str, sizes: list[int], strict: bool) -> int:
    import boto3

    from local.queues import QueuePump
    from local.resources import create_resources, load_template, tables

    template = load_template()
    for props in tables(template).values():  # no streams: nothing here reads them
        props.pop("StreamSpecification", None)
    session = boto3.Session(region_name="us-east-1")
    names = create_resources(session, endpoint_url=endpoint, template=template)
    os.environ.update({**names, "POWERTOOLS_LOG_LEVEL": "ERROR"})  # quiet: the figures only

    from datetime import datetime

    from functions.maintenance_worker.app import lambda_handler as worker
    from lms import maintenance, tenancy
    from lms.contract import TenantUpdate
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

    print(f"maintenance bench: one night, {RULES} daily rules (none match), moto server at {endpoint}")
    results = {}
    for size in sizes:
        base_tenant, tenant = (
            _tenant(session, endpoint, size, "baseline"),
            _tenant(session, endpoint, size, "maintenance"),
        )
        pump = QueuePump(session, endpoint_url=endpoint, handlers={"MaintenanceWorkerFunction": baseline})
        t0 = time.perf_counter()
        maintenance.start_run(base_tenant, _date(DAY), "bench")
        pump.drain(timeout=3600)
        base_seconds = time.perf_counter() - t0
        assert pump.depth("MaintenanceDeadLetterQueue") == 0, "the baseline failed"

        pump.set_handler("MaintenanceWorkerFunction", worker)
        t0 = time.perf_counter()
        created = maintenance.dispatch(datetime.now(UTC))
        assert (tenant, f"run-{DAY}") in created, created
        pump.drain(timeout=3600)
        seconds = time.perf_counter() - t0
        run = maintenance.get_run(tenant, f"run-{DAY}")
        assert (run.state, run.loans_done, run.loans_failed) == ("completed", size, 0), run
        # Memory, in a second night (tracemalloc slows Python code: not in the timed run).
        tenancy.update_tenant(tenant, TenantUpdate.model_validate({"businessDate": NEXT}), None)
        tracemalloc.start()
        maintenance.start_run(tenant, _date(NEXT), "bench")
        pump.drain(timeout=3600)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert maintenance.get_run(tenant, f"run-{NEXT}").loans_done == size
        results[size] = (size / base_seconds, size / seconds, peak)
        print(
            f"  {size:>6} loans: baseline (read + write each loan) {size / base_seconds:7.1f} loans/s   "
            f"maintenance {size / seconds:7.1f} loans/s   ratio {base_seconds and seconds / base_seconds:.2f}x   "
            f"worker peak memory {peak / 2**20:.1f} MiB"
        )
    worst = max(base / real for base, real, _ in results.values())
    peaks = [peak for *_, peak in results.values()]
    flat = max(peaks) <= 1.5 * min(peaks)
    print(
        f"  target at most {TARGET}x the baseline: {'met' if worst <= TARGET else 'MISSED'} ({worst:.2f}x); "
        f"memory {'flat' if flat else 'NOT flat'} from {min(results)} to {max(results)} loans "
        f"({min(peaks) / 2**20:.1f} -> {max(peaks) / 2**20:.1f} MiB)"
    )
    return 2 if strict and (worst > TARGET or not flat) else 0


def _date(text: str):
    from datetime import date

    return date.fromisoformat(text)


def _tenant(session, endpoint: str, size: int, name: str) -> str:
    """A tenant (business date DAY) with `size` activated loans maintained through the day before,
    and RULES daily rules: one loan made through the library, cloned with BatchWriteItem."""
    from datetime import timedelta

    from lms import labels, loans, tenancy
    from lms.automation import rulebook
    from lms.contract import ChecklistItemCreate, LoanCreate, RuleCreate, TenantCreate, TenantUpdate
    from lms.ids import new_id
    from lms.store import loans as loan_store
    from lms.store.loans import loan_item

    tenant = tenancy.create_tenant(TenantCreate.model_validate({"name": f"{name} {size}"})).tenant_id
    day = _date(DAY)
    tenancy.update_tenant(
        tenant, TenantUpdate.model_validate({"businessDate": (day - timedelta(days=1)).isoformat()}), None
    )
    labels.create(tenant, labels.CHECKLIST_ITEM, ChecklistItemCreate.model_validate({"title": "Watch"}))
    for i in range(RULES):
        rulebook.create(
            tenant,
            RuleCreate.model_validate(
                {
                    "name": f"rule {i}",
                    "evalRealTime": False,
                    "criteria": f'(and (> status-days-past-due {1000 + i}) (= loan-status "Open") (> status-payoff 0))',
                    "actions": [{"type": "loan-checklist", "check": ["Watch"]}],
                }
            ),
        )
    setup = {
        "loanAmount": "10000.00",
        "interestRate": "8",
        "termPeriods": 36,
        "paymentFrequency": "monthly",
        "contractDate": "2026-01-15",
        "firstPaymentDate": "2026-02-15",
    }
    made = loans.create(tenant, LoanCreate.model_validate({"setup": setup}))
    loans.activate(tenant, made.id)
    stored = loan_store.get(tenant, made.id)
    assert stored is not None, "the loan just created"
    model = stored.model_copy(update={"maintained_through": day - timedelta(days=1)})
    with LoanItem_batch() as batch:
        for _ in range(size - 1):
            batch.save(loan_item(tenant, model.model_copy(update={"id": new_id("loan")}), model.version))
        batch.save(loan_item(tenant, model, model.version))
    tenancy.update_tenant(tenant, TenantUpdate.model_validate({"businessDate": DAY}), None)
    return tenant


def LoanItem_batch():
    from lms.store.tables import LoanItem

    return LoanItem.batch_write()


if __name__ == "__main__":
    sys.exit(main())
