"""What running a book on AWS would cost a month (issue 19), from counts measured on the local stack.

    make cost LOANS=1000000 RULES=50             # python -m bench.cost --loans 1000000 --rules 50
    python -m bench.cost --sample 50             # a smaller measured sample (default 150 loans)

It starts the local stack with usage counting on (LOCAL_USAGE=1: the moto server counts every call to AWS
and, for DynamoDB, the request units DynamoDB would charge, from the sizes of the items read and written;
the pumps and environments time every invocation). On a sample tenant with RULES rules and SAMPLE loans of
varied ages, after a first catch-up night, it measures:

- one night: daily maintenance for the next business date, with everything it sets off (snapshots, the
  daily rules, real-time cascades, events);
- a day's events, each on every loan of the sample: a payment, a read of the loan, a customer status change.

Per loan and day, the night and the events (at the rates of cost/prices.toml's [book] table) become request
units, SQS requests, Lambda requests and GB-seconds (each function's measured time at its template memory),
API Gateway requests, log bytes and stored bytes; times LOANS and 30.4 days, at the prices of
cost/prices.toml. Local time is not Lambda time: a call to moto takes about a millisecond, to DynamoDB a few;
the GB-seconds here are the measured local ones.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from bench.load_bench import ADMIN_KEY, Stack, local_status
from local.control import settled

ROOT = Path(__file__).resolve().parent.parent
PRICES = ROOT / "cost" / "prices.toml"
DAYS_PER_MONTH = 30.4
# SQS calls the local stack makes that Lambda's pollers and the functions do not make per message: the local
# status page's queue depths, a queue's URL looked up once per process.
NOT_PER_MESSAGE = {"AmazonSQS.GetQueueAttributes", "AmazonSQS.GetQueueUrl", "AmazonSQS.ListQueues"}
NIGHT = date(2026, 6, 1)  # the measured night; the sample's loans started up to a year before


def _call(port: int, method: str, path: str, key: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            text = answer.read()
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{method} {path}: {error.code} {error.read().decode(errors='replace')}") from None
    return json.loads(text) if text else {}


def _usage(moto: str, reset: bool = False) -> dict:
    request = urllib.request.Request(f"{moto}/_local_usage", method="DELETE" if reset else "GET")
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.loads(answer.read())


def _invocations(port: int) -> dict[str, tuple[int, int]]:
    """Per function: (invocations, handler milliseconds) so far."""
    status = local_status(port)
    found: Counter = Counter()
    millis: Counter = Counter()
    for entry in status["streams"] + status["queues"]:
        found[entry["function"]] += entry.get("invocations", 0)
        millis[entry["function"]] += entry.get("handlerMs", 0)
    if status.get("scheduler"):
        found["MaintenanceDispatchFunction"] += status["scheduler"]["fired"]
        millis["MaintenanceDispatchFunction"] += status["scheduler"].get("handlerMs", 0)
    api = status["api"]
    found["ApiFunction"] += api["invocations"]
    millis["ApiFunction"] += api.get("handlerMs", 0)
    return {f: (found[f], millis[f]) for f in found}


def _settled(port: int) -> None:
    settled(f"http://127.0.0.1:{port}", quiet_seconds=3.0, timeout=600)


class Phase:
    """What happened on the stack between start() and stop(): AWS calls, invocations, log bytes, storage."""

    def __init__(self, stack: Stack, moto: str, name: str, count_api: bool = True):
        self.stack, self.moto, self.name, self.count_api = stack, moto, name, count_api

    def start(self) -> Phase:
        _settled(self.stack.port)
        self.stored_before = sum(_usage(self.moto, reset=True)["storedBytes"].values())
        self.before = _invocations(self.stack.port)
        self.log_offset = self.stack.stdout_bytes
        return self

    def stop(self) -> Phase:
        _settled(self.stack.port)
        usage = _usage(self.moto)
        self.calls = usage["calls"]
        self.stored = sum(usage["storedBytes"].values())
        after = _invocations(self.stack.port)
        self.invocations = {
            f: (n - self.before.get(f, (0, 0))[0], ms - self.before.get(f, (0, 0))[1]) for f, (n, ms) in after.items()
        }
        self.log_bytes = self.stack.stdout_bytes - self.log_offset  # the functions' JSON log lines
        if not self.count_api:  # the night is started by the schedule: the measuring script's calls are not in it
            self.invocations.pop("ApiFunction", None)
        return self

    def units(self) -> dict[str, float]:
        dynamo = [v for k, v in self.calls.items() if k.startswith("DynamoDB.")]
        sqs = sum(
            v["calls"]
            for k, v in self.calls.items()
            if k.startswith("AmazonSQS.") and k.split(" ")[0] not in NOT_PER_MESSAGE and "(empty)" not in k
        )
        kms = sum(v["calls"] for k, v in self.calls.items() if k.startswith("TrentService."))
        secrets = sum(v["calls"] for k, v in self.calls.items() if k.startswith("secretsmanager."))
        lambda_calls = sum(n for f, (n, _) in self.invocations.items() if f != "ApiFunction")
        return {
            "dynamodb_calls": sum(v["calls"] for v in dynamo),
            "read_units": sum(v["readUnits"] for v in dynamo),
            "write_units": sum(v["writeUnits"] for v in dynamo),
            "sqs_requests": sqs,
            "kms_requests": kms,
            "secret_calls": secrets,
            "lambda_requests": lambda_calls + self.invocations.get("ApiFunction", (0, 0))[0],
            "api_requests": self.invocations.get("ApiFunction", (0, 0))[0],
            "lambda_gb_seconds": sum(ms for _, ms in self.invocations.values()) / 1000 * 0.5,  # 512 MB (template)
            "log_bytes": self.log_bytes,
            "stored_bytes": self.stored - self.stored_before,
        }


def _rules(count: int) -> list[dict]:
    """RULES rules over the families a lender writes: delinquency bands, amounts, statuses, portfolios."""
    shapes = [
        "(> status-days-past-due {n})",
        "(and (> status-days-past-due {n}) (> status-amount-due 100))",
        "(>= status-principal-balance {m})",
        '(and (contains? customer-statuses "SCRA") (> status-days-past-due {n}))',
        "(or (> status-days-past-due {n}) (< status-principal-balance 50))",
    ]
    rules = []
    for index in range(count):
        shape = shapes[index % len(shapes)]
        rules.append(
            {
                "name": f"Rule {index + 1}",
                "criteria": shape.format(n=60 + (index * 7) % 240, m=19000 + (index * 37) % 1000),
                "actions": [{"type": "loan-settings", "addPortfolios": ["Watch"]}],
            }
        )
    return rules


def _book(stack: Stack, rules: int, sample: int) -> tuple[str, list[dict]]:
    tenant = _call(stack.port, "POST", "/admin/tenants", ADMIN_KEY, {"name": "Cost Lender", "timezone": "UTC"})
    key = tenant["apiKey"]
    _call(stack.port, "PUT", "/tenant", key, {"businessDate": (NIGHT - timedelta(days=1)).isoformat()})
    _call(stack.port, "POST", "/portfolios", key, {"title": "Watch"})
    _call(stack.port, "POST", "/customer-statuses", key, {"title": "SCRA", "active": True})
    for rule in _rules(rules):
        _call(stack.port, "POST", "/rules", key, rule)
    chosen = random.Random(19)
    loans = []
    for index in range(sample):
        customer = _call(
            stack.port,
            "POST",
            "/customers",
            key,
            {"firstName": "Cost", "lastName": f"{index}", "customerType": "individual"},
        )
        # Most loans are current (their first payment not due yet); about one in seven started long ago and was
        # never paid, so the delinquency rules match about that share.
        started = NIGHT - timedelta(days=chosen.randint(60, 360) if index % 7 == 0 else chosen.randint(3, 25))
        setup = {
            "loanAmount": f"{chosen.randint(20, 200) * 100}.00",
            "interestRate": str(chosen.choice([6.5, 9.5, 14, 21])),
            "termPeriods": chosen.choice([12, 24, 36, 60]),
            "paymentFrequency": "monthly",
            "contractDate": started.isoformat(),
            "firstPaymentDate": (started + timedelta(days=30)).isoformat(),
        }
        loan = _call(
            stack.port,
            "POST",
            "/loans",
            key,
            {"setup": setup, "customers": [{"customerId": customer["id"], "role": "primary"}]},
        )
        _call(stack.port, "POST", f"/loans/{loan['id']}/activate", key)
        loans.append({**loan, "customerId": customer["id"]})
    return key, loans


def _run_night(stack: Stack, key: str, day: date) -> dict:
    _call(stack.port, "PUT", "/tenant", key, {"businessDate": day.isoformat()})
    run = _call(stack.port, "POST", "/maintenance/runs", key, {"businessDate": day.isoformat()})
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        state = _call(stack.port, "GET", f"/maintenance/runs/{run['runId']}", key)
        if state["state"] in ("completed", "failed"):
            return state
        time.sleep(0.5)
    raise SystemExit("the maintenance run did not finish in 15 minutes")


def _scheduled_once(port: int) -> None:
    """Waits for the scheduler's first round (it fires as the stack starts, then once a day here). Fired after the
    lender was made and before its loans, it would make that day's run with no loan in it, and the catch-up night
    would be that empty run again."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        scheduler = _call(port, "GET", "/_local/status", "").get("scheduler") or {}
        if scheduler.get("fired"):
            return
        time.sleep(0.2)
    raise SystemExit("the local stack's scheduler did not fire in 2 minutes")


