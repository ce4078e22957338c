"""A customer's score at each bureau (creditScores), and LoanPro's customer.<role>.credit-score-<bureau> and
-average variables that read them (docs/rules.md#customers)."""

from __future__ import annotations

from tests.conftest import make_customer, make_loan


def test_bureau_scores_are_kept_changed_and_read_by_rules_per_role(api):
    primary = make_customer(api, creditScores={"equifax": 700, "experian": 731})
    assert primary["creditScores"] == {"equifax": 700, "experian": 731, "transunion": None}
    secondary = make_customer(api, firstName="Co")
    make_loan(api, [(primary["id"], "primary"), (secondary["id"], "secondary")])
    criteria = (
        "(and (= customer.primary.credit-score-average 716) (nil? customer.primary.credit-score-transunion)"
        " (nil? customer.secondary.credit-score-average))"
    )
    assert api.post("/rules/preview", {"criteria": criteria}).json["matched"] == 1  # (700 + 731) / 2 = 715.5: 716

    changed = api.put(f"/customers/{primary['id']}", {"creditScores": {"transunion": 640}})
    assert changed.status == 200 and changed.json["creditScores"] == {
        "equifax": None,
        "experian": None,
        "transunion": 640,
    }
    assert (
        api.post("/rules/preview", {"criteria": "(= customer.primary.credit-score-average 640)"}).json["matched"] == 1
    )
    cleared = api.put(f"/customers/{primary['id']}", {"creditScores": None})
    assert cleared.status == 200 and cleared.json["creditScores"] is None


def test_a_score_out_of_range_or_an_unknown_bureau_is_refused(api):
    for scores, field in (({"equifax": 200}, "creditScores.equifax"), ({"fico": 700}, "creditScores.fico")):
        reply = api.post(
            "/customers", {"firstName": "A", "lastName": "B", "customerType": "individual", "creditScores": scores}
        )
        assert reply.status == 422, reply
        assert any(d.get("field") == field for d in reply.json["error"]["details"]), reply.json
