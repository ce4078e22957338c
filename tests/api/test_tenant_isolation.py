"""Tenant isolation: another tenant's ids answer 404 on every route that takes an id, lists never
show another tenant's items, and a loan cannot link another tenant's customer."""

from __future__ import annotations

import pytest

from tests.api.helpers import LABEL_PATHS, LIST_PATHS, assert_error, fill, id_routes, snapshot, store_state, walk
from tests.conftest import LOAN_SETUP, make_customer, make_loan

# A request body per id route that is VALID for the second tenant too (so only the id can be the
# reason for a refusal). A route missing here makes test_every_id_route_has_an_isolation_case fail.
BODIES = {
    ("PUT", "/customer-statuses/<label_id>"): {"active": False},
    ("PUT", "/loan-statuses/<label_id>"): {"lateFees": True},
    ("PUT", "/portfolios/<label_id>"): {"subPortfolios": ["Used cars", "New cars"]},
    ("PUT", "/checklist-items/<label_id>"): {"title": "ID verified"},
    ("PUT", "/customers/<customer_id>"): {"status": "Lead", "firstName": "Mallory"},
    ("PUT", "/loans/<loan_id>"): {"customFields": {"hijacked": "yes"}, "displayId": "STOLEN"},
    ("POST", "/loans/<loan_id>/payments"): {"amount": "10.00"},
    ("POST", "/loans/<loan_id>/charges"): {"amount": "5.00", "title": "NSF fee"},
    ("POST", "/loans/<loan_id>/credits"): {"amount": "1.00"},
    ("POST", "/loans/<loan_id>/bankruptcies"): {"chapter": 7, "filingDate": "2026-03-02"},
    ("PUT", "/loans/<loan_id>/bankruptcies/<bankruptcy_id>"): {"chapter": 7},
    ("PUT", "/loans/<loan_id>/autopay"): {"method": {"type": "ach", "token": "tok_attacker"}},
    ("PUT", "/rules/<rule_id>"): {"name": "Hijacked"},
    ("POST", "/loans/<loan_id>/rules/<rule_id>/force"): {"explain": True},
    ("POST", "/rules/<rule_id>/force"): {},
    ("PUT", "/webhooks/<webhook_id>"): {"name": "Hijacked", "url": "https://evil.example.com/in"},
}
# Routes about a loan's money use the tenant's activated loan (with its payment).
MONEY_ROUTES = {"payments", "charges", "credits", "transactions", "schedule", "rules", "rule-applications", "snapshots"}
NO_BODY = {"GET", "DELETE"} | {"POST"}  # POST /loans/{id}/activate takes no body
KNOWN = {
    *BODIES,
    *[("GET", f"{p}/<label_id>") for p in LABEL_PATHS],
    *[("DELETE", f"{p}/<label_id>") for p in LABEL_PATHS],
    ("GET", "/customers/<customer_id>"),
    ("GET", "/customers/<customer_id>/loans"),
    ("GET", "/loans/<loan_id>"),
    ("POST", "/loans/<loan_id>/activate"),
    ("POST", "/loans/<loan_id>/payments/<transaction_id>/reverse"),
    ("GET", "/loans/<loan_id>/transactions"),
    ("GET", "/loans/<loan_id>/schedule"),
    ("GET", "/loans/<loan_id>/rule-applications"),
    ("GET", "/rules/<rule_id>"),
    ("GET", "/rules/<rule_id>/versions"),
    ("DELETE", "/rules/<rule_id>"),
    ("GET", "/jobs/<job_id>"),
    ("GET", "/maintenance/runs/<run_id>"),
    ("GET", "/loans/<loan_id>/snapshots"),
    ("GET", "/loans/<loan_id>/bankruptcies"),
    ("GET", "/loans/<loan_id>/autopay"),
    ("DELETE", "/loans/<loan_id>/autopay"),
    ("GET", "/webhooks/<webhook_id>"),
    ("DELETE", "/webhooks/<webhook_id>"),
    ("GET", "/webhooks/<webhook_id>/deliveries"),
    ("POST", "/webhooks/<webhook_id>/deliveries/<message_id>/redeliver"),
}


def _first_tenant_ids(world) -> dict[str, dict[str, str]]:
    """Placeholder values per route prefix, all ids owned by the first tenant."""
    ids = {p: {"label_id": world.label(p)["id"]} for p in LABEL_PATHS}
    ids["/customers"] = {"customer_id": world.customer["id"]}
    ids["/loans"] = {"loan_id": world.loan["id"], "bankruptcy_id": "bkr_01ARZ3NDEKTSV4RRFFQ69G5FAV"}
    ids["/rules"] = {"rule_id": world.rule["id"]}
    ids["/jobs"] = {"job_id": world.job["jobId"]}
    ids["/maintenance"] = {"run_id": world.run["runId"]}
    ids["/webhooks"] = {"webhook_id": world.webhook["id"], "message_id": "msg_01ARZ3NDEKTSV4RRFFQ69G5FAV"}
    return ids


