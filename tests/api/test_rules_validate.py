"""POST /rules/validate reads and checks a criteria without saving anything (docs/http.md,
docs/rules.md#validation-and-errors), and GET /variables serves the catalogue the checker uses."""

from __future__ import annotations

from lms.rules.catalogue import VARIABLES
from tests.api.helpers import assert_error, store_state


def test_a_valid_criteria_answers_valid_with_the_variables_it_reads(api):
    """Given R1 (on a tenant with an SCRA customer status), when validated, then valid, no errors, no
    warnings, and its three variables in reading order."""
    assert api.post("/customer-statuses", {"title": "SCRA"}).status == 201
    got = api.post(
        "/rules/validate",
        {
            "criteria": '(and (> status-days-past-due 30) (= loan-status "Open")\n'
            '     (not= customer.primary.status "SCRA"))'
        },
    )
    assert got.status == 200, got
    assert got.json == {
        "valid": True,
        "errors": [],
        "warnings": [],
        "variables": ["status-days-past-due", "loan-status", "customer.primary.status"],
    }


def test_an_invalid_criteria_answers_200_with_each_error_located_and_explained(api):
    """Given two mistakes on two lines, then valid false and both errors with line, column,
    message and hint, in text order, and nothing is written."""
    before = store_state()
    got = api.post("/rules/validate", {"criteria": "(and (> status-days-past-du 30)\n     (> loan-status 30))"})
    assert got.status == 200, got
    assert got.json["valid"] is False and got.json["variables"] == []
    assert got.json["errors"] == [
        {
            "code": "unknown-name",
            "message": "unknown variable status-days-past-du",
            "line": 1,
            "column": 9,
            "hint": "did you mean status-days-past-due?",
        },
        {
            "code": "type",
            "message": "loan-status is text; > needs numbers or dates",
            "line": 2,
            "column": 9,
            "hint": 'compare text with = or not=, e.g. (= loan-status "Open")',
        },
    ]
    assert store_state() == before


def test_a_hostile_criteria_is_an_error_not_a_failure(api):
    """Given rule text that tries to reach Python, then a located error, never a 500."""
    got = api.post("/rules/validate", {"criteria": '(.system (hy.I.os) "touch /tmp/pwned")'})
    assert got.status == 200, got
    assert got.json["valid"] is False
    assert got.json["errors"][0]["code"] == "not-allowed"


def test_a_too_long_criteria_is_reported_as_a_rule_error(api):
    """Given 5,000 characters (under the 64 KiB body limit), then the rule's own limit is reported."""
    got = api.post("/rules/validate", {"criteria": "(and " + "true " * 999 + ")"})
    assert got.status == 200, got
    assert got.json["errors"][0]["code"] == "too-long"


def test_a_criteria_that_is_not_text_answers_422(api):
    for body in ({"criteria": 5}, {}, {"criteria": None}, {"criteria": "(> 1 0)", "actions": []}):
        assert_error(api.post("/rules/validate", body), 422)


def test_the_catalogue_lists_every_variable_the_checker_knows(api):
    """Given GET /variables, then every catalogue variable appears once with its type."""
    got = api.get("/variables")
    assert got.status == 200, got
    assert [(v["name"], v["type"]) for v in got.json["items"]] == [(v.name, v.type) for v in VARIABLES]
