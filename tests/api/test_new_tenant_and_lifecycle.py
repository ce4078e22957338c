"""A new tenant's defaults, money formatting, the OpenAPI document, the variable catalogue,
tenant creation by the operator, and the loan lifecycle (created in Application, activation)."""

from __future__ import annotations

import re

import pytest

from tests.api.helpers import PLACEHOLDER, PUBLIC_ROUTES, assert_error, registered_routes, store_state, walk
from tests.conftest import ADMIN_KEY, LOAN_SETUP, Api, make_customer, make_loan

MONEY = re.compile(r"^-?\d+\.\d{2}$")


def test_a_new_tenant_has_customer_statuses_active_and_lead(api):
    statuses = walk(api, "/customer-statuses")
    assert sorted((s["title"], s["active"]) for s in statuses) == [("Active", True), ("Lead", True)]
    assert all(set(s) == {"id", "title", "active", "displayOrder", "version"} for s in statuses)


def test_a_new_tenant_has_the_default_loan_statuses(api):
    statuses = {s["title"]: s for s in walk(api, "/loan-statuses")}
    assert {t: [sub["title"] for sub in s["subStatuses"]] for t, s in statuses.items()} == {
        "Application": [],
        "Open": ["Repaying", "Past Due"],
        "Closed": ["Paid Off", "Charged Off"],
    }
    assert all(s["active"] for s in statuses.values())
    assert all({"id", "title", "active", "lateFees", "subStatuses"} <= set(s) for s in statuses.values())


def test_a_new_tenant_has_no_portfolios_checklist_customers_or_loans(api):
    for path in ("/portfolios", "/checklist-items", "/customers", "/loans"):
        assert walk(api, path) == [], path


def test_a_customer_without_status_gets_the_first_active_status(api):
    assert make_customer(api)["status"] == "Active"


def test_when_the_first_status_is_inactive_the_next_active_one_is_the_default(api):
    """Given Active deactivated, when a customer is created without status, then it gets Lead."""
    active = next(s for s in walk(api, "/customer-statuses") if s["title"] == "Active")
    assert api.put(f"/customer-statuses/{active['id']}", {"active": False}).status == 200
    assert make_customer(api)["status"] == "Lead"


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("12000", "12000.00"),
        ("12000.5", "12000.50"),
        ("12000.00", "12000.00"),
        ("0.01", "0.01"),
        (12000, "12000.00"),
        ("1000000000.00", "1000000000.00"),
    ],
)
def test_money_is_returned_as_a_string_with_two_decimals(api, sent, shown):
    """Given a loanAmount as a string or number, then it is returned as a two-decimal string, and
    every money value of the loan is a two-decimal string."""
    loan = make_loan(api, setup={**LOAN_SETUP, "loanAmount": sent})
    assert loan["setup"]["loanAmount"] == shown
    assert loan["values"]["principalBalance"] == shown
    for name in ("amountPastDue", "payoff", "perDiem", "principalBalance", "interestAccrued", "dueFees", "totalPaid"):
        assert isinstance(loan["values"][name], str) and MONEY.match(loan["values"][name]), (name, loan["values"][name])


def test_money_sent_as_a_json_number_with_a_fraction_is_exact(api):
    """Given loanAmount 12000.10 as a JSON number (not a string), then "12000.10" exactly."""
    from tests.api.helpers import raw_json

    body = raw_json({"setup": {**LOAN_SETUP, "loanAmount": "@raw@"}, "customers": []}, raw="12000.10")
    got = api.post("/loans", raw=body)
    assert got.status == 201, got
    assert got.json["setup"]["loanAmount"] == "12000.10"


def test_the_openapi_document_lists_every_route(api):
    """Given GET /openapi.json, then an OpenAPI 3 document whose paths hold every registered route."""
    got = api.get("/openapi.json")
    assert got.status == 200, got
    doc = got.json
    assert str(doc["openapi"]).startswith("3.")
    paths = doc["paths"]
    missing = []
    for method, path in registered_routes():
        if (method, path) in PUBLIC_ROUTES:  # the document itself and the console's files
            continue
        openapi_path = PLACEHOLDER.sub(r"{\1}", path)
        if method.lower() not in paths.get(openapi_path, {}):
            missing.append(f"{method} {openapi_path}")
    assert not missing, missing


def test_the_openapi_document_declares_bearer_auth_or_documents_401(api):
    """Given the document, then each protected operation documents a 401 answer."""
    doc = api.get("/openapi.json").json
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            assert "401" in op.get("responses", {}), f"{method.upper()} {path}"


def test_the_variable_catalogue_lists_name_type_and_description(api):
    got = api.get("/variables")
    assert got.status == 200, got
    items = got.json["items"]
    assert items
    for v in items:
        assert {"name", "type", "description"} <= set(v)
        assert all(isinstance(v[k], str) and v[k] for k in ("name", "type", "description")), v
    names = [v["name"] for v in items]
    assert len(names) == len(set(names))


def test_the_operator_creates_a_tenant_whose_key_works(aws):
    """Given the admin key, when POST /admin/tenants {name, timezone}, then 201 {tenantId, apiKey}
    and the key reads that very tenant with its name and timezone."""
    got = Api().post("/admin/tenants", {"name": "Acme Credit", "timezone": "America/New_York"}, key=ADMIN_KEY)
    assert got.status == 201, got
    assert set(got.json) == {"tenantId", "apiKey"}
    tenant = Api(got.json["apiKey"]).get("/tenant")
    assert tenant.status == 200, tenant
    assert tenant.json["tenantId"] == got.json["tenantId"]
    assert (tenant.json["name"], tenant.json["timezone"]) == ("Acme Credit", "America/New_York")
    assert tenant.json["maintenanceHour"] == 0
    assert tenant.json["businessDate"] is None


