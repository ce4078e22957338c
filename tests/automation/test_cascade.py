"""Cascades of rule-made changes (docs/rules.md#cascades): a daisy-chain is legal, a rule never applies
twice to a loan in one cascade, and a cascade stops at depth 5, saying why, losing nothing."""

from __future__ import annotations

from tests.conftest import make_customer, make_loan


def _checklist(api, *titles):
    for title in titles:
        assert api.post("/checklist-items", {"title": title}).status == 201


def _rule(api, name, criteria, actions):
    made = api.post("/rules", {"name": name, "criteria": criteria, "actions": actions})
    assert made.status == 201, made
    return made.json


def _active_loan(api):
    loan = make_loan(api, [(make_customer(api)["id"], "primary")])
    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    return loan


def _log(api, loan_id):
    return api.get(f"/loans/{loan_id}/rule-applications", query={"limit": 100}).json["items"]


def test_a_daisy_chain_runs_rule_b_on_rule_as_change(api, pump):
    """Rule A checks "Docs received" when the loan is in portfolio Review; rule B, ordered BEFORE A
    (so it cannot see A's change in the same run), reads that item and adds the sub-status. B fires on
    the stream record of A's write, one level down the cascade."""
    _checklist(api, "Docs received")
    assert api.post("/portfolios", {"title": "Review"}).status == 201
    b = _rule(
        api, "B", '(contains? checklist "Docs received")', [{"type": "loan-settings", "loanSubStatus": "Past Due"}]
    )
    a = _rule(api, "A", '(contains? portfolios "Review")', [{"type": "loan-checklist", "check": ["Docs received"]}])
    loan = _active_loan(api)
    pump.drain()
    assert api.put(f"/loans/{loan['id']}", {"portfolios": ["Review"]}).status == 200
    pump.drain()

    after = api.get(f"/loans/{loan['id']}").json
    assert after["checklist"] == ["Docs received"] and after["loanSubStatus"] == "Past Due"
    log = _log(api, loan["id"])
    assert [(e["ruleId"], e["trigger"]) for e in reversed(log)] == [(a["id"], "loan-changed"), (b["id"], "rule-change")]


def test_a_cycle_stops_without_applying_a_rule_twice_and_records_why(api, pump):
    """A: on Start or Y, check X (unchecking Start and Y). B: on X, check Y (unchecking X). A would
    match on Y again and change the loan again: a cycle. A never applies twice in one cascade: the
    log says why, and the last state (Y, B's change) is kept."""
    _checklist(api, "Start", "X", "Y")
    b = _rule(api, "B", '(contains? checklist "X")', [{"type": "loan-checklist", "check": ["Y"], "uncheck": ["X"]}])
    a = _rule(
        api,
        "A",
        '(or (contains? checklist "Start") (contains? checklist "Y"))',
        [{"type": "loan-checklist", "check": ["X"], "uncheck": ["Start", "Y"]}],
    )
    loan = _active_loan(api)
    pump.drain()
    assert api.put(f"/loans/{loan['id']}", {"checklist": ["Start"]}).status == 200
    pump.drain()

    assert api.get(f"/loans/{loan['id']}").json["checklist"] == ["Y"]
    log = list(reversed(_log(api, loan["id"])))
    assert [(e["ruleId"], e["matched"]) for e in log] == [(a["id"], True), (b["id"], True), (a["id"], False)]
    assert "not applied again" in log[-1]["error"] and log[-1]["variables"] == {"checklist": ["Y"]}
    assert pump.failed == []


def test_a_chain_longer_than_five_stops_at_depth_five(api, pump):
    """Six rules, each checking the next item, ordered so that only one fires per run: the cascade
    runs five levels (items 1-5 checked), then stops and records it; item 6 is never checked."""
    items = [f"Step {i}" for i in range(1, 7)]
    _checklist(api, "Go", *items)
    rules = {}
    for i in range(6, 0, -1):  # tenant order: step 6's rule first, step 1's last
        reads = "Go" if i == 1 else items[i - 2]
        rules[i] = _rule(
            api, f"step {i}", f'(contains? checklist "{reads}")', [{"type": "loan-checklist", "check": [items[i - 1]]}]
        )
    loan = _active_loan(api)
    pump.drain()
    assert api.put(f"/loans/{loan['id']}", {"checklist": ["Go"]}).status == 200
    pump.drain()

    assert api.get(f"/loans/{loan['id']}").json["checklist"] == ["Go", *items[:5]]
    log = list(reversed(_log(api, loan["id"])))
    assert [e["ruleId"] for e in log if e["matched"]] == [rules[i]["id"] for i in range(1, 6)]
    assert "cascade stopped at depth 5" in log[-1]["error"]
