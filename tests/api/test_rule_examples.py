"""Rule tests (docs/rules.md#rule-tests): a rule's examples run on every save; a failing one refuses the save
(422) naming the example; the examples are kept with the rule's version."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import assert_error

CHARGE_OFF = {
    "name": "Charge off at 120",
    "criteria": "(and (>= status-days-past-due 120) (not charged-off) (> status-payoff 0))",
    "actions": [{"type": "loan-settings", "loanStatus": "Closed", "loanSubStatus": "Charged Off"}],
}
AT_120: dict[str, Any] = {
    "name": "at 120 days",
    "variables": {"status-days-past-due": 120, "charged-off": False, "status-payoff": "10.00"},
    "matches": True,
}
AT_119 = {
    "name": "at 119 days",
    "variables": {"status-days-past-due": 119, "charged-off": False, "status-payoff": 10.5},
    "matches": False,
}
DONE = {
    "name": "charged off already",
    "variables": {"status-days-past-due": 200, "charged-off": True, "status-payoff": "0"},
    "matches": False,
}


def test_examples_that_hold_are_saved_with_the_rule(api):
    saved = api.post("/rules", {**CHARGE_OFF, "examples": [AT_120, AT_119, DONE]})
    assert saved.status == 201, saved
    assert [e["name"] for e in saved.json["examples"]] == ["at 120 days", "at 119 days", "charged off already"]
    again = api.get(f"/rules/{saved.json['id']}").json
    assert again["examples"][1]["variables"]["status-payoff"] == "10.5"  # exact, as a decimal string
    assert again["mode"] == "live"


def test_a_failing_example_refuses_the_save_and_is_named(api):
    wrong = {**AT_119, "name": "119 is late enough", "matches": True}
    refused = api.post("/rules", {**CHARGE_OFF, "examples": [AT_120, wrong]})
    error = assert_error(refused, 422)
    assert "119 is late enough" in error["message"] and "must match, but the criteria did not match" in error["message"]
    assert error["details"] == [
        {"field": "examples[1]", "message": "119 is late enough: must match, but the criteria did not match"}
    ]
    assert api.get("/rules").json["items"] == []


def test_an_example_must_give_every_variable_the_criteria_reads_with_its_type(api):
    missing = {"name": "no payoff", "variables": {"status-days-past-due": 130, "charged-off": False}, "matches": True}
    error = assert_error(api.post("/rules", {**CHARGE_OFF, "examples": [missing]}), 422)
    assert error["details"][0]["field"] == "examples[0].variables"
    assert "status-payoff" in error["details"][0]["message"]
    for value, said in (
        ("ten", "status-days-past-due must be a number"),
        (True, "must be a number"),
        ("2.5", "a whole number"),
    ):
        typed = {"name": "typed", "variables": {**AT_120["variables"], "status-days-past-due": value}, "matches": True}
        error = assert_error(api.post("/rules", {**CHARGE_OFF, "examples": [typed]}), 422)
        assert error["details"][0]["field"] == "examples[0].variables.status-days-past-due", error
        assert said in error["message"], error
    dated = {"name": "dates", "variables": {"status-next-payment-date": "2026-13-01"}, "matches": True}
    error = assert_error(
        api.post("/rules", {**CHARGE_OFF, "criteria": "(nil? status-next-payment-date)", "examples": [dated]}),
        422,
    )
    assert "an ISO date" in error["message"]


def test_an_edit_runs_the_examples_against_the_new_criteria(api):
    rule = api.post("/rules", {**CHARGE_OFF, "examples": [AT_120, AT_119]}).json
    tightened = api.put(f"/rules/{rule['id']}", {"criteria": "(and (>= status-days-past-due 121) (not charged-off))"})
    error = assert_error(tightened, 422)
    assert "'at 120 days' fails: must match" in error["message"]
    assert api.get(f"/rules/{rule['id']}").json["version"] == 1
    replaced = api.put(f"/rules/{rule['id']}", {"examples": [DONE]})
    assert replaced.status == 200 and replaced.json["version"] == 2 and len(replaced.json["examples"]) == 1, replaced
    refused = api.put(f"/rules/{rule['id']}", {"examples": [{**DONE, "matches": True}]})
    assert "'charged off already' fails" in assert_error(refused, 422)["message"]


def test_examples_of_sets_nil_and_a_runtime_error(api):
    rule = {
        "name": "SCRA",
        "criteria": '(and (contains? customer-statuses "SCRA") (nil? status-last-payment-date))',
        "actions": [{"type": "loan-settings", "addPortfolios": []}],
    }
    examples = [
        {
            "name": "scra, never paid",
            "variables": {"customer-statuses": ["SCRA"], "status-last-payment-date": None},
            "matches": True,
        },
        {
            "name": "scra, paid",
            "variables": {"customer-statuses": ["SCRA", "Active"], "status-last-payment-date": "2026-01-02"},
            "matches": False,
        },
    ]
    assert api.post("/rules", {**rule, "examples": examples}).status == 201
    nil = {"name": "nil days", "variables": {"status-days-past-due": None}, "matches": False}
    error = assert_error(
        api.post("/rules", {**CHARGE_OFF, "criteria": "(> status-days-past-due 3)", "examples": [nil]}), 422
    )
    assert "the criteria failed: status-days-past-due is nil where a value is needed" in error["message"], error
