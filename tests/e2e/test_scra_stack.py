"""The seed's SCRA case end to end through the local stack over HTTP (issue 5, acceptance 1): the
stream pump delivers the customer change to the real-time handler, as Lambda would."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import settled, tenant_caller

pytestmark = pytest.mark.e2e
SETUP = {
    "loanAmount": "5000.00",
    "interestRate": "7.5",
    "termPeriods": 24,
    "paymentFrequency": "monthly",
    "contractDate": "2026-01-10",
    "firstPaymentDate": "2026-02-10",
}


def test_an_scra_status_change_reaches_all_three_loans_of_the_borrower(stack):
    _, call = tenant_caller(stack, "SCRA Lender")

    call("POST", "/customer-statuses", {"title": "SCRA"})
    call("POST", "/portfolios", {"title": "SCRA"})
    open_status = next(s for s in call("GET", "/loan-statuses")["items"] if s["title"] == "Open")
    call(
        "PUT",
        f"/loan-statuses/{open_status['id']}",
        {"subStatuses": [{"title": s["title"]} for s in open_status["subStatuses"]] + [{"title": "SCRA Adjusted"}]},
    )
    person = {"lastName": "Doe", "customerType": "individual"}
    borrower = call("POST", "/customers", {"firstName": "Sam", **person})
    other = call("POST", "/customers", {"firstName": "Ann", **person})
    loans = [
        call("POST", "/loans", {"setup": SETUP, "customers": customers})
        for customers in (
            [{"customerId": borrower["id"], "role": "primary"}],
            [{"customerId": borrower["id"], "role": "primary"}],
            [{"customerId": other["id"], "role": "primary"}, {"customerId": borrower["id"], "role": "secondary"}],
            [{"customerId": other["id"], "role": "primary"}],
        )
    ]
    rule = call(
        "POST",
        "/rules",
        {
            "name": "SCRA",
            "criteria": '(contains? customer-statuses "SCRA")',
            "actions": [
                {"type": "loan-settings", "addPortfolios": ["SCRA"]},
                {"type": "loan-settings", "loanSubStatus": "SCRA Adjusted"},
            ],
        },
    )
    for loan in loans:
        call("POST", f"/loans/{loan['id']}/activate")
    settled(stack)  # the activations are handled: none matched, the borrower is Active

    call("PUT", f"/customers/{borrower['id']}", {"status": "SCRA"})
    started = time.monotonic()
    while time.monotonic() - started < 10:
        shown = [call("GET", f"/loans/{loan['id']}") for loan in loans[:3]]
        if all(s["portfolios"] == ["SCRA"] and s["loanSubStatus"] == "SCRA Adjusted" for s in shown):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(
            f"not every loan changed within 10 s: {[(s['portfolios'], s['loanSubStatus']) for s in shown]}"
            f"\n{stack.output()}"
        )
    for loan in loans[:3]:
        log = call("GET", f"/loans/{loan['id']}/rule-applications")["items"]
        assert [(e["ruleId"], e["trigger"], e["matched"]) for e in log] == [(rule["id"], "customer-changed", True)]
    bystander = call("GET", f"/loans/{loans[3]['id']}")
    assert bystander["portfolios"] == [] and bystander["loanSubStatus"] == "Repaying"
    assert call("GET", f"/loans/{loans[3]['id']}/rule-applications")["items"] == []


def test_a_force_job_runs_through_the_stacks_queue_pump(stack):
    """POST /rules/{id}/force over HTTP: the queue pump hands the job's messages to the force worker."""
    _, call = tenant_caller(stack, "Job Lender")

    call("POST", "/checklist-items", {"title": "Reviewed"})
    loans = [call("POST", "/loans", {"setup": SETUP, "customers": []}) for _ in range(3)]
    rule = call(
        "POST",
        "/rules",
        {
            "name": "Review",
            "active": False,
            "criteria": "(>= status-principal-balance 0)",
            "actions": [{"type": "loan-checklist", "check": ["Reviewed"]}],
        },
    )
    job_id = call("POST", f"/rules/{rule['id']}/force", {})["jobId"]
    started = time.monotonic()
    while time.monotonic() - started < 10:
        job = call("GET", f"/jobs/{job_id}")
        if job["state"] == "completed":
            break
        time.sleep(0.2)
    assert (job["state"], job["loansTotal"], job["loansDone"], job["loansMatched"]) == ("completed", 3, 3, 3), job
    assert all(call("GET", f"/loans/{loan['id']}")["checklist"] == ["Reviewed"] for loan in loans)
