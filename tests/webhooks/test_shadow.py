"""Shadow mode (docs/rules.md#shadow-mode): a rule with mode "shadow" runs wherever a live rule runs (real
time, daily maintenance, force) and audits wouldApply; it never changes a loan, never cascades, never
notifies. Two tenants run the same book, one with a shadow rule besides: their loans, transactions and
webhook deliveries are the same but for ids and times."""

from __future__ import annotations

import json
import re

from lms.contract.webhooks import EVENT_TYPES
from local.queues import drain_all
from tests.automation.test_maintenance import SETUP
from tests.conftest import make_customer, new_tenant

SCRA = {
    "name": "SCRA",
    "criteria": '(contains? customer-statuses "SCRA")',
    "actions": [{"type": "loan-settings", "addPortfolios": ["SCRA"]}],
}
SHADOW = {  # would change almost everything, on every loan, every time
    "name": "Shadow: close every open loan",
    "mode": "shadow",
    "criteria": '(= loan-status "Open")',
    "actions": [
        {"type": "credit", "amount": {"base": "zero", "plus": "25.00"}, "category": "Goodwill"},
        {"type": "loan-settings", "loanStatus": "Closed", "loanSubStatus": "Paid Off", "addPortfolios": ["Shadowed"]},
        {"type": "customer-tools", "target": "primary", "setStatus": "Lead"},
    ],
}
_ID = re.compile(r"\b([a-z]{3,4})_[0-9A-HJKMNP-TV-Z]{26}\b")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def _book(receiver, shadow: bool):
    api = new_tenant("Shadow" if shadow else "Plain")
    listening = receiver()
    for path, title in (("/customer-statuses", "SCRA"), ("/portfolios", "SCRA"), ("/portfolios", "Shadowed")):
        assert api.post(path, {"title": title}).status == 201
    assert api.post("/webhooks", {"name": "all", "url": listening.url, "events": list(EVENT_TYPES)}).status == 201
    assert api.post("/rules", SCRA).status == 201
    shadow_rule = api.post("/rules", SHADOW) if shadow else None
    assert shadow_rule is None or shadow_rule.status == 201, shadow_rule
    return api, listening, shadow_rule.json if shadow_rule else None


