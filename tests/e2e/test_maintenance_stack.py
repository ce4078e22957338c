"""The seed's charge-off case end to end through the local stack (issue 6, acceptance 1): a loan never
paid, a daily rule charging off past 120 days; `make maintenance`'s runner (local.maintenance) starts
the run over HTTP, the queue pump hands its messages to the worker, and the loan is charged off on
exactly the first day its DPD exceeds 120, with a snapshot for every day."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

from tests.e2e.conftest import tenant_caller
from tests.e2e.test_readme import ROOT

pytestmark = pytest.mark.e2e
SETUP = {
    "loanAmount": "5000.00",
    "interestRate": "12",
    "termPeriods": 24,
    "paymentFrequency": "monthly",
    "contractDate": "2026-01-10",
    "firstPaymentDate": "2026-02-10",
}


def test_a_never_paid_loan_is_charged_off_on_the_first_day_past_120(stack):
    key, call = tenant_caller(stack, "Charge-off Lender")

    call("PUT", "/tenant", {"businessDate": "2026-01-10"})
    customer = call("POST", "/customers", {"firstName": "Never", "lastName": "Paid", "customerType": "individual"})
    loan = call("POST", "/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]})
    call("POST", f"/loans/{loan['id']}/activate")
    call(
        "POST",
        "/rules",
        {
            "name": "Charge off",
            "criteria": "(and (> status-days-past-due 120) (> status-payoff 0))",
            "actions": [
                {"type": "credit", "amount": {"base": "payoff"}, "chargeOff": True},
                {"type": "loan-settings", "loanStatus": "Closed", "loanSubStatus": "Charged Off"},
            ],
        },
    )
    call("PUT", "/tenant", {"businessDate": "2026-06-13"})

    runner = subprocess.run(
        [sys.executable, "-m", "local.maintenance", "2026-06-13"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "API": stack.api, "KEY": key},
    )
    assert runner.returncode == 0, runner.stdout + runner.stderr + stack.output()
    assert "completed: 1 loans, 0 failed" in runner.stdout, runner.stdout + runner.stderr
    assert "1/1" in runner.stderr and "100%" in runner.stderr, runner.stderr  # the progress bar, done

    shown = call("GET", f"/loans/{loan['id']}")
    assert (shown["chargedOff"], shown["loanStatus"], shown["loanSubStatus"]) == (True, "Closed", "Charged Off")
    credits = [t for t in call("GET", f"/loans/{loan['id']}/transactions")["items"] if t["type"] == "credit"]
    assert [(t["date"], t["chargeOff"]) for t in credits] == [("2026-06-11", True)]
    [entry] = call("GET", f"/loans/{loan['id']}/rule-applications")["items"]
    assert (entry["trigger"], entry["businessDate"]) == ("daily", "2026-06-11")
    snapshots = call("GET", f"/loans/{loan['id']}/snapshots?limit=500")["items"]
    days = [(date(2026, 1, 10) + timedelta(days=i)).isoformat() for i in range(155)]
    assert [s["date"] for s in snapshots] == days
    assert [s["date"] for s in snapshots if s["chargedOff"]] == days[days.index("2026-06-12") :]
    assert max(s["values"]["daysPastDue"] for s in snapshots if not s["chargedOff"]) == 121
