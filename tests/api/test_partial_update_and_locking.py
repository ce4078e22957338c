"""PUT is a partial update (fields left out are unchanged) and optimistic locking: a stale
`version` in the body or in If-Match answers 409 and changes nothing; the current one succeeds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.helpers import World, assert_error, store_state

VOLATILE = {"version", "updatedAt"}

CUSTOMER_CHANGES: dict[str, dict[str, Any]] = {
    "status": {"status": "Lead"},
    "firstName": {"firstName": "Augusta"},
    "lastName": {"lastName": "King"},
    "email": {"email": "countess@example.com"},
    "phone": {"phone": "+44 20 0000"},
    "customerType": {"customerType": "company"},
    "creditScore": {"creditScore": 801},
    "address": {"address": {"line1": "12 St James's Square", "city": "London", "country": "GB"}},
}


def _same_except(before: dict, after: dict, changed: set[str]) -> None:
    ignored = VOLATILE | changed
    assert {k: v for k, v in before.items() if k not in ignored} == {k: v for k, v in after.items() if k not in ignored}


@pytest.mark.parametrize("field", CUSTOMER_CHANGES)
def test_put_customer_changes_only_the_fields_sent_and_bumps_version_by_one(world, field):
    """Given a customer, when PUT sends one field, then that field changes, every other field is
    as before, the version goes up by exactly one, and GET shows the same."""
    path = f"/customers/{world.customer['id']}"
    before = world.api.get(path).json
    got = world.api.put(path, CUSTOMER_CHANGES[field])
    assert got.status == 200, got
    after = world.api.get(path).json
    assert after == got.json
    for key, value in CUSTOMER_CHANGES[field].items():
        assert after[key] == (
            value if key != "address" else {**value, "line2": None, "state": None, "postalCode": None}
        )
    _same_except(before, after, set(CUSTOMER_CHANGES[field]))
    assert after["version"] == before["version"] + 1


LOAN_CHANGES: dict[str, Callable[[World], dict[str, Any]]] = {
    "displayId": lambda w: {"displayId": "L-2026-0001"},
    "status-and-sub-status": lambda w: {"loanStatus": "Open", "loanSubStatus": "Past Due"},
    "portfolios": lambda w: {"portfolios": ["Auto"], "subPortfolios": ["Used cars"]},
    "checklist": lambda w: {"checklist": ["ID verified"]},
    "customFields": lambda w: {"customFields": {"dealer": "Acme Motors", "vin": "1HGCM82633A004352"}},
    "customers": lambda w: {
        "customers": [
            {"customerId": w.customer["id"], "role": "primary"},
            {"customerId": w.customer2["id"], "role": "secondary"},
        ]
    },
}


@pytest.mark.parametrize("change", LOAN_CHANGES)
def test_put_loan_changes_only_the_fields_sent_and_bumps_version_by_one(world, change):
    """Given a loan, when PUT sends some labels, then only those change and the version goes up by one."""
    path = f"/loans/{world.loan['id']}"
    before = world.api.get(path).json
    body = LOAN_CHANGES[change](world)
    got = world.api.put(path, body)
    assert got.status == 200, got
    after = world.api.get(path).json
    assert after == got.json
    for key, value in body.items():
        assert after[key] == value, key
    _same_except(before, after, set(body))
    assert after["version"] == before["version"] + 1


def test_custom_fields_merge_and_null_removes_one(world):
    """Given customFields {a, b}, when PUT sends {b: null, c}, then a stays, b goes, c is added."""
    path = f"/loans/{world.loan['id']}"
    assert world.api.put(path, {"customFields": {"a": "1", "b": "2"}}).status == 200
    got = world.api.put(path, {"customFields": {"b": None, "c": "3"}})
    assert got.status == 200, got
    assert got.json["customFields"] == {"a": "1", "c": "3"}


def test_put_tenant_changes_only_the_fields_sent(api):
    """Given a tenant, when PUT sends maintenanceHour, then only it changes and version goes up by one."""
    before = api.get("/tenant").json
    got = api.put("/tenant", {"maintenanceHour": 5})
    assert got.status == 200, got
    after = api.get("/tenant").json
    assert after["maintenanceHour"] == 5
    _same_except(before, after, {"maintenanceHour"})
    assert after["version"] == before["version"] + 1


LABEL_CHANGES: dict[str, tuple[dict[str, Any], str]] = {
    "/customer-statuses": ({"displayOrder": 9}, "Lead"),
    "/loan-statuses": ({"lateFees": True}, "Application"),
    "/portfolios": ({"subPortfolios": ["Used cars", "New cars"]}, "Auto"),
}


@pytest.mark.parametrize("path", LABEL_CHANGES)
def test_put_label_changes_only_the_fields_sent(world, path):
    """Given a label, when PUT sends one field, then only that field changes."""
    body, _ = LABEL_CHANGES[path]
    label = world.label(path)
    got = world.api.put(f"{path}/{label['id']}", body)
    assert got.status == 200, got
    after = world.api.get(f"{path}/{label['id']}").json
    assert after == got.json
    for key, value in body.items():
        assert after[key] == value
    _same_except(label, after, set(body))


# ---------------------------------------------------------------- optimistic locking

# entity: (its path in a world, a first change, a second change)
ENTITIES: dict[str, tuple[Callable[[World], str], dict[str, Any], dict[str, Any]]] = {
    "customer": (lambda w: f"/customers/{w.customer['id']}", {"status": "Lead"}, {"firstName": "Eve"}),
    "loan": (lambda w: f"/loans/{w.loan['id']}", {"displayId": "L-1"}, {"displayId": "L-2"}),
    "tenant": (lambda w: "/tenant", {"maintenanceHour": 4}, {"maintenanceHour": 6}),
}


def _stale(world, entity: str) -> tuple[str, int]:
    """Makes one write so that the entity's first version is stale; returns (path, stale version)."""
    path_of, first, _ = ENTITIES[entity]
    path = path_of(world)
    stale = world.api.get(path).json["version"]
    assert world.api.put(path, first).status == 200
    return path, stale


