"""Domain behaviour behind the API: partial updates, labels, links and lost-update protection."""

import pytest

from lms import customers as customer_service
from lms.store import customers as customer_store
from tests.conftest import LOAN_SETUP, make_customer, make_loan


def test_a_partial_customer_update_changes_each_sent_field_and_nothing_else(api):
    customer = make_customer(api, email="ada@example.com", creditScore=700)
    changed = api.put(f"/customers/{customer['id']}", {"firstName": "Grace", "creditScore": 720}).json
    assert changed["firstName"] == "Grace" and changed["creditScore"] == 720
    untouched = {k: v for k, v in customer.items() if k not in ("firstName", "creditScore", "version", "updatedAt")}
    assert {k: changed[k] for k in untouched} == untouched
    assert changed["version"] == customer["version"] + 1


def test_null_clears_an_optional_field_but_not_a_required_one(api):
    customer = make_customer(api, email="ada@example.com")
    assert api.put(f"/customers/{customer['id']}", {"email": None}).json["email"] is None
    refused = api.put(f"/customers/{customer['id']}", {"lastName": None})
    assert refused.status == 422 and refused.json["error"]["details"][0]["field"] == "lastName"


def test_a_concurrent_write_is_reread_and_the_change_applied_again(api, monkeypatch):
    """Given a PUT without version, when another writer saves between our read and our write,
    then both changes survive (optimistic locking re-reads; it never overwrites)."""
    customer = make_customer(api)
    tenant_id = api.get("/tenant").json["tenantId"]
    real_get = customer_store.get
    interfered: list[bool] = []

    def get_then_interfere(tid, cid):
        current = real_get(tid, cid)
        assert current is not None
        if not interfered:
            interfered.append(True)
            customer_store.replace(tid, current.model_copy(update={"phone": "+1 555 0100"}))
        return current

    monkeypatch.setattr(customer_store, "get", get_then_interfere)
    result = api.put(f"/customers/{customer['id']}", {"status": "Lead"})
    assert result.status == 200, result
    final = real_get(tenant_id, customer["id"])
    assert final is not None
    assert (final.status, final.phone, final.version) == ("Lead", "+1 555 0100", 3)


def test_a_stale_version_met_while_saving_answers_409_and_keeps_the_other_write(api, monkeypatch):
    customer = make_customer(api)
    real_get = customer_store.get

    def get_then_interfere(tid, cid):
        current = real_get(tid, cid)
        assert current is not None
        customer_store.replace(tid, current.model_copy(update={"phone": "+1 555 0100"}))
        return current

    monkeypatch.setattr(customer_store, "get", get_then_interfere)
    result = api.put(f"/customers/{customer['id']}", {"status": "Lead", "version": 1})
    monkeypatch.undo()
    assert result.status == 409
    after = api.get(f"/customers/{customer['id']}").json
    assert (after["status"], after["phone"]) == ("Active", "+1 555 0100")


def test_changing_a_loans_customers_moves_the_links_both_ways(api):
    ada, bob, cy = (make_customer(api, firstName=n)["id"] for n in ("Ada", "Bob", "Cy"))
    loan = make_loan(api, [(ada, "primary"), (bob, "secondary")])
    moved = api.put(
        f"/loans/{loan['id']}",
        {"customers": [{"customerId": cy, "role": "primary"}, {"customerId": ada, "role": "additional"}]},
    )
    assert moved.status == 200, moved

    def roles(customer_id):
        return [(i["loan"]["id"], i["role"]) for i in api.get(f"/customers/{customer_id}/loans").json["items"]]

    assert roles(ada) == [(loan["id"], "additional")]
    assert roles(bob) == []
    assert roles(cy) == [(loan["id"], "primary")]


def test_a_loan_cannot_name_a_customer_that_does_not_exist_and_nothing_is_written(api):
    refused = api.post("/loans", {"setup": LOAN_SETUP, "customers": [{"customerId": "cus_missing", "role": "primary"}]})
    assert refused.status == 422
    assert api.get("/loans").json["items"] == []


@pytest.mark.parametrize(
    "customers, message",
    [
        ([("A", "primary"), ("B", "primary")], "at most one primary"),
        ([("A", "secondary")], "needs a primary"),
        ([("A", "primary"), ("A", "secondary")], "once"),
    ],
)
def test_customer_roles_on_a_loan_are_checked(api, customers, message):
    ids = {"A": make_customer(api)["id"], "B": make_customer(api)["id"]}
    body = {"setup": LOAN_SETUP, "customers": [{"customerId": ids[c], "role": r} for c, r in customers]}
    refused = api.post("/loans", body)
    assert refused.status == 422 and message in refused.json["error"]["message"]


def test_custom_fields_merge_and_null_removes_one(api):
    loan = make_loan(api, customFields={"region": "West", "score": "1.25"})
    updated = api.put(f"/loans/{loan['id']}", {"customFields": {"region": None, "tier": 2}}).json
    assert updated["customFields"] == {"score": "1.25", "tier": "2"}


def test_a_new_loan_status_clears_the_sub_status_unless_one_is_sent(api):
    loan = make_loan(api)
    activated = api.post(f"/loans/{loan['id']}/activate").json
    assert (activated["loanStatus"], activated["loanSubStatus"]) == ("Open", "Repaying")
    closed = api.put(f"/loans/{loan['id']}", {"loanStatus": "Closed"}).json
    assert (closed["loanStatus"], closed["loanSubStatus"]) == ("Closed", None)
    charged = api.put(f"/loans/{loan['id']}", {"loanSubStatus": "charged off"}).json
    assert charged["loanSubStatus"] == "Charged Off"
    refused = api.put(f"/loans/{loan['id']}", {"loanSubStatus": "Repaying"})
    assert refused.status == 422