def _live(api, deliver) -> list[str]:
    """The same servicing story on each tenant: two loans, a status change, a payment, a maintenance run."""
    assert api.put("/tenant", {"businessDate": "2026-01-15"}).status == 200
    customer = make_customer(api)
    loans = []
    for _ in range(2):
        loan = api.post("/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]})
        assert loan.status == 201, loan
        assert api.post(f"/loans/{loan.json['id']}/activate").status == 200
        loans.append(loan.json["id"])
    deliver()
    assert api.put(f"/customers/{customer['id']}", {"status": "SCRA"}).status == 200
    deliver()
    assert api.post(f"/loans/{loans[0]}/payments", {"amount": "100.00"}).status == 201
    deliver()
    assert api.put("/tenant", {"businessDate": "2026-02-20"}).status == 200
    assert api.post("/maintenance/runs", {}).status == 202
    deliver()
    return loans


def _same(value):
    """A JSON document with its ids and times made generic (two tenants never share either)."""
    text = json.dumps(value, sort_keys=True)
    return json.loads(_TIME.sub("<time>", _ID.sub(lambda m: f"<{m.group(1)}>", text)))


def _book_state(api, loans: list[str]) -> dict:
    return {
        "loans": [api.get(f"/loans/{i}").json for i in loans],
        "transactions": [api.get(f"/loans/{i}/transactions").json for i in loans],
        "customers": api.get("/customers").json,
    }


def _deliveries(listening) -> list:
    bodies = [_same({k: v for k, v in r.json().items() if k != "tenantId"}) for r in listening.requests]
    return sorted(bodies, key=lambda b: json.dumps(b, sort_keys=True))


def test_a_shadow_rule_audits_what_it_would_do_and_changes_nothing_anywhere(receiver, pump, queue_pump):
    def deliver():
        drain_all(queue_pump, pump)

    plain, plain_hooks, _ = _book(receiver, shadow=False)
    shadowed, shadow_hooks, rule = _book(receiver, shadow=True)
    plain_loans, shadow_loans = _live(plain, deliver), _live(shadowed, deliver)

    # the book and what the webhooks said are the same
    assert _same(_book_state(shadowed, shadow_loans)) == _same(_book_state(plain, plain_loans))
    assert len(shadow_hooks.requests) > 10
    assert _deliveries(shadow_hooks) == _deliveries(plain_hooks)
    assert not any(
        r.json()["type"] == "rule.applied" and r.json()["data"]["ruleId"] == rule["id"] for r in shadow_hooks.requests
    )

    # and the shadow rule's audit entries say what it would have done, in real time and daily
    for loan_id in shadow_loans:
        log = shadowed.get(f"/loans/{loan_id}/rule-applications", query={"limit": 100}).json["items"]
        mine = [e for e in log if e["ruleId"] == rule["id"]]
        assert {"loan-activated", "customer-changed", "daily"} <= {e["trigger"] for e in mine}, mine
        for entry in mine:
            assert entry["matched"] is True and entry["actionsApplied"] == [] and entry["error"] is None, entry
            assert [a["type"] for a in entry["wouldApply"]] == ["credit", "loan-settings", "customer-tools"], entry
            assert entry["wouldApply"][0]["amount"] == "25.00", entry
        live = [e for e in log if e["ruleId"] != rule["id"]]
        assert live and all(e["wouldApply"] is None for e in live)
    assert shadowed.get(f"/loans/{shadow_loans[0]}").json["loanStatus"] == "Open"


def test_force_answers_what_a_shadow_rule_would_apply_and_one_put_makes_it_live(receiver, pump, queue_pump):
    api, _, rule = _book(receiver, shadow=True)
    customer = make_customer(api)
    loan = api.post("/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]}).json
    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    drain_all(queue_pump, pump)

    forced = api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {"explain": True})
    assert forced.status == 200, forced
    assert forced.json["matched"] is True and forced.json["actionsApplied"] == []
    assert [a["type"] for a in forced.json["wouldApply"]] == ["credit", "loan-settings", "customer-tools"]
    assert api.get(f"/loans/{loan['id']}").json["loanStatus"] == "Open"
    assert [t["type"] for t in api.get(f"/loans/{loan['id']}/transactions").json["items"]] == []
    history = len(api.get(f"/loans/{loan['id']}/rule-applications").json["items"])

    promoted = api.put(f"/rules/{rule['id']}", {"mode": "live"})
    assert promoted.status == 200 and promoted.json["mode"] == "live" and promoted.json["version"] == 2, promoted
    forced = api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {})
    assert forced.json["matched"] is True and forced.json["wouldApply"] is None
    assert [a["type"] for a in forced.json["actionsApplied"]] == ["credit", "loan-settings", "customer-tools"]
    after = api.get(f"/loans/{loan['id']}").json
    assert (after["loanStatus"], after["portfolios"]) == ("Closed", ["Shadowed"])
    log = api.get(f"/loans/{loan['id']}/rule-applications").json["items"]
    assert len(log) == history + 1  # the shadow history is kept
    assert [e["wouldApply"] is not None for e in log if e["ruleId"] == rule["id"]].count(True) >= 1


def test_a_shadow_rule_whose_action_cannot_apply_audits_why(receiver, pump, queue_pump):
    api, _, _ = _book(receiver, shadow=False)
    assert api.post("/portfolios", {"title": "Tiers", "subPortfolios": ["Gold"]}).status == 201
    rule = api.post(
        "/rules",
        {
            "name": "shadow: a sub-portfolio of a portfolio the loan is not in",
            "mode": "shadow",
            "criteria": "(>= status-days-past-due 0)",
            "actions": [
                {"type": "loan-settings", "addPortfolios": ["SCRA"]},
                {"type": "loan-settings", "addSubPortfolios": ["Gold"]},
            ],
        },
    ).json
    customer = make_customer(api)
    loan = api.post("/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]}).json
    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    forced = api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {})
    assert forced.status == 200
    assert forced.json["matched"] is False and forced.json["wouldApply"] is None, forced
    assert forced.json["error"] == "after 1 action(s), 'Gold' is not a sub-portfolio of the loan's portfolios", forced
    assert api.get(f"/loans/{loan['id']}").json["portfolios"] == []