@pytest.mark.parametrize("entity", ENTITIES)
def test_a_stale_version_in_the_body_answers_409_and_changes_nothing(world, entity):
    """Given someone else updated the entity, when PUT carries the version read before, then 409
    in the error shape and nothing changes."""
    path, stale = _stale(world, entity)
    before = store_state()
    got = world.api.put(path, {**ENTITIES[entity][2], "version": stale})
    assert_error(got, 409)
    assert store_state() == before


@pytest.mark.parametrize("entity", ENTITIES)
def test_a_version_from_the_future_answers_409(world, entity):
    """Given the entity at version v, when PUT carries v+5, then 409 and nothing changes."""
    path = ENTITIES[entity][0](world)
    current = world.api.get(path).json["version"]
    before = store_state()
    assert_error(world.api.put(path, {**ENTITIES[entity][2], "version": current + 5}), 409)
    assert store_state() == before


@pytest.mark.parametrize("form", ["{v}", '"{v}"', 'W/"{v}"'])
@pytest.mark.parametrize("entity", ENTITIES)
def test_a_stale_if_match_answers_409_and_changes_nothing(world, entity, form):
    """Given someone else updated the entity, when PUT sends If-Match with the old version (bare,
    quoted or weak ETag), then 409 and nothing changes."""
    path, stale = _stale(world, entity)
    before = store_state()
    got = world.api.put(path, ENTITIES[entity][2], headers={"If-Match": form.format(v=stale)})
    assert_error(got, 409)
    assert store_state() == before


@pytest.mark.parametrize("how", ["body", "if-match"])
@pytest.mark.parametrize("entity", ENTITIES)
def test_the_current_version_succeeds_and_bumps_it(world, entity, how):
    """Given the entity at version v, when PUT carries v (body or If-Match), then 200 at v+1."""
    path_of, _, change = ENTITIES[entity]
    path = path_of(world)
    current = world.api.get(path).json["version"]
    if how == "body":
        got = world.api.put(path, {**change, "version": current})
    else:
        got = world.api.put(path, change, headers={"If-Match": f'"{current}"'})
    assert got.status == 200, got
    assert got.json["version"] == current + 1
    for key, value in change.items():
        assert got.json[key] == value


@pytest.mark.parametrize("entity", ENTITIES)
def test_a_stale_version_cannot_be_replayed_after_a_successful_write(world, entity):
    """Given two clients read version v, when both PUT with v, then the first wins and the second 409s."""
    path_of, first, second = ENTITIES[entity]
    path = path_of(world)
    v = world.api.get(path).json["version"]
    assert world.api.put(path, {**first, "version": v}).status == 200
    assert_error(world.api.put(path, {**second, "version": v}), 409)
    after = world.api.get(path).json
    for key, value in first.items():
        assert after[key] == value


@pytest.mark.parametrize("path", ["/customer-statuses", "/loan-statuses", "/portfolios", "/checklist-items"])
def test_a_label_put_with_a_stale_if_match_answers_409(world, path):
    """Given a label, when PUT carries If-Match: 999 (a version it never had), then 409 and no change
    (Conventions: PUT accepts If-Match and answers 409 when stale; labels are entities too)."""
    label = world.label(path)
    body = {"title": label["title"]}
    before = store_state()
    assert_error(world.api.put(f"{path}/{label['id']}", body, headers={"If-Match": "999"}), 409)
    assert store_state() == before


@pytest.mark.parametrize("value", ["abc", "-1", '"x"', "1.5"])
def test_an_unreadable_if_match_is_refused_without_writing(world, value):
    """Given If-Match that is not a version, then a 4xx error (400 or 422) and no change."""
    path = f"/customers/{world.customer['id']}"
    before = store_state()
    got = world.api.put(path, {"firstName": "Eve"}, headers={"If-Match": value})
    assert_error(got, (400, 412, 422))
    assert store_state() == before