def _values_for(path: str, world) -> dict[str, str]:
    parts = path.split("/")
    if len(parts) > 3 and parts[3] in MONEY_ROUTES:
        return {"loan_id": world.active_loan["id"], "transaction_id": world.payment["id"], "rule_id": world.rule["id"]}
    return _first_tenant_ids(world)["/" + parts[1]]


def test_every_id_route_has_an_isolation_case():
    """Given the routes the API registers, every route with an id in its path is driven by the
    cross-tenant test below (a new route must be added to BODIES/KNOWN)."""
    missing = [r for r in id_routes() if r not in KNOWN]
    assert not missing, f"routes without a tenant-isolation case: {missing}"


@pytest.mark.parametrize("route", id_routes(), ids=lambda r: f"{r[0]} {r[1]}")
def test_another_tenants_id_answers_404_and_changes_nothing(world, other_api, route):
    """Given tenant A's id, when tenant B calls the route with it, then 404 in the error shape, and
    every item of every table is exactly as before."""
    method, template = route
    assert route in KNOWN, f"no isolation case for {route}"
    path = fill(template, _values_for(template, world))
    # Control: tenant A reads the path (GET), or the entity the route acts on (other methods).
    own = world.api.get(path if method == "GET" else fill(template.split(">")[0] + ">", _values_for(template, world)))
    assert own.status == 200, f"control: tenant A must be able to read {path}: {own!r}"
    before = store_state()

    body = BODIES.get(route)
    got = other_api.request(method, path, body)

    assert_error(got, 404)
    assert store_state() == before


@pytest.mark.parametrize("path", LIST_PATHS + ["/customers/{own_customer}/loans"])
def test_lists_never_show_another_tenants_items(world, other_api, path):
    """Given both tenants hold items, when B lists, then no id (or, for labels A created, title) of
    A's appears, while B's own items do."""
    mine = make_customer(other_api, firstName="Bob")
    make_loan(other_api, [(mine["id"], "primary")])
    other_api.post("/portfolios", {"title": "Boats"})
    other_api.post("/checklist-items", {"title": "Boat checked"})
    path = path.replace("{own_customer}", mine["id"])

    a_items = snapshot(world.api)
    a_ids = {i.get("id") or i["loan"]["id"] for key, items in a_items.items() if key != "/tenant" for i in items}
    b_items = walk(other_api, path)

    assert b_items, "tenant B's own items must be listed"
    b_ids = {i.get("id") or i["loan"]["id"] for i in b_items}
    assert not (a_ids & b_ids)
    assert "Auto" not in {i.get("title") for i in b_items}
    assert "ID verified" not in {i.get("title") for i in b_items}


def test_a_loan_cannot_link_another_tenants_customer_on_create(world, other_api):
    """Given A's customer id, when B creates a loan with it, then 422 and nothing is written in
    either tenant."""
    before = store_state()
    got = other_api.post(
        "/loans", {"setup": LOAN_SETUP, "customers": [{"customerId": world.customer["id"], "role": "primary"}]}
    )
    assert_error(got, 422)
    assert store_state() == before


def test_a_loan_cannot_be_relinked_to_another_tenants_customer_on_update(world, other_api):
    """Given B's loan, when B PUTs A's customer id into its customers, then 422, B's loan unchanged
    and A's customer shows no new loan."""
    mine = make_customer(other_api, firstName="Bob")
    loan = make_loan(other_api, [(mine["id"], "primary")])
    before = store_state()
    got = other_api.put(
        f"/loans/{loan['id']}",
        {
            "customers": [
                {"customerId": mine["id"], "role": "primary"},
                {"customerId": world.customer["id"], "role": "secondary"},
            ]
        },
    )
    assert_error(got, 422)
    assert store_state() == before


def test_another_tenants_label_titles_are_unknown(world, other_api):
    """Given A created portfolio "Auto" and checklist item "ID verified", when B uses those titles,
    then 422 (labels are per tenant) and nothing is written."""
    before = store_state()
    for body in ({"setup": LOAN_SETUP, "portfolios": ["Auto"]}, {"setup": LOAN_SETUP, "checklist": ["ID verified"]}):
        assert_error(other_api.post("/loans", body), 422)
    assert store_state() == before
