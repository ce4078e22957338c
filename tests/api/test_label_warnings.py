"""A criteria that names a label title the tenant does not have is valid, with a warning at the title's line
and column naming the tenant's titles of that kind (docs/rules.md#label-warnings): on POST /rules/validate and
on the answer to POST /rules and PUT /rules/{id}."""

from __future__ import annotations


def _statuses(api) -> list[str]:
    return [s["title"] for s in api.get("/loan-statuses").json["items"]]


def test_the_seed_example_validates_with_a_warning_naming_the_tenant_s_loan_statuses(api):
    reply = api.post("/rules/validate", {"criteria": '(and (= status-days-past-due 10) (= loan-status "Active"))'})
    assert reply.status == 200
    body = reply.json
    assert body["valid"] is True and body["errors"] == []
    (warning,) = body["warnings"]
    assert warning["code"] == "unknown-label"
    assert (warning["line"], warning["column"]) == (1, 49)
    assert '"Active"' in warning["message"] and "loan status" in warning["message"]
    for title in _statuses(api):
        assert f'"{title}"' in warning["hint"]


def test_an_existing_title_draws_no_warning_and_a_case_slip_is_pointed_out(api):
    title = _statuses(api)[0]
    assert api.post("/rules/validate", {"criteria": f'(= loan-status "{title}")'}).json["warnings"] == []
    slip = api.post("/rules/validate", {"criteria": f'(= loan-status "{title.upper()}")'}).json["warnings"]
    assert len(slip) == 1 and f'did you mean "{title}"' in slip[0]["hint"]


def test_every_label_variable_is_checked(api):
    assert api.post("/portfolios", {"title": "Collections", "subPortfolios": ["Early"]}).status == 201
    criteria = (
        '(or (contains? portfolios "Collections") (contains? portfolios "Recovery")'
        ' (contains? sub-portfolios "Late") (contains? checklist "ID verified")'
        ' (= (-> customer.primary :status) "SCRA") (contains? customer-statuses "Deceased")'
        ' (contains? #{"Open" "Frozen"} loan-status) (= loan-sub-status "Nope"))'
    )
    warnings = api.post("/rules/validate", {"criteria": criteria}).json["warnings"]
    named = sorted(w["message"].split('"')[1] for w in warnings)
    assert named == ["Deceased", "Frozen", "ID verified", "Late", "Nope", "Recovery", "SCRA"]


def test_saving_answers_the_warnings_and_the_rule_saves(api):
    action = {"type": "loan-settings", "creditStatus": "X"}
    created = api.post("/rules", {"name": "r", "criteria": '(= loan-status "Active")', "actions": [action]})
    assert created.status == 201, created
    assert [w["code"] for w in created.json["warnings"]] == ["unknown-label"]
    rule_id = created.json["id"]
    assert "warnings" not in api.get(f"/rules/{rule_id}").json
    title = _statuses(api)[0]
    updated = api.put(f"/rules/{rule_id}", {"criteria": f'(= loan-status "{title}")'})
    assert updated.status == 200 and updated.json["warnings"] == []


def test_a_criteria_with_errors_has_errors_not_warnings(api):
    body = api.post("/rules/validate", {"criteria": '(= loan-status "Active"'}).json
    assert body["valid"] is False and body["errors"] and body["warnings"] == []
