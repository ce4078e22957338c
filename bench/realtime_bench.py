"""The real-time rules benchmark (issues 5 and 20): handler cost per DynamoDB stream record against the moto
server, for batches of 100 loan records with 20 real-time rules, as a ratio to a baseline handler that only
reads and writes each record's loan once; DynamoDB calls and request units per stream record.

    python -m bench.realtime_bench            # what `make bench` runs
    python -m bench.realtime_bench --strict   # exit 2 when the target (at most 1.5x) is missed

The loans: 100 of a realistic book (bench.book: distinct amounts, rates, terms, ages, delinquency). Each round,
every loan is changed through the domain library (its custom field n, as an API client would), the stream
records of those writes are collected, and the batch goes to one handler; the baseline handler and the
real-time handler (functions/realtime) each get a batch of their own per round, in turns (which goes first
alternates). 20 rules: 18 that do not match this book (over values, labels, customers), and two that match
about one loan in ten every round and change it: one checks the Watch item on the loans whose n ends a cycle
of 20, the other unchecks it on the loans checked the round before. So every round writes (the changed loans
with their audit entries) as well as reads. Every round is printed, the first (the handler's
first batch, cold) marked; the ratio quoted is the median of the rounds'. Then as many rounds in which two
new rules change every loan (the costliest a batch can be: every record a transaction of the loan and its
audit entries), in turns with the baseline as before. Targets, each at most 1.5x: the median of the
first rounds, the first round itself, and the median of the rounds that change every loan.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "shared"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

LOANS, RULES, TARGET = 100, 20, 1.5
TODAY = date(2026, 3, 1)
CHECK = '(= (mod (custom-field "n") 20) 0)'
UNCHECK = '(and (= (mod (custom-field "n") 20) 1) (contains? checklist "Watch"))'


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()

    import os

    from bench.moto_process import moto_server

    os.environ["LOCAL_USAGE"] = "1"  # the moto server counts calls and request units (local.usage)
    with moto_server() as endpoint:
        return _run(endpoint, args)


def _run(endpoint: str, args: argparse.Namespace) -> int:  # noqa: C901 - the bench's script, top to bottom
    import logging

    import boto3

    from bench import book

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from local.resources import create_resources, load_template, tables

    # The tables of template.yaml without their streams: the bench builds its batches itself.
    template = load_template()
    for props in tables(template).values():
        props.pop("StreamSpecification", None)
    create_resources(boto3.Session(region_name="us-east-1"), endpoint_url=endpoint, template=template)

    from functions.realtime.app import lambda_handler
    from lms import labels, loans
    from lms.automation import rulebook
    from lms.contract import ChecklistItemCreate, LoanUpdate, RuleCreate
    from lms.store.tables import LoanItem

    tenant = book.tenant("Bench", TODAY)
    labels.create(tenant, labels.CHECKLIST_ITEM, ChecklistItemCreate.model_validate({"title": "Watch"}))
    ids = book.make_loans(tenant, LOANS, TODAY)
    rules = [(c, {"type": "loan-checklist", "check": ["Watch"]}) for c in book.QUIET]
    rules += [
        (CHECK, {"type": "loan-checklist", "check": ["Watch"]}),
        (UNCHECK, {"type": "loan-checklist", "uncheck": ["Watch"]}),
    ]
    assert len(rules) == RULES
    for i, (criteria, action) in enumerate(rules):
        rulebook.create(
            tenant,
            RuleCreate.model_validate(
                {"name": f"rule {i}", "criteria": criteria, "evalDaily": False, "actions": [action]}
            ),
        )

    client = boto3.Session(region_name="us-east-1").client("dynamodb", endpoint_url=endpoint)
    stream_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/LoansTable/stream/2026-01-01T00:00:00.000"
    sequence = iter(range(10**20, 10**21))

    def batch(counter: int, step: int = 1) -> dict:
        """Changes every loan (custom field n: step * its index + counter) through the domain library and returns
        the stream records those writes make (images read back from the table: moto's own stream is read by the
        local stack and the tests; here the batch must be exactly these 100 records)."""
        records = []
        for i, loan_id in enumerate(ids):
            n = step * i + counter
            loans.update(tenant, loan_id, LoanUpdate.model_validate({"customFields": {"n": n}}), None)
            new = client.get_item(
                TableName="LoansTable", Key={"tenantId": {"S": tenant}, "loanId": {"S": loan_id}}, ConsistentRead=True
            )["Item"]
            old = {
                **new,
                "customFields": {"M": {**new["customFields"]["M"], "n": {"N": str(n - 1)}}},
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

    def checked(item: str) -> set[str]:
        return {loan_id for loan_id in ids if item in loans.get(tenant, loan_id).checklist}

    handlers = {"baseline": baseline, "real-time": lambda_handler}
    counts: dict[str, dict] = {}

    def rounds(item: str, step: int, start: int, offset: int, cold: bool) -> list[float]:
        """args.rounds rounds, baseline and handler in turns (which goes first alternates), each printed: the
        ratios. The real-time batch moves each loan's n on by one per round (the rules' cycles); the baseline's
        sets any other value (it reads no rule). Loans changed: those whose checklist item the rules flipped."""
        ratios = []
        for index in range(args.rounds):
            order = ["baseline", "real-time"] if index % 2 == 0 else ["real-time", "baseline"]
            ms = {}
            for name in order:
                event = batch(start + index, step) if name == "real-time" else batch(offset + index)
                before = checked(item) if name == "real-time" else set()
                book.usage(endpoint, reset=True)
                t0 = time.perf_counter()
                answer = handlers[name](event, Context())
                ms[name] = (time.perf_counter() - t0) / LOANS * 1000
                counts[name] = book.per_unit(book.usage(endpoint), LOANS)
                assert answer == {"batchItemFailures": []}, answer
                if name == "real-time":
                    changed = len(before ^ checked(item))
            ratios.append(ms["real-time"] / ms["baseline"])
            print(
                f"  {index + 1:>5}   {ms['baseline']:18.2f}   {ms['real-time']:19.2f}   {ratios[-1]:5.2f}x"
                f"   {changed:>26}   ({order[0]}){'   <- the handler cold' if cold and index == 0 else ''}"
            )
        return ratios

    print(
        f"realtime bench: batches of {LOANS} loan stream records (a realistic book), {RULES} real-time rules, "
        f"moto server at {endpoint}, {args.rounds} rounds, baseline and handler in turns"
    )
    print("  round   baseline ms/record   real-time ms/record   ratio   loans changed by the rules   (first)")
    ratios = rounds("Watch", 1, 1, 1_000_000, cold=True)
    median = statistics.median(ratios)
    print(f"  per stream record, real-time handler (the last round):\n    {book.shown(counts['real-time'])}")
    # Rounds in which the rules change every loan (the costliest a batch can be: every record a transaction of
    # the loan and its audit entries): two rules that check and uncheck Reviewed by n's parity, which every loan
    # shares in such a round (n is 2 x its index + the round, from 0: the first checks).
    labels.create(tenant, labels.CHECKLIST_ITEM, ChecklistItemCreate.model_validate({"title": "Reviewed"}))
    for title, criteria, verb in (
        ("check all", '(and (= (mod (custom-field "n") 2) 0) (not (contains? checklist "Reviewed")))', "check"),
        ("uncheck all", '(and (= (mod (custom-field "n") 2) 1) (contains? checklist "Reviewed"))', "uncheck"),
    ):
        rulebook.create(
            tenant,
            RuleCreate.model_validate(
                {
                    "name": title,
                    "criteria": criteria,
                    "evalDaily": False,
                    "actions": [{"type": "loan-checklist", verb: ["Reviewed"]}],
                }
            ),
        )
    print("  rounds in which the rules change every loan:")
    every = rounds("Reviewed", 2, 0, 3_000_000, cold=False)
    print(f"  per stream record, real-time handler (the last of those rounds):\n    {book.shown(counts['real-time'])}")
    print(f"  per stream record, baseline:\n    {book.shown(counts['baseline'])}")
    every_median = statistics.median(every)
    met = max(median, ratios[0], every_median) <= TARGET
    print(
        f"  target at most {TARGET}x the baseline: the median of the rounds, their first round, and the median of "
        f"the rounds that change every loan: {'met' if met else 'MISSED'} (median {median:.2f}x, first "
        f"{ratios[0]:.2f}x; every loan changed: median {every_median:.2f}x, worst {max(every):.2f}x)"
    )
    return 2 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