def measure(rules: int, sample: int) -> dict[str, dict[str, float]]:
    os.environ["LOCAL_USAGE"] = "1"
    os.environ["MAINTENANCE_DISPATCH_SECONDS"] = "86400"  # the runs measured are the ones this script starts
    stack = Stack()
    try:
        moto = json.loads((stack.state / "stack.json").read_text())["moto"]
        print(f"measuring on the local stack: {sample} loans, {rules} rules", flush=True)
        _scheduled_once(stack.port)  # its first round made no run of the lender's, whose loans are not made yet
        key, loans = _book(stack, rules, sample)
        _settled(stack.port)
        caught_up = _run_night(stack, key, NIGHT - timedelta(days=1))  # the catch-up night: not measured
        if caught_up["loansDone"] != sample:  # else the measured night would hold two loan-days of some loans
            raise SystemExit(f"the catch-up night maintained {caught_up['loansDone']} of {sample} loans")
        night = Phase(stack, moto, "night", count_api=False).start()
        state = _run_night(stack, key, NIGHT)
        night.stop()
        print(f"  night {NIGHT}: {state['loansDone']} loans maintained, {state['loansFailed']} failed", flush=True)
        payments = Phase(stack, moto, "payments").start()
        for loan in loans:
            _call(stack.port, "POST", f"/loans/{loan['id']}/payments", key, {"amount": "25.00"})
        payments.stop()
        reads = Phase(stack, moto, "reads").start()
        for loan in loans:
            _call(stack.port, "GET", f"/loans/{loan['id']}", key)
        reads.stop()
        changes = Phase(stack, moto, "customer changes").start()
        for loan in loans:
            _call(stack.port, "PUT", f"/customers/{loan['customerId']}", key, {"status": "SCRA"})
        changes.stop()
        matched = sum(
            "Watch" in _call(stack.port, "GET", f"/loans/{loan['id']}", key).get("portfolios", []) for loan in loans
        )
        print(f"  the rules matched {matched} of {sample} loans by the end", flush=True)
        for phase in (night, payments):
            heaviest = sorted(phase.calls.items(), key=lambda kv: -kv[1]["writeUnits"])[:6]
            print(
                f"  {phase.name}, write units per loan by call: "
                + ", ".join(f"{k.removeprefix('DynamoDB.')} {v['writeUnits'] / sample:.1f}" for k, v in heaviest),
                flush=True,
            )
        per_loan = {p.name: {k: v / sample for k, v in p.units().items()} for p in (night, payments, reads, changes)}
        per_loan["book"] = {"stored_bytes": night.stored_before / sample}  # what the loans themselves take
        return per_loan
    finally:
        stack.stop()