def test_the_timezone_defaults_to_utc(aws):
    got = Api().post("/admin/tenants", {"name": "No TZ"}, key=ADMIN_KEY)
    assert got.status == 201, got
    assert Api(got.json["apiKey"]).get("/tenant").json["timezone"] == "UTC"


def test_two_tenants_get_different_ids_and_keys(aws):
    a = Api().post("/admin/tenants", {"name": "A"}, key=ADMIN_KEY).json
    b = Api().post("/admin/tenants", {"name": "A"}, key=ADMIN_KEY).json
    assert a["tenantId"] != b["tenantId"] and a["apiKey"] != b["apiKey"]


@pytest.mark.parametrize(
    "body", [{}, {"name": ""}, {"name": 5}, {"name": "X", "timezone": "Nowhere/Land"}, {"name": "X", "plan": "gold"}]
)
def test_the_operator_gets_422_for_an_invalid_tenant(aws, body):
    assert_error(Api().post("/admin/tenants", body, key=ADMIN_KEY), 422)


def test_a_new_loan_is_in_application_and_not_active(api):
    loan = make_loan(api)
    assert (loan["loanStatus"], loan["loanSubStatus"], loan["active"]) == ("Application", None, False)
    for field in (
        "setup",
        "loanStatus",
        "portfolios",
        "customers",
        "active",
        "archived",
        "interestStopped",
        "chargedOff",
        "bankruptcy",
        "checklist",
        "customFields",
        "version",
        "values",
    ):
        assert field in loan, field
    for name in (
        "daysPastDue",
        "amountPastDue",
        "payoff",
        "perDiem",
        "principalBalance",
        "interestAccrued",
        "dueFees",
        "nextPaymentDate",
        "nextPaymentAmount",
        "lastPaymentDate",
        "totalPaid",
    ):
        assert name in loan["values"], name
    assert api.get(f"/loans/{loan['id']}").json == loan


def test_a_loan_cannot_be_created_already_open(api):
    """Contract: created not activated, status Application. Sending loanStatus Open at creation is
    either refused (422) or leaves the loan inactive."""
    got = api.post("/loans", {"setup": LOAN_SETUP, "loanStatus": "Open", "loanSubStatus": "Repaying"})
    if got.status == 201:
        assert got.json["active"] is False
    else:
        assert_error(got, 422)


def test_activating_a_loan_opens_it(api):
    """Given a loan in Application, when activated, then 200, Open/Repaying, active, version bumped."""
    loan = make_loan(api)
    got = api.post(f"/loans/{loan['id']}/activate")
    assert got.status == 200, got
    assert (got.json["loanStatus"], got.json["loanSubStatus"], got.json["active"]) == ("Open", "Repaying", True)
    assert got.json["version"] == loan["version"] + 1
    assert api.get(f"/loans/{loan['id']}").json == got.json


def test_activating_twice_changes_nothing(api):
    """Given an active loan, when activated again, then 200 with the same body and version."""
    loan = make_loan(api)
    first = api.post(f"/loans/{loan['id']}/activate").json
    before = store_state()
    again = api.post(f"/loans/{loan['id']}/activate")
    assert again.status == 200, again
    assert again.json == first
    assert store_state() == before


def test_activating_an_unknown_loan_answers_404(api):
    assert_error(api.post("/loans/loan_doesnotexist/activate"), 404)


def test_a_customers_loans_show_the_role(api):
    """Given a loan with a primary and a secondary customer, then each customer's loans list shows its role."""
    a, b = make_customer(api), make_customer(api, firstName="Bea")
    loan = make_loan(api, [(a["id"], "primary"), (b["id"], "secondary")])
    for customer, role in ((a, "primary"), (b, "secondary")):
        items = walk(api, f"/customers/{customer['id']}/loans")
        assert [(i["role"], i["loan"]["id"]) for i in items] == [(role, loan["id"])]


def test_removing_a_customer_from_a_loan_removes_the_link(api):
    """Given a loan with customers a (primary) and b (secondary), when PUT sets only a, then b's
    loans list is empty."""
    a, b = make_customer(api), make_customer(api, firstName="Bea")
    loan = make_loan(api, [(a["id"], "primary"), (b["id"], "secondary")])
    assert api.put(f"/loans/{loan['id']}", {"customers": [{"customerId": a["id"], "role": "primary"}]}).status == 200
    assert walk(api, f"/customers/{b['id']}/loans") == []
    assert [i["loan"]["id"] for i in walk(api, f"/customers/{a['id']}/loans")] == [loan["id"]]


@pytest.mark.parametrize(
    "path",
    [
        "/customers/cus_nope",
        "/loans/loan_nope",
        "/customers/cus_nope/loans",
        "/customer-statuses/cst_nope",
        "/loan-statuses/lst_nope",
        "/portfolios/pfl_nope",
        "/checklist-items/chk_nope",
    ],
)
def test_an_unknown_id_answers_404(api, path):
    assert_error(api.get(path), 404)


def test_an_unknown_route_answers_404_in_the_error_shape(api):
    assert_error(api.get("/no-such-thing"), 404)
