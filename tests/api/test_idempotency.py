"""Idempotency-Key on POST: the same key and body answer the first 2xx answer again (Idempotent-Replayed:
true) and write nothing; another body is 422; a 4xx answer is not kept; keys are per tenant and route and
expire after 24 hours. (20 concurrent requests with one key: tests/e2e/test_local_stack.py.)"""

from __future__ import annotations

import time

import boto3
import pytest

from tests.api.helpers import assert_error, header, store_state
from tests.conftest import make_customer, make_loan, new_tenant


@pytest.fixture
def loan(api):
    made = make_loan(api, [(make_customer(api)["id"], "primary")])
    assert api.post(f"/loans/{made['id']}/activate").status == 200
    return made


def _pay(api, loan_id: str, key: str | None, amount: str = "100.00"):
    return api.post(
        f"/loans/{loan_id}/payments", {"amount": amount}, headers={"Idempotency-Key": key} if key is not None else None
    )


def _payments(api, loan_id: str) -> list[dict]:
    return [t for t in api.get(f"/loans/{loan_id}/transactions").json["items"] if t["type"] == "payment"]


def test_the_same_key_and_body_answer_the_first_answer_again_and_write_nothing(api, loan):
    first = _pay(api, loan["id"], "pay-1")
    assert first.status == 201, first
    assert header(first, "idempotent-replayed") == ""
    before = store_state()
    again = _pay(api, loan["id"], "pay-1")
    assert (again.status, again.json) == (201, first.json)
    assert header(again, "idempotent-replayed") == "true"
    assert store_state() == before
    assert [p["id"] for p in _payments(api, loan["id"])] == [first.json["id"]]


def test_without_a_key_every_post_is_its_own(api, loan):
    assert _pay(api, loan["id"], None).status == 201
    assert _pay(api, loan["id"], None).status == 201
    assert len(_payments(api, loan["id"])) == 2


def test_the_same_key_with_another_body_is_422_and_writes_nothing(api, loan):
    assert _pay(api, loan["id"], "pay-1").status == 201
    before = store_state()
    error = assert_error(_pay(api, loan["id"], "pay-1", amount="200.00"), 422)
    assert error["details"] == [{"field": "headers.Idempotency-Key", "message": "already used with another body"}]
    assert store_state() == before


def test_an_answer_that_is_not_2xx_is_not_kept(api, loan):
    assert_error(_pay(api, loan["id"], "pay-1", amount="1e3"), 422)
    fixed = api.post(f"/loans/{loan['id']}/payments", {"amount": "1000.00"}, headers={"Idempotency-Key": "pay-2"})
    assert fixed.status == 201
    assert_error(api.post("/customers", {"firstName": "A"}, headers={"Idempotency-Key": "c-1"}), 422)
    made = api.post(
        "/customers",
        {"firstName": "A", "lastName": "B", "customerType": "individual"},
        headers={"Idempotency-Key": "c-1"},
    )
    assert made.status == 201, made  # the refused first try left the key free


def test_keys_belong_to_one_tenant_and_one_route(api, loan):
    other = new_tenant("Other")
    body = {"firstName": "A", "lastName": "B", "customerType": "individual"}
    mine = api.post("/customers", body, headers={"Idempotency-Key": "k"})
    theirs = other.post("/customers", body, headers={"Idempotency-Key": "k"})
    assert (mine.status, theirs.status) == (201, 201)
    assert mine.json["id"] != theirs.json["id"] and header(theirs, "idempotent-replayed") == ""
    assert _pay(api, loan["id"], "k").status == 201  # the same key on another route is another request


@pytest.mark.parametrize(
    "route, body",
    [
        ("/customers", {"firstName": "A", "lastName": "B", "customerType": "individual"}),
        (
            "/loans",
            {
                "setup": {
                    "loanAmount": "1000.00",
                    "interestRate": "5",
                    "termPeriods": 12,
                    "paymentFrequency": "monthly",
                    "contractDate": "2026-01-15",
                    "firstPaymentDate": "2026-02-15",
                }
            },
        ),
        ("/portfolios", {"title": "Auto"}),
        (
            "/rules",
            {
                "name": "r",
                "criteria": "(> status-days-past-due 30)",
                "actions": [{"type": "account-tools", "operation": "archive"}],
            },
        ),
        ("/webhooks", {"name": "w", "url": "https://example.com/hook", "events": ["loan.created"]}),
        ("/maintenance/runs", {}),
    ],
)
def test_every_create_is_answered_once_per_key(api, route, body):
    first = api.post(route, body, headers={"Idempotency-Key": "once"})
    assert 200 <= first.status < 300, first
    before = store_state()
    again = api.post(route, body, headers={"Idempotency-Key": "once"})
    assert (again.status, again.json, header(again, "idempotent-replayed")) == (first.status, first.json, "true")
    assert store_state() == before


@pytest.mark.parametrize("key", ["", "a" * 256, "caf\u00e9", "a b", "a\tb", "\u0000"])
def test_a_key_that_is_not_1_to_255_visible_ascii_characters_is_422(api, loan, key):
    before = store_state()
    error = assert_error(_pay(api, loan["id"], key), 422)
    assert error["details"][0]["field"] == "headers.Idempotency-Key"
    assert store_state() == before


def test_a_key_is_kept_24_hours_then_runs_anew(api, loan):
    first = _pay(api, loan["id"], "pay-1")
    table = boto3.resource("dynamodb", region_name="us-east-1").Table("IdempotencyTable")
    [record] = table.scan()["Items"]
    assert record["status"] == "COMPLETED"
    assert abs(int(record["expiration"]) - (time.time() + 24 * 3600)) < 120
    table.update_item(
        Key={"id": record["id"]},
        UpdateExpression="SET expiration = :past",
        ExpressionAttributeValues={":past": int(time.time()) - 1},
    )
    later = _pay(api, loan["id"], "pay-1")
    assert later.status == 201 and later.json["id"] != first.json["id"]
    assert header(later, "idempotent-replayed") == ""


def test_an_admin_post_is_never_kept_its_answer_holds_a_new_tenant_s_key(api):
    from tests.conftest import ADMIN_KEY

    body = {"name": "Twice", "timezone": "UTC"}
    first = api.post("/admin/tenants", body, key=ADMIN_KEY, headers={"Idempotency-Key": "t"})
    again = api.post("/admin/tenants", body, key=ADMIN_KEY, headers={"Idempotency-Key": "t"})
    assert (first.status, again.status) == (201, 201) and first.json["apiKey"] != again.json["apiKey"]
    assert boto3.client("dynamodb", region_name="us-east-1").scan(TableName="IdempotencyTable")["Items"] == []


def test_the_openapi_document_names_the_header_on_every_post(api):
    document = api.get("/openapi.json", key=None).json
    posts = [
        (path, op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if method == "post" and not path.startswith("/admin")
    ]
    assert len(posts) > 10
    for path, operation in posts:
        assert "Idempotency-Key" in [p["name"] for p in operation.get("parameters", [])], path
        assert {"409", "422"} <= set(operation["responses"]), path
