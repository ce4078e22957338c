"""AutoPay (docs/http.md#autopay, issue 16): set through the API, collected by daily maintenance on each due
date through the local processor, declined by an NSF token, suspended by a charge-off rule's loan-settings
option until continued; each collection once, however often maintenance runs."""

from __future__ import annotations

import pytest

from tests.automation.test_maintenance import SETUP, _loans, _run

ACH = {"type": "ach", "token": "tok_checking_1234"}


@pytest.fixture
def lender(api):
    assert api.put("/tenant", {"businessDate": "2026-01-10"}).status == 200
    return api


def _autopay(api, loan_id: str, **fields) -> dict:
    got = api.put(f"/loans/{loan_id}/autopay", {"method": ACH, **fields})
    assert got.status == 200, got
    return got.json


def _autopay_payments(api, loan_id: str) -> list[dict]:
    items = api.get(f"/loans/{loan_id}/transactions", query={"limit": 500}).json["items"]
    return [t for t in items if t.get("source") == "autopay"]


def test_an_autopay_is_set_shown_replaced_and_removed(lender):
    api = lender
    [loan] = _loans(api)
    assert api.get(f"/loans/{loan['id']}/autopay").status == 404
    made = _autopay(api, loan["id"])
    assert made["id"].startswith("apy_") and made["amountType"] == "scheduled" and made["lastResult"] is None
    assert (made["active"], made["suspended"], made["method"]) == (True, False, ACH)
    replaced = _autopay(api, loan["id"], amountType="fixed", amount="150.00")
    assert replaced["id"] == made["id"] and (replaced["amountType"], replaced["amount"]) == ("fixed", "150.00")
    assert api.get(f"/loans/{loan['id']}").json["autopay"]["amount"] == "150.00"
    assert api.delete(f"/loans/{loan['id']}/autopay").status == 204
    assert api.get(f"/loans/{loan['id']}/autopay").status == 404
    assert api.delete(f"/loans/{loan['id']}/autopay").status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": ACH, "amountType": "fixed"}, "body"),
        ({"method": ACH, "amount": "10.00"}, "body"),
        ({"method": ACH, "amountType": "fixed", "amount": "0"}, "amount"),
        ({"method": {"type": "wire", "token": "t"}}, "type"),
        ({"method": {"type": "ach", "token": ""}}, "token"),
        ({"method": ACH, "processor": "stripe"}, "processor"),
        ({}, "method"),
    ],
)
def test_a_bad_autopay_is_refused_with_the_field(lender, body, field):
    [loan] = _loans(lender)
    got = lender.put(f"/loans/{loan['id']}/autopay", body)
    assert got.status == 422, got
    assert any(field in d["field"] for d in got.json["error"]["details"]), got.json


def test_another_tenants_loan_has_no_autopay_to_set(lender, other_api):
    [loan] = _loans(lender)
    assert other_api.put(f"/loans/{loan['id']}/autopay", {"method": ACH}).status == 404
    assert other_api.get(f"/loans/{loan['id']}/autopay").status == 404


def test_maintenance_collects_each_due_date_once_however_often_it_runs(lender, queue_pump, pump):
    api = lender
    [loan] = _loans(api)
    _autopay(api, loan["id"])
    installment = api.get(f"/loans/{loan['id']}/schedule").json["items"][0]
    assert installment["dueDate"] == SETUP["firstPaymentDate"]
    _run(api, "2026-02-09", queue_pump, pump)
    assert _autopay_payments(api, loan["id"]) == []
    _run(api, "2026-02-10", queue_pump, pump)
    again = api.post("/maintenance/runs", {"businessDate": "2026-02-10"})  # the same run: nothing twice
    assert again.status == 202
    _run(api, "2026-02-12", queue_pump, pump)
    [payment] = _autopay_payments(api, loan["id"])
    assert (payment["date"], payment["amount"], payment["method"]) == (
        "2026-02-10",
        installment["payment"],
        "autopay-ach",
    )
    shown = api.get(f"/loans/{loan['id']}").json
    assert shown["values"]["daysPastDue"] == 0 and shown["values"]["amountPastDue"] == "0.00"
    result = shown["autopay"]["lastResult"]
    assert (result["status"], result["date"], result["transactionId"]) == ("succeeded", "2026-02-10", payment["id"])


def test_an_nsf_token_is_declined_and_nothing_is_paid(lender, queue_pump, pump):
    api = lender
    [loan] = _loans(api)
    _autopay(api, loan["id"], method={"type": "ach", "token": "tok_nsf_4321"})
    _run(api, "2026-02-11", queue_pump, pump)
    assert _autopay_payments(api, loan["id"]) == []
    shown = api.get(f"/loans/{loan['id']}").json
    result = shown["autopay"]["lastResult"]
    assert (result["status"], result["reason"], result["transactionId"]) == ("failed", "NSF: insufficient funds", None)
    assert shown["values"]["daysPastDue"] == 1


def test_a_charge_off_rule_suspends_autopay_until_it_is_continued(lender, queue_pump, pump):
    api = lender
    [loan] = _loans(api)
    _autopay(api, loan["id"], method={"type": "ach", "token": "tok_nsf_1"})  # declined: the loan goes past due
    rule = api.post(
        "/rules",
        {
            "name": "Charge off at 120",
            "criteria": "(>= status-days-past-due 120)",
            "evalRealTime": False,
            "actions": [
                {"type": "credit", "amount": {"base": "payoff"}, "category": "Charge-off", "chargeOff": True},
                {
                    "type": "loan-settings",
                    "creditStatus": "97",
                    "closedDate": "today",
                    "autopay": "suspend",
                    "reportingType": "I",
                },
            ],
        },
    )
    assert rule.status == 201, rule
    _run(api, "2026-06-10", queue_pump, pump)  # 120 days past the first due date
    shown = api.get(f"/loans/{loan['id']}").json
    assert shown["chargedOff"] and shown["creditStatus"] == "97"
    assert shown["settings"]["closedDate"] == "2026-06-10" and shown["settings"]["reportingType"] == "I"
    assert shown["autopay"]["suspended"] is True
    last = shown["autopay"]["lastResult"]
    assert last["date"] == "2026-06-10"  # the day's collection came before the rule
    _autopay(api, loan["id"], method=ACH, suspended=True)  # a good account now, still suspended
    _run(api, "2026-07-11", queue_pump, pump)
    assert _autopay_payments(api, loan["id"]) == []
    assert api.get(f"/loans/{loan['id']}").json["autopay"]["lastResult"] == last
