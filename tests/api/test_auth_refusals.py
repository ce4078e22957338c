"""Authentication refusals (one shared moto account: nothing here may write): every route needs
`Authorization: Bearer <key>` (GET /openapi.json excepted); missing, malformed or unknown keys answer
401 in the error shape; /admin needs the admin key."""

from __future__ import annotations

import pytest

from tests.api.helpers import PLACEHOLDER, PUBLIC_ROUTES, assert_error, registered_routes
from tests.conftest import ADMIN_KEY, Api

PROTECTED = [r for r in registered_routes() if r not in PUBLIC_ROUTES]
TENANT_ROUTES = [r for r in PROTECTED if not r[1].startswith("/admin")]
ADMIN_ROUTES = [r for r in PROTECTED if r[1].startswith("/admin")]
BAD_AUTHORIZATION = {
    "missing": None,
    "empty": "",
    "scheme-only": "Bearer",
    "scheme-and-spaces": "Bearer    ",
    "basic-scheme": "Basic dXNlcjpwYXNz",
    "token-scheme": "Token lk_abc",
    "key-without-scheme": "lk_abc",
    "unknown-key": "Bearer lk_this-key-was-never-issued",
    "very-long-key": "Bearer " + "k" * 5000,
    "two-keys": "Bearer lk_a lk_b",
}


def _path(template: str) -> str:
    return PLACEHOLDER.sub("x_does_not_matter", template)


def _call(method: str, path: str, authorization: str | None):
    headers = {} if authorization is None else {"Authorization": authorization}
    return Api().request(method, path, {"name": "X"} if method in ("POST", "PUT") else None, key=None, headers=headers)


@pytest.mark.parametrize("authorization", BAD_AUTHORIZATION)
@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: f"{r[0]} {r[1]}")
def test_a_route_without_a_valid_key_answers_401(shared_aws, route, authorization):
    """Given no key, a malformed Authorization header or an unknown key, when any protected route
    is called, then 401 in the error shape."""
    assert_error(_call(route[0], _path(route[1]), BAD_AUTHORIZATION[authorization]), 401)


@pytest.mark.parametrize("route", TENANT_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_the_admin_key_is_not_a_tenant_key(shared_aws, route):
    """Given the operator's admin key, when a tenant route is called with it, then 401."""
    assert_error(_call(route[0], _path(route[1]), f"Bearer {ADMIN_KEY}"), 401)
