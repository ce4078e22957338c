"""The rulebook analysis through the API (docs/rules.md#rulebook-analysis): GET /rules/analysis, and the findings a
POST or PUT of a rule introduces, answered with the saved rule."""

from __future__ import annotations

from typing import Any

PAST_DUE = {
    "name": "Late",
    "criteria": '(= loan-sub-status "Repaying")',
    "actions": [{"type": "loan-settings", "loanStatus": "Open", "loanSubStatus": "Past Due"}],
}
REPAYING = {
    "name": "Back to repaying",
    "criteria": '(= loan-sub-status "Past Due")',
    "actions": [{"type": "loan-settings", "loanStatus": "Open", "loanSubStatus": "Repaying"}],
}
QUIET_ACTION: dict[str, Any] = {"type": "loan-checklist", "check": []}
QUIET = {"name": "Quiet", "criteria": "(> status-days-past-due 30)", "actions": [QUIET_ACTION]}


def test_a_clean_rulebook_has_no_findings_and_a_save_introduces_none(api):
    saved = api.post("/rules", QUIET)
    assert saved.status == 201 and saved.json["findings"] == [], saved
    analysed = api.get("/rules/analysis")
    assert analysed.status == 200 and analysed.json == {"findings": [], "rules": 1}, analysed


def test_the_rule_that_closes_a_cycle_is_told_so_and_the_analysis_names_both(api):
    first = api.post("/rules", PAST_DUE).json
    assert first["findings"] == []
    second = api.post("/rules", REPAYING)
    assert second.status == 201, second
    [cycle] = second.json["findings"]
    assert cycle["kind"] == "cycle" and cycle["ruleIds"] == [first["id"], second.json["id"]], cycle
    assert cycle["variables"] == ["loan-sub-status"] and "Late" in cycle["why"], cycle
    assert [f["kind"] for f in api.get("/rules/analysis").json["findings"]] == ["cycle"]

    # an edit that breaks the cycle introduces nothing, and the analysis is clean again
    fixed = api.put(f"/rules/{second.json['id']}", {"criteria": '(= loan-sub-status "Charged Off")'})
    assert fixed.status == 200 and fixed.json["findings"] == [], fixed
    assert api.get("/rules/analysis").json["findings"] == []


def test_an_always_true_criteria_is_a_finding_of_the_save(api):
    saved = api.post("/rules", {**QUIET, "criteria": "(or (> status-days-past-due 5) (<= status-days-past-due 5))"})
    assert [f["kind"] for f in saved.json["findings"]] == ["always-true"], saved


def test_a_stored_rule_whose_example_fails_is_a_finding_of_the_analysis():
    from lms.automation.rulebook import _failing_examples
    from lms.contract import RuleExample
    from tests.automation.test_analysis import rule

    stored = rule(
        "Quiet",
        "(> status-days-past-due 30)",
        QUIET_ACTION,
        examples=[RuleExample(name="31 days", variables={"status-days-past-due": 30}, matches=True)],
    )
    [finding] = _failing_examples([stored])
    assert (finding.kind, finding.rule_ids) == ("failing-example", [stored.id])
    assert "'31 days' must match, but the criteria did not match" in finding.why
