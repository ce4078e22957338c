"""The servicing changes that are events of their own (docs/http.md#webhooks): a credit (through the API or a
rule), an amount-past-due reset, interest stopped and resumed, due dates moved, each reaching a subscriber
once, with what changed."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import make_customer

SETUP = {
    "loanAmount": "1200.00",
    "interestRate": "12",
    "termPeriods": 12,
    "paymentFrequency": "monthly",
    "contractDate": "2026-01-15",
    "firstPaymentDate": "2026-02-15",
}
SERVICING_EVENTS = [
    "credit.posted",
    "apd.reset",
    "interest.stopped",
    "interest.resumed",
    "loan.due-date-changed",
]


@pytest.fixture
def lender(api, monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_DELAYS", "0,0,0,0,0,0,0")
    assert api.put("/tenant", {"businessDate": "2026-04-20"}).status == 200
    return api


def _rule(api, action: dict) -> str:
    only_forced = {"evalDaily": False, "evalRealTime": False}
    reply = api.post(
        "/rules", {"name": action["type"], "criteria": "(> status-payoff 0)", "actions": [action], **only_forced}
    )
    assert reply.status == 201, reply
    return reply.json["id"]


def test_servicing_changes_reach_a_subscriber_once_each(lender, receiver, deliver):
    api = lender
    listening = receiver()
    hook = api.post("/webhooks", {"name": "Servicing", "url": listening.url + "/events", "events": SERVICING_EVENTS})
    assert hook.status == 201, hook
    customer = make_customer(api)
    loan = api.post("/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]}).json
    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    deliver()
    rules = [
        _rule(api, {"type": "apd-reset", "adjustment": "zero"}),
        _rule(api, {"type": "stop-interest", "mode": "suspend"}),
        _rule(api, {"type": "stop-interest", "mode": "resume", "daysFromApplied": 1}),
        _rule(api, {"type": "change-due-date", "shiftDays": 5}),
    ]
    for rule_id in rules:  # one at a time, each forced: each its own change of the loan
        forced = api.post(f"/loans/{loan['id']}/rules/{rule_id}/force", {})
        assert forced.status == 200 and forced.json["matched"], forced
    credit = api.post(f"/loans/{loan['id']}/credits", {"amount": "25.00"})
    assert credit.status == 201, credit
    deliver()
    deliver()  # again: nothing new may arrive

    events = [r.json() for r in listening.requests]
    assert Counter(e["type"] for e in events) == Counter(SERVICING_EVENTS), [e["type"] for e in events]
    by_type = {e["type"]: e["data"] for e in events}
    assert by_type["credit.posted"]["id"] == credit.json["id"] and by_type["credit.posted"]["amount"] == "25.00"
    assert by_type["apd.reset"]["type"] == "apd-reset" and by_type["apd.reset"]["loanId"] == loan["id"]
    assert by_type["interest.stopped"]["type"] == "stop-interest"
    assert by_type["interest.resumed"]["date"] == "2026-04-21"
    moved = by_type["loan.due-date-changed"]
    assert moved["id"] == loan["id"] and moved["previousDueDateShifts"] == []
    assert moved["setup"]["dueDateShifts"] == [{"fromInstallment": 4, "days": 5}]