def test_loan_terms_change_before_activation_only(api):
    loan = make_loan(api)
    bigger = api.put(f"/loans/{loan['id']}", {"setup": {**LOAN_SETUP, "loanAmount": "15000"}}).json
    assert bigger["values"]["principalBalance"] == "15000.00"
    api.post(f"/loans/{loan['id']}/activate")
    refused = api.put(f"/loans/{loan['id']}", {"setup": LOAN_SETUP})
    assert refused.status == 422 and "after activation" in refused.json["error"]["message"]


def test_sub_portfolios_belong_to_the_loans_portfolios(api):
    api.post("/portfolios", {"title": "Collections", "subPortfolios": ["Early", "Late"]})
    api.post("/portfolios", {"title": "Marketing"})
    loan = make_loan(api, portfolios=["collections", "Marketing"], subPortfolios=["early"])
    assert (loan["portfolios"], loan["subPortfolios"]) == (["Collections", "Marketing"], ["Early"])
    assert (
        api.post("/loans", {"setup": LOAN_SETUP, "portfolios": ["Marketing"], "subPortfolios": ["Early"]}).status == 422
    )
    dropped = api.put(f"/loans/{loan['id']}", {"portfolios": ["Marketing"]}).json
    assert dropped["subPortfolios"] == []


def test_label_titles_are_unique_and_cannot_be_renamed(api):
    created = api.post("/customer-statuses", {"title": "SCRA"}).json
    assert api.post("/customer-statuses", {"title": "scra"}).status == 409
    assert api.put(f"/customer-statuses/{created['id']}", {"title": "Military"}).status == 422
    assert api.put(f"/customer-statuses/{created['id']}", {"active": False}).json["active"] is False


def test_system_loan_statuses_cannot_be_deleted_nor_lose_their_sub_statuses(api):
    statuses = {s["title"]: s for s in api.get("/loan-statuses").json["items"]}
    assert api.delete(f"/loan-statuses/{statuses['Open']['id']}").status == 422
    assert api.put(f"/loan-statuses/{statuses['Closed']['id']}", {"subStatuses": [{"title": "Paid Off"}]}).status == 422
    custom = api.post("/loan-statuses", {"title": "Hold", "subStatuses": [{"title": "Legal"}]}).json
    assert api.delete(f"/loan-statuses/{custom['id']}").status == 204
    assert api.get(f"/loan-statuses/{custom['id']}").status == 404


def test_a_deleted_status_stays_on_customers_but_cannot_be_given(api):
    status = api.post("/customer-statuses", {"title": "Deceased"}).json
    customer = make_customer(api, status="Deceased")
    assert api.delete(f"/customer-statuses/{status['id']}").status == 204
    assert api.get(f"/customers/{customer['id']}").json["status"] == "Deceased"
    assert (
        api.post(
            "/customers", {"firstName": "A", "lastName": "B", "customerType": "individual", "status": "Deceased"}
        ).status
        == 422
    )
    assert api.post("/customer-statuses", {"title": "Deceased"}).status == 201


def test_an_inactive_customer_status_cannot_be_given(api):
    status = api.post("/customer-statuses", {"title": "Paused", "active": False}).json
    assert status["displayOrder"] == 2
    refused = api.post(
        "/customers", {"firstName": "A", "lastName": "B", "customerType": "individual", "status": "Paused"}
    )
    assert refused.status == 422 and "inactive" in refused.json["error"]["message"]


def test_a_business_date_override_dates_new_loans(api):
    assert api.put("/tenant", {"businessDate": "2026-03-01", "timezone": "America/Chicago"}).status == 200
    assert make_loan(api)["asOf"] == "2026-03-01"
    assert api.put("/tenant", {"businessDate": None}).json["businessDate"] is None


def test_the_domain_service_is_the_same_code_the_api_calls(api):
    """The handler is thin: a customer created through the service reads back through the API."""
    tenant_id = api.get("/tenant").json["tenantId"]
    from lms.contract import CustomerCreate

    created = customer_service.create(
        tenant_id, CustomerCreate.model_validate({"firstName": "Z", "lastName": "Y", "customerType": "company"})
    )
    assert api.get(f"/customers/{created.id}").json["customerType"] == "company"


@pytest.mark.parametrize(
    "path",
    [
        "/customers/" + "x" * 2000,
        "/loans/" + "é" * 600,
        "/portfolios/" + "a" * 3000,
        "/customers/cus_",
        "/loans/cus_01M83TVDF34GH7GSYD1R44H7PD",
    ],
)
def test_ids_of_the_wrong_shape_are_unknown_without_a_lookup(api, path):
    reply = api.get(path)
    assert reply.status == 404 and reply.json["error"]["code"] == "not_found"


def test_a_base64_body_that_is_not_utf8_is_a_400_not_a_500(api):
    import base64

    from functions.api.app import lambda_handler
    from local.apigw import LambdaContext, proxy_event

    event = proxy_event(
        "POST",
        "/customers",
        None,
        {"Authorization": f"Bearer {api.key}", "Content-Type": "application/json"},
        base64.b64encode(b"\xff\xfe{").decode(),
    )
    event["isBase64Encoded"] = True
    assert lambda_handler(event, LambdaContext())["statusCode"] == 400
