"""The real-time rules benchmark (issue 5): handler cost per DynamoDB stream record against the moto
server, for batches of 100 loan records with 20 real-time rules, as a ratio to a baseline handler that
only reads and writes each record's loan once.

    python -m bench.realtime_bench            # what `make bench` runs
    python -m bench.realtime_bench --strict   # exit 2 when the target (at most 1.5x) is missed

Each round: 100 loans are changed through the domain library (a custom field), their stream records
are collected, then handed as one batch to the real-time handler (functions/realtime); the baseline
handler gets a batch from the next change of the same loans. 20 rules: 18 that do not match, one that
matches half the loans (checks a checklist item), one that matches the other half (sets a custom
field), so a run both reads only and writes (loan, audit entry, marker) in realistic proportion.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "shared"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

LOANS, RULES, TARGET = 100, 20, 1.5


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()

    from bench.moto_process import moto_server

    with moto_server() as endpoint:
        return _run(endpoint, args)


def _run(endpoint: str, args: argparse.Namespace) -> int:
    import logging

    import boto3

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from local.resources import create_resources, load_template, tables

    # The tables of template.yaml without their streams: the bench builds its batches itself.
    template = load_template()
    for props in tables(template).values():
        props.pop("StreamSpecification", None)
    create_resources(boto3.Session(region_name="us-east-1"), endpoint_url=endpoint, template=template)

    from functions.realtime.app import lambda_handler
    from lms import labels, loans, tenancy
    from lms.automation import rulebook
    from lms.contract import ChecklistItemCreate, LoanCreate, LoanUpdate, RuleCreate, TenantCreate
    from lms.store.tables import LoanItem

    tenant = tenancy.create_tenant(TenantCreate.model_validate({"name": "Bench"})).tenant_id
    labels.create(tenant, labels.CHECKLIST_ITEM, ChecklistItemCreate.model_validate({"title": "Even"}))
    for i in range(RULES - 2):  # never match: realistic criteria over values, labels and customers
        rulebook.create(
            tenant,
            RuleCreate.model_validate(
                {
                    "name": f"quiet {i}",
                    "criteria": f'(and (> status-days-past-due {1000 + i}) (= loan-status "Open"))',
                    "actions": [{"type": "loan-checklist", "check": ["Even"]}],
                }
            ),
        )
    rulebook.create(
        tenant,
        RuleCreate.model_validate(
            {
                "name": "even",
                "criteria": '(= (rem (custom-field "n") 2) 0)',
                "actions": [{"type": "loan-checklist", "check": ["Even"]}],
            }
        ),
    )
    rulebook.create(
        tenant,
        RuleCreate.model_validate(
            {
                "name": "odd",
                "criteria": '(= (rem (custom-field "n") 2) 1)',
                "actions": [{"type": "loan-settings", "customFields": {"flag": "odd"}}],
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
    ids = []
    for _ in range(LOANS):
        loan = loans.create(tenant, LoanCreate.model_validate({"setup": setup}))
        loans.activate(tenant, loan.id)
        ids.append(loan.id)

    client = boto3.Session(region_name="us-east-1").client("dynamodb", endpoint_url=endpoint)
    stream_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/LoansTable/stream/2026-01-01T00:00:00.000"
    sequence = iter(range(10**20, 10**21))

    def batch(counter: int) -> dict:
        """Changes every loan (custom field n) through the domain library and returns the stream records
        those writes make (images read back from the table: moto's own stream is read by the local
        stack and the tests; here the batch must be exactly these 100 records)."""
        records = []
        for i, loan_id in enumerate(ids):
            loans.update(tenant, loan_id, LoanUpdate.model_validate({"customFields": {"n": counter * LOANS + i}}), None)
            new = client.get_item(
                TableName="LoansTable", Key={"tenantId": {"S": tenant}, "loanId": {"S": loan_id}}, ConsistentRead=True
            )["Item"]
            old = {
                **new,
                "customFields": {"M": {**new["customFields"]["M"], "n": {"N": str(counter * LOANS + i - 1)}}},
                "version": {"N": str(int(new["version"]["N"]) - 1)},
            }
            records.append(
                {
                    "eventID": uuid.uuid4().hex,
                    "eventName": "MODIFY",
                    "eventVersion": "1.1",
                    "eventSource": "aws:dynamodb",
                    "awsRegion": "us-east-1",
                    "eventSourceARN": stream_arn,
                    "dynamodb": {
                        "Keys": {"tenantId": new["tenantId"], "loanId": new["loanId"]},
                        "NewImage": new,
                        "OldImage": old,
                        "SequenceNumber": str(next(sequence)),
                        "SizeBytes": 1000,
                        "StreamViewType": "NEW_AND_OLD_IMAGES",
                    },
                }
            )
        return {"Records": records}

    def baseline(event: dict, _context: object) -> dict:
        for record in event["Records"]:
            keys = record["dynamodb"]["Keys"]
            item = LoanItem.get(keys["tenantId"]["S"], keys["loanId"]["S"], consistent_read=True)
            item.save()  # one read, one conditional (versioned) write
        return {"batchItemFailures": []}

    class Context:
        function_name, memory_limit_in_mb, aws_request_id = "RealtimeFunction", 512, "bench"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:RealtimeFunction"

        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 60_000

    best = {"baseline": float("inf"), "realtime": float("inf")}
    rounds: dict[str, list[float]] = {"baseline": [], "realtime": []}
    counter = 0
    for _ in range(args.rounds):
        for name, handler in (("baseline", baseline), ("realtime", lambda_handler)):
            counter += 1
            event = batch(counter)
            t0 = time.perf_counter()
            answer = handler(event, Context())
            elapsed = time.perf_counter() - t0
            assert answer == {"batchItemFailures": []}, answer
            best[name] = min(best[name], elapsed)
            rounds[name].append(elapsed / LOANS * 1000)

    matched = sum(1 for loan_id in ids if loans.get(tenant, loan_id).checklist == ["Even"])
    print(
        f"realtime bench: batches of {LOANS} loan stream records, {RULES} real-time rules, moto server at {endpoint}, "
        f"best of {args.rounds} rounds; {matched} loans matched the 'even' rule, the others the 'odd' one"
    )
    per = {name: seconds / LOANS * 1000 for name, seconds in best.items()}
    print(f"  baseline (read + write the loan)   {per['baseline']:7.2f} ms per record   1.00x")
    ratio = per["realtime"] / per["baseline"]
    print(f"  real-time handler, 20 rules        {per['realtime']:7.2f} ms per record   {ratio:.2f}x")
    shown = ", ".join(f"{name} " + " / ".join(f"{ms:.1f}" for ms in times) for name, times in rounds.items())
    print(
        f"  every round, ms per record: {shown} (the handler's first round also writes each loan: the "
        "rules change it; later rounds match without changing, so they write audit entries only)"
    )
    met = ratio <= TARGET
    print(f"  target at most {TARGET}x the baseline: {'met' if met else 'MISSED'} ({ratio:.2f}x)")
    return 2 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
