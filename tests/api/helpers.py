"""Shared helpers for the API specification tests: the error shape, the route table read from the
router itself, and a full snapshot of what one tenant can see (to prove a failed request wrote nothing)."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from tests.conftest import LOAN_SETUP, Api, make_customer, make_loan

LIST_PATHS = ["/customers", "/loans", "/customer-statuses", "/loan-statuses", "/portfolios", "/checklist-items"]
LABEL_PATHS = ["/customer-statuses", "/loan-statuses", "/portfolios", "/checklist-items"]
PUBLIC_ROUTES = {("GET", "/openapi.json"), ("GET", "/console"), ("GET", "/console/<name>")}  # the console: its files
PLACEHOLDER = re.compile(r"<([^>]+)>")


def registered_routes() -> list[tuple[str, str]]:
    """Every (METHOD, path) the API function registers, read from the Powertools resolver, so a
    route added later is covered (or makes a coverage test fail) without editing this list."""
    from functions.api.app import app

    routes = {(str(r.method).upper(), r.path) for r in [*app._static_routes, *app._dynamic_routes]}
    assert routes, "could not read the routes from the resolver"
    return sorted(routes)


def id_routes() -> list[tuple[str, str]]:
    return [r for r in registered_routes() if PLACEHOLDER.search(r[1]) and r not in PUBLIC_ROUTES]


def fill(path: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], path)


def header(reply, name: str) -> str:
    """A response header from headers or multiValueHeaders (API Gateway REST answers carry either)."""
    for key, value in (reply.raw.get("headers") or {}).items():
        if key.lower() == name:
            return value
    for key, values in (reply.raw.get("multiValueHeaders") or {}).items():
        if key.lower() == name and values:
            return values[-1]
    return ""


def assert_error(reply, status: int | tuple[int, ...]) -> dict:
    """The reply is an error in the contract's shape: {"error": {"code", "message", "details": [...]}}."""
    wanted = status if isinstance(status, tuple) else (status,)
    assert reply.status in wanted, f"expected {wanted}, got {reply!r}"
    assert header(reply, "content-type").startswith("application/json"), reply.raw
    body = reply.json
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message", "details"} <= set(error), error
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["details"], list), error
    return error


def walk(api: Api, path: str, limit: int = 500) -> list[dict]:
    items: list[dict] = []
    cursor = None
    for _ in range(1000):
        query: dict[str, Any] = {"limit": limit}
        if cursor:
            query["cursor"] = cursor
        got = api.get(path, query=query)
        assert got.status == 200, (path, got)
        items += got.json["items"]
        cursor = got.json["nextCursor"]
        if not cursor:
            return items
    raise AssertionError(f"{path} never ended")


def snapshot(api: Api) -> dict[str, Any]:
    """Everything the tenant can read: the tenant, every list, and each customer's loans."""
    tenant = api.get("/tenant")
    assert tenant.status == 200, tenant
    state: dict[str, Any] = {"/tenant": tenant.json}
    for path in LIST_PATHS:
        state[path] = walk(api, path)
    for customer in state["/customers"]:
        path = f"/customers/{customer['id']}/loans"
        state[path] = walk(api, path)
    return state


def store_state() -> dict[str, list]:
    """Every item of every table of the template, read straight from moto's in-process DynamoDB
    store: a stronger "nothing was written" check than walking the API (it also sees version
    bumps, links and key records the API never shows), and cheap enough to run around each of
    hundreds of refused requests (a boto3 scan spends its time in moto's response serializer)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    return {
        name: sorted(json.dumps(item.to_json(), sort_keys=True) for item in backend.get_table(name).all_items())
        for name in _table_names()
    }


@functools.cache
def _table_names() -> tuple[str, ...]:
    from local.resources import load_template, tables

    return tuple(tables(load_template()))


def raw_json(body: Any, **raw: str) -> str:
    """JSON text of body where each string "@name@" is replaced by the raw JSON text raw[name]
    (for numbers Python cannot produce: 1e400, 12.345 as a literal, 5000-digit integers...)."""
    text = json.dumps(body)
    for name, literal in raw.items():
        text = text.replace(json.dumps(f"@{name}@"), literal)
    return text


class World:
    """One tenant holding one of everything: a customer, a loan linked to it (in Application, with an
    AutoPay), an activated loan with a payment, a portfolio with a sub-portfolio, a checklist item, plus the
    default statuses."""

    def __init__(self, api: Api):
        self.api = api
        self.customer = make_customer(api, email="ada@example.com", phone="+1 555 0100", creditScore=720)
        self.loan = make_loan(api, [(self.customer["id"], "primary")])
        made = api.put(f"/loans/{self.loan['id']}/autopay", {"method": {"type": "ach", "token": "tok_theirs"}})
        assert made.status == 200, made
        self.loan = api.get(f"/loans/{self.loan['id']}").json
        self.customer2 = make_customer(api, firstName="Grace", lastName="Hopper")
        made = api.post("/portfolios", {"title": "Auto", "subPortfolios": ["Used cars"]})
        assert made.status == 201, made
        self.portfolio = made.json
        made = api.post("/checklist-items", {"title": "ID verified"})
        assert made.status == 201, made
        self.checklist_item = made.json
        self.active_loan = make_loan(api, [(self.customer["id"], "primary")])
        activated = api.post(f"/loans/{self.active_loan['id']}/activate")
        assert activated.status == 200, activated
        paid = api.post(f"/loans/{self.active_loan['id']}/payments", {"amount": "100.00", "date": "2026-02-15"})
        assert paid.status == 201, paid
        self.payment = paid.json
        made = api.post(
            "/rules",
            {
                "name": "Past due",
                "criteria": "(> status-days-past-due 30)",
                "actions": [{"type": "loan-checklist", "check": ["ID verified"]}],
            },
        )
        assert made.status == 201, made
        self.rule = made.json
        made = api.post(f"/rules/{self.rule['id']}/force", {"loanIds": [self.active_loan["id"]]})
        assert made.status == 202, made
        self.job = made.json
        made = api.post("/maintenance/runs", {})
        assert made.status == 202, made
        self.run = made.json
        made = api.post(
            "/webhooks",
            {
                "name": "Hook",
                "url": "https://hooks.example.com/in",
                "events": ["loan.created"],
                "headers": {"Authorization": "Bearer theirs"},
            },
        )
        assert made.status == 201, made
        self.webhook = made.json
        self.customer_status = _by_title(api, "/customer-statuses", "Lead")
        self.loan_status = _by_title(api, "/loan-statuses", "Application")

    def label(self, path: str) -> dict:
        return {
            "/customer-statuses": self.customer_status,
            "/loan-statuses": self.loan_status,
            "/portfolios": self.portfolio,
            "/checklist-items": self.checklist_item,
        }[path]


def _by_title(api: Api, path: str, title: str) -> dict:
    for item in walk(api, path):
        if item["title"] == title:
            return item
    raise AssertionError(f"no {title!r} in {path}")


__all__ = ["LOAN_SETUP", "make_customer", "make_loan"]
