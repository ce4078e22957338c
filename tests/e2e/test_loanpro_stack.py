"""LoanPro's vocabulary end to end through the local stack (issue 16, acceptance 3): a charge-off rule at 120
DPD sets the credit status and closed date and suspends AutoPay, after which the next due date's AutoPay
collects nothing; a bankruptcy recorded through the API makes a chapter-13 rule fire in real time, and its
action updates the bankruptcy."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import settled, tenant_caller
from tests.e2e.test_maintenance_stack import SETUP

pytestmark = pytest.mark.e2e
CHAPTER_13 = '(and bankruptcy-active (= bankruptcy-chapter 13) (not= bankruptcy-petition-status "planConfirmed"))'


def _loan(call) -> dict:
    customer = call("POST", "/customers", {"firstName": "Lo", "lastName": "Anpro", "customerType": "individual"})
    loan = call("POST", "/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]})
    call("POST", f"/loans/{loan['id']}/activate")
    return loan


def _maintain(stack, call, day: str) -> None:
    call("PUT", "/tenant", {"businessDate": day})
    run = call("POST", "/maintenance/runs", {"businessDate": day})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        shown = call("GET", f"/maintenance/runs/{run['runId']}")
        if shown["state"] in ("completed", "failed"):
            assert (shown["state"], shown["loansFailed"]) == ("completed", 0), shown
            settled(stack)
            return
        time.sleep(0.2)
    raise AssertionError(f"the run for {day} did not finish: {stack.output()}")


def test_a_charge_off_at_120_dpd_sets_credit_status_and_closed_date_and_suspends_autopay(stack):
    _, call = tenant_caller(stack, "AutoPay Lender")
    call("PUT", "/tenant", {"businessDate": "2026-01-10"})
    loan = _loan(call)
    call("PUT", f"/loans/{loan['id']}/autopay", {"method": {"type": "ach", "token": "tok_nsf_0001"}})
    call(
        "POST",
        "/rules",
        {
            "name": "Charge off at 120",
            "criteria": "(>= status-days-past-due 120)",
            "evalRealTime": False,
            "actions": [
                {"type": "credit", "amount": {"base": "payoff"}, "category": "Charge-off", "chargeOff": True},
                {"type": "loan-settings", "creditStatus": "97", "closedDate": "today", "autopay": "suspend"},
            ],
        },
    )
    _maintain(stack, call, "2026-06-10")  # every collection declined (NSF): 120 days past due on June 10
    shown = call("GET", f"/loans/{loan['id']}")
    assert (shown["chargedOff"], shown["creditStatus"], shown["settings"]["closedDate"]) == (True, "97", "2026-06-10")
    assert shown["autopay"]["suspended"] is True
    assert shown["autopay"]["lastResult"]["status"] == "failed"
    assert shown["autopay"]["lastResult"]["reason"].startswith("NSF")

    # The account is good again, but the AutoPay stays suspended: July 10 collects nothing.
    call(
        "PUT", f"/loans/{loan['id']}/autopay", {"method": {"type": "ach", "token": "tok_good_0002"}, "suspended": True}
    )
    _maintain(stack, call, "2026-07-11")
    after = call("GET", f"/loans/{loan['id']}")
    assert after["autopay"]["lastResult"] == shown["autopay"]["lastResult"]
    sources = {t.get("source") for t in call("GET", f"/loans/{loan['id']}/transactions?limit=500")["items"]}
    assert "autopay" not in sources


def test_a_recorded_chapter_13_bankruptcy_fires_a_rule_that_updates_it(stack):
    _, call = tenant_caller(stack, "Bankruptcy Lender")
    loan = _loan(call)
    call(
        "POST",
        "/rules",
        {
            "name": "Chapter 13 plan",
            "criteria": CHAPTER_13,
            "evalDaily": False,
            "actions": [{"type": "bankruptcy", "petitionStatus": "planConfirmed", "automaticStay": True}],
        },
    )
    made = call("POST", f"/loans/{loan['id']}/bankruptcies", {"chapter": 13, "filingDate": "2026-03-01"})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        [record] = call("GET", f"/loans/{loan['id']}/bankruptcies")["items"]
        if record.get("petitionStatus") == "planConfirmed":
            break
        time.sleep(0.2)
    assert (record["id"], record["petitionStatus"], record["automaticStay"]) == (made["id"], "planConfirmed", True)
    entries = call("GET", f"/loans/{loan['id']}/rule-applications")["items"]
    assert [e["trigger"] for e in entries if e["matched"]] == ["loan-changed"], entries  # real time, on the change
