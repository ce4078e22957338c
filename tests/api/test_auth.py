"""Authentication that needs a real tenant: a tenant key is not the admin key, a key reaches only
its own tenant, the scheme is case-insensitive (refusals without a key: test_auth_refusals)."""

from __future__ import annotations

import pytest

from tests.api.helpers import PLACEHOLDER, assert_error, registered_routes, store_state
from tests.conftest import Api

ADMIN_ROUTES = [r for r in registered_routes() if r[1].startswith("/admin")]


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_a_tenant_key_is_not_the_admin_key(api, route):
    """Given a valid tenant key, when an /admin route is called with it, then 401 and no tenant is made."""
    before = store_state()
    got = api.request(route[0], PLACEHOLDER.sub("x_does_not_matter", route[1]), {"name": "Sneaky"})
    assert_error(got, 401)
    assert store_state() == before


def test_the_openapi_document_is_public(aws):
    """Given no key at all, GET /openapi.json answers 200."""
    got = Api().get("/openapi.json", key=None)
    assert got.status == 200, got


def test_a_revealed_key_only_reaches_its_own_tenant(api, other_api):
    """Given two tenants, each key reads its own tenant."""
    a, b = api.get("/tenant"), other_api.get("/tenant")
    assert a.status == b.status == 200
    assert a.json["tenantId"] != b.json["tenantId"]
    assert (a.json["name"], b.json["name"]) == ("First Lender", "Second Lender")


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
def test_the_bearer_scheme_is_case_insensitive(api, scheme):
    """Given a valid key sent as '<scheme> <key>' (RFC 7235: the scheme is case-insensitive), then 200."""
    got = api.get("/tenant", key=None, headers={"Authorization": f"{scheme} {api.key}"})
    assert got.status == 200, got


def test_an_unknown_key_that_differs_by_one_character_is_refused(api):
    """Given a valid key with its last character changed, then 401."""
    wrong = api.key[:-1] + ("A" if api.key[-1] != "A" else "B")
    assert_error(api.get("/tenant", key=wrong), 401)
