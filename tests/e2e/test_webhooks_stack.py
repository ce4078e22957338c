"""The seed's webhook use case end to end through the local stack (issue 7, acceptance 1): a daily rule on
loans more than 60 days past due notifies a webhook that calls this service's own API back,
`PUT /customers/[[v('customer.primary.id')]]` with `{"status": "Delinquent"}`; the customer's new status
then fires a real-time rule on the customer's other loan."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import tenant_caller

pytestmark = pytest.mark.e2e
NEVER_PAID = {
    "loanAmount": "5000.00",
    "interestRate": "12",
    "termPeriods": 24,
    "paymentFrequency": "monthly",
    "contractDate": "2026-01-10",
    "firstPaymentDate": "2026-02-10",
}
NOT_DUE_YET = {**NEVER_PAID, "firstPaymentDate": "2026-05-10"}


def test_a_delinquent_loan_makes_its_customer_delinquent_through_a_webhook_and_the_other_loan_follows(stack):
    key, call = tenant_caller(stack, "Webhook Lender")
    call("PUT", "/tenant", {"businessDate": "2026-01-10"})
    call("POST", "/customer-statuses", {"title": "Delinquent", "active": True, "displayOrder": 3})
    call("POST", "/portfolios", {"title": "Collections"})
    customer = call("POST", "/customers", {"firstName": "Late", "lastName": "Payer", "customerType": "individual"})
    owner = [{"customerId": customer["id"], "role": "primary"}]
    late = call("POST", "/loans", {"setup": NEVER_PAID, "customers": owner})
    other = call("POST", "/loans", {"setup": NOT_DUE_YET, "customers": owner})
    for loan in (late, other):
        call("POST", f"/loans/{loan['id']}/activate")

    hook = call(
        "POST",
        "/webhooks",
        {
            "name": "Mark the customer delinquent",
            "method": "PUT",
            "url": stack.api + "/customers/[[v('customer.primary.id')]]",
            "headers": {"Authorization": f"Bearer {key}"},
            "bodyTemplate": '{"status": "Delinquent"}',
        },
    )
    call(
        "POST",
        "/rules",
        {
            "name": "Over 60 days",
            "criteria": "(> status-days-past-due 60)",
            "evalRealTime": False,
            "actions": [{"type": "notify", "webhookId": hook["id"]}],
        },
    )
    call(
        "POST",
        "/rules",
        {
            "name": "Delinquent customer",
            "criteria": '(contains? customer-statuses "Delinquent")',
            "evalDaily": False,
            "actions": [{"type": "loan-settings", "addPortfolios": ["Collections"]}],
        },
    )

    # 2026-04-12: the first day the never-paid loan is 61 days past due (due 2026-02-10).
    call("PUT", "/tenant", {"businessDate": "2026-04-12"})
    run = call("POST", "/maintenance/runs", {})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = call("GET", f"/customers/{customer['id']}")["status"]
        portfolios = call("GET", f"/loans/{other['id']}")["portfolios"]
        if status == "Delinquent" and "Collections" in portfolios:
            break
        time.sleep(0.5)
    assert call("GET", f"/maintenance/runs/{run['runId']}")["state"] == "completed"
    assert call("GET", f"/customers/{customer['id']}")["status"] == "Delinquent", stack.output()
    assert "Collections" in call("GET", f"/loans/{other['id']}")["portfolios"], stack.output()
    assert call("GET", f"/loans/{other['id']}")["values"]["daysPastDue"] == 0  # it changed for its customer only

    [notified] = [e for e in call("GET", f"/loans/{late['id']}/rule-applications")["items"] if e["trigger"] == "daily"]
    assert (notified["businessDate"], notified["variables"]["status-days-past-due"]) == ("2026-04-12", 61)
    [attempt] = call("GET", f"/webhooks/{hook['id']}/deliveries")["items"]
    assert (attempt["status"], attempt["responseCode"], attempt["event"]) == ("succeeded", 200, "rule.applied")
    [followed] = [
        e for e in call("GET", f"/loans/{other['id']}/rule-applications")["items"] if e["trigger"] == "customer-changed"
    ]
    assert followed["matched"] and followed["actionsApplied"], followed