def monthly(per_loan: dict[str, dict[str, float]], loans: int, prices: dict) -> list[tuple[str, float, str, float]]:
    """(what, units a month, unit, dollars a month) for the book."""
    book = prices["book"]
    rate = {
        "night": 1.0,
        "payments": book["payments_per_loan_month"] / DAYS_PER_MONTH,
        "reads": book["loan_reads_per_loan_day"],
        "customer changes": book["customer_changes_per_loan_month"] / DAYS_PER_MONTH,
    }
    day: Counter = Counter()
    for phase, units in per_loan.items():
        if phase == "book":
            continue
        for name, value in units.items():
            day[name] += value * rate[phase]
    month = {name: value * loans * DAYS_PER_MONTH for name, value in day.items()}
    stored_gb = month["stored_bytes"] / 1e9  # a month's growth
    book_gb = per_loan["book"]["stored_bytes"] * loans / 1e9  # the loans, customers, rules and labels as they are
    p = prices
    # X-Ray's default sampling: the first request each second, then 5% of the others.
    reservoir = DAYS_PER_MONTH * 86400
    traces = min(month["lambda_requests"], reservoir + 0.05 * max(0.0, month["lambda_requests"] - reservoir))
    rows = [
        (
            "DynamoDB writes",
            month["write_units"],
            "write units",
            month["write_units"] / 1e6 * p["dynamodb"]["per_million_write_request_units"],
        ),
        (
            "DynamoDB reads",
            month["read_units"],
            "read units",
            month["read_units"] / 1e6 * p["dynamodb"]["per_million_read_request_units"],
        ),
        (
            "DynamoDB storage + PITR (the book)",
            book_gb,
            "GB",
            book_gb * (p["dynamodb"]["storage_per_gb_month"] + p["dynamodb"]["point_in_time_recovery_per_gb_month"]),
        ),
        (
            "DynamoDB storage + PITR (a month's growth)",
            stored_gb,
            "GB",
            stored_gb * (p["dynamodb"]["storage_per_gb_month"] + p["dynamodb"]["point_in_time_recovery_per_gb_month"]),
        ),
        (
            "Lambda requests",
            month["lambda_requests"],
            "requests",
            month["lambda_requests"] / 1e6 * p["lambda"]["per_million_requests"],
        ),
        (
            "Lambda compute",
            month["lambda_gb_seconds"],
            "GB-s",
            month["lambda_gb_seconds"] * p["lambda"]["per_gb_second"],
        ),
        (
            "API Gateway",
            month["api_requests"],
            "requests",
            month["api_requests"] / 1e6 * p["api_gateway"]["per_million_rest_requests"],
        ),
        ("SQS", month["sqs_requests"], "requests", month["sqs_requests"] / 1e6 * p["sqs"]["per_million_requests"]),
        (
            "X-Ray traces (sampled)",
            traces,
            "traces",
            traces / 1e6 * p["xray"]["per_million_traces_recorded"],
        ),
        (
            "CloudWatch Logs",
            month["log_bytes"] / 1e9,
            "GB",
            month["log_bytes"]
            / 1e9
            * (
                p["cloudwatch"]["logs_ingested_per_gb"]
                + p["cloudwatch"]["logs_stored_per_gb_month"] * p["book"]["log_retention_months"]
            ),
        ),
        ("KMS requests", month["kms_requests"], "requests", month["kms_requests"] / 1e4 * p["kms"]["per_10k_requests"]),
        (
            "Secrets Manager calls",
            month["secret_calls"],
            "calls",
            month["secret_calls"] / 1e4 * p["secrets_manager"]["per_10k_api_calls"],
        ),
        (
            "Fixed: 1 KMS key, 1 secret, 5 alarms",
            1,
            "stack",
            p["kms"]["per_key_month"]
            + p["secrets_manager"]["per_secret_month"]
            + 5 * p["cloudwatch"]["alarm_per_month"],
        ),
    ]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--sample", type=int, default=150)
    args = parser.parse_args(argv)
    prices = tomllib.loads(PRICES.read_text())
    per_loan = measure(args.rules, args.sample)
    print("\nmeasured per loan (one night; each event once):")
    keys = list(per_loan["night"])
    print(f"  {'':18}" + "".join(f"{k:>18}" for k in keys))
    for phase, units in per_loan.items():
        if phase != "book":
            print(f"  {phase:18}" + "".join(f"{units[k]:>18.3f}" for k in keys))
    print(f"  stored per loan before the night: {per_loan['book']['stored_bytes']:,.0f} bytes")
    rows = monthly(per_loan, args.loans, prices)
    total = sum(r[3] for r in rows)
    print(
        f"\na month of {args.loans:,} loans with {args.rules} rules, "
        f"at the prices of {prices['as_of']} ({prices['region']}):"
    )
    print(f"  {'':44} {'a month':>16} {'unit':<12} {'USD':>12}")
    for what, amount, unit, dollars in rows:
        print(f"  {what:44} {amount:>16,.1f} {unit:<12} {dollars:>12,.2f}")
    print(f"  {'total':44} {'':>16} {'':<12} {total:>12,.2f}")
    print(f"  per loan and month: {total / max(1, args.loans) * 100:.4f} cents")
    return 0 if math.isfinite(total) else 1


if __name__ == "__main__":
    sys.exit(main())
