"""Bad input as a new integrator would send it. Malformed JSON answers 400, a body over 64 KiB 413,
a non-JSON content type 415, valid JSON with invalid content 422; never a 500; always the error
shape; and nothing is written (every table's every item is identical afterwards).

These tests share one tenant per module: each must leave it untouched, which is what they check."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.helpers import assert_error, raw_json, store_state
from tests.conftest import LOAN_SETUP

DEL = object()  # an override that removes the field


def _setup(**changes: Any) -> dict:
    setup = {**LOAN_SETUP}
    for key, value in changes.items():
        if value is DEL:
            setup.pop(key, None)
        else:
            setup[key] = value
    return setup


# name -> (method, path from the world, a VALID body for that route)
TARGETS: dict[str, tuple[str, Callable[[Any], str], Callable[[Any], dict]]] = {
    "POST /customers": (
        "POST",
        lambda w: "/customers",
        lambda w: {"firstName": "Ada", "lastName": "Byron", "customerType": "individual"},
    ),
    "PUT /customers/{id}": ("PUT", lambda w: f"/customers/{w.customer['id']}", lambda w: {"firstName": "Augusta"}),
    "POST /loans": (
        "POST",
        lambda w: "/loans",
        lambda w: {"setup": LOAN_SETUP, "customers": [{"customerId": w.customer["id"], "role": "primary"}]},
    ),
    "PUT /loans/{id}": ("PUT", lambda w: f"/loans/{w.loan['id']}", lambda w: {"displayId": "L-0001"}),
    "PUT /tenant": ("PUT", lambda w: "/tenant", lambda w: {"maintenanceHour": 3}),
    "POST /customer-statuses": ("POST", lambda w: "/customer-statuses", lambda w: {"title": "SCRA"}),
    "PUT /customer-statuses/{id}": (
        "PUT",
        lambda w: f"/customer-statuses/{w.customer_status['id']}",
        lambda w: {"displayOrder": 7},
    ),
    "POST /loan-statuses": (
        "POST",
        lambda w: "/loan-statuses",
        lambda w: {"title": "Workout", "subStatuses": [{"title": "Plan"}]},
    ),
    "PUT /loan-statuses/{id}": ("PUT", lambda w: f"/loan-statuses/{w.loan_status['id']}", lambda w: {"lateFees": True}),
    "POST /portfolios": ("POST", lambda w: "/portfolios", lambda w: {"title": "Boats"}),
    "PUT /portfolios/{id}": (
        "PUT",
        lambda w: f"/portfolios/{w.portfolio['id']}",
        lambda w: {"subPortfolios": ["Used cars", "New cars"]},
    ),
    "POST /checklist-items": ("POST", lambda w: "/checklist-items", lambda w: {"title": "Docs signed"}),
    "PUT /checklist-items/{id}": (
        "PUT",
        lambda w: f"/checklist-items/{w.checklist_item['id']}",
        lambda w: {"title": "ID verified"},
    ),
    "POST /loans/{id}/payments": (
        "POST",
        lambda w: f"/loans/{w.active_loan['id']}/payments",
        lambda w: {"amount": "10.00"},
    ),
    "POST /loans/{id}/charges": (
        "POST",
        lambda w: f"/loans/{w.active_loan['id']}/charges",
        lambda w: {"amount": "5.00", "title": "NSF fee"},
    ),
    "POST /loans/{id}/credits": (
        "POST",
        lambda w: f"/loans/{w.active_loan['id']}/credits",
        lambda w: {"amount": "1.00"},
    ),
    "POST /rules": (
        "POST",
        lambda w: "/rules",
        lambda w: {
            "name": "R",
            "criteria": "(> status-days-past-due 1)",
            "actions": [{"type": "stop-interest", "mode": "suspend"}],
        },
    ),
    "PUT /rules/{id}": ("PUT", lambda w: f"/rules/{w.rule['id']}", lambda w: {"name": "Renamed"}),
    "PUT /rules/order": ("PUT", lambda w: "/rules/order", lambda w: {"ruleIds": [w.rule["id"]]}),
    "POST /rules/preview": ("POST", lambda w: "/rules/preview", lambda w: {"criteria": "(> status-days-past-due 1)"}),
    "POST /loans/{id}/rules/{id}/force": (
        "POST",
        lambda w: f"/loans/{w.active_loan['id']}/rules/{w.rule['id']}/force",
        lambda w: {"explain": True},
    ),
    "POST /rules/{id}/force": (
        "POST",
        lambda w: f"/rules/{w.rule['id']}/force",
        lambda w: {"loanIds": [w.active_loan["id"]]},
    ),
    "POST /maintenance/runs": ("POST", lambda w: "/maintenance/runs", lambda w: {"businessDate": w.run["runId"][4:]}),
    "POST /webhooks": ("POST", lambda w: "/webhooks", lambda w: {"name": "H", "url": "https://hooks.example.com/in"}),
    "PUT /webhooks/{id}": ("PUT", lambda w: f"/webhooks/{w.webhook['id']}", lambda w: {"name": "Renamed"}),
}


def _send(world, target: str, text: str | None, content_type: str = "application/json"):
    method, path, _ = TARGETS[target]
    before = store_state()
    got = world.api.request(method, path(world), raw=text, headers={"Content-Type": content_type})
    return got, before


def _valid_text(world, target: str) -> str:
    return json.dumps(TARGETS[target][2](world))


# ---------------------------------------------------------------- malformed JSON: 400

MALFORMED: dict[str, Callable[[str], str]] = {
    "truncated": lambda t: t[: len(t) // 2],
    "trailing-comma": lambda t: t[:-1] + ",}",
    "NaN": lambda t: t[:-1] + ', "n": NaN}',
    "Infinity": lambda t: t[:-1] + ', "n": Infinity}',
    "minus-Infinity": lambda t: t[:-1] + ', "n": -Infinity}',
    "single-quotes": lambda t: t.replace('"', "'"),
    "unquoted-keys": lambda t: "{title: 1}",
    "comment": lambda t: t[:-1] + " /* note */}",
    "raw-newline-in-string": lambda t: '{"title": "a\nb"}',
    "bad-escape": lambda t: '{"title": "\\x41"}',
    "not-json-at-all": lambda t: "hello",
    "two-documents": lambda t: t + t,
    "empty-body": lambda t: "",
    "whitespace-only": lambda t: "   \n",
}


@pytest.mark.parametrize("variant", MALFORMED)
@pytest.mark.parametrize("target", TARGETS)
def test_malformed_json_answers_400_and_writes_nothing(shared_world, target, variant):
    """Given a body that is not JSON, when it is sent, then 400 in the error shape and no change."""
    got, before = _send(shared_world, target, MALFORMED[variant](_valid_text(shared_world, target)))
    assert_error(got, 400)
    assert store_state() == before


# ---------------------------------------------------------------- valid JSON, not an object: 422

NOT_AN_OBJECT: dict[str, Callable[[str], str]] = {
    "array": lambda t: "[]",
    "array-of-the-valid-object": lambda t: f"[{t}]",
    "string": lambda t: '"title"',
    "number": lambda t: "42",
    "null": lambda t: "null",
    "true": lambda t: "true",
}


@pytest.mark.parametrize("variant", NOT_AN_OBJECT)
@pytest.mark.parametrize("target", TARGETS)
def test_json_that_is_not_an_object_answers_422_and_writes_nothing(shared_world, target, variant):
    """Given valid JSON that is not an object (array, string, number, null, true; also an array
    holding the otherwise valid object), then 422 (valid JSON, invalid content) and no change."""
    got, before = _send(shared_world, target, NOT_AN_OBJECT[variant](_valid_text(shared_world, target)))
    assert_error(got, 422)
    assert store_state() == before


# ---------------------------------------------------------------- deep nesting: 400 or 422, never 500

DEEP = 10_000


@pytest.mark.parametrize("where", ["top-level-arrays", "arrays-in-a-field", "objects-in-a-field"])
@pytest.mark.parametrize("target", TARGETS)
def test_absurdly_deep_nesting_is_refused_without_a_500(shared_world, target, where):
    """Given 10,000 nested arrays/objects (well under 64 KiB), then a 400 or 422 error (the contract
    does not say which; a parser limit reads as malformed) and no change."""
    nested = {
        "top-level-arrays": "[" * DEEP + "]" * DEEP,
        "arrays-in-a-field": '{"title": ' + "[" * DEEP + "]" * DEEP + "}",
        "objects-in-a-field": '{"title": ' + '{"a":' * DEEP + "1" + "}" * DEEP + "}",
    }[where]
    got, before = _send(shared_world, target, nested)
    assert_error(got, (400, 422))
    assert store_state() == before


# ---------------------------------------------------------------- size: 413


@pytest.mark.parametrize("shape", ["ascii", "multibyte-emoji", "just-over"])
@pytest.mark.parametrize("target", TARGETS)
def test_a_body_over_64_KiB_answers_413_and_writes_nothing(shared_world, target, shape):
    """Given a body larger than 64 KiB (counted in bytes: 20,000 emoji are 80,000 bytes), then 413."""
    text = _valid_text(shared_world, target)
    padding = {
        "ascii": "x" * 70_000,
        "multibyte-emoji": "\U0001f984" * 20_000,
        "just-over": "x" * (64 * 1024 + 1 - len(text) - len(', "pad": ""')),
    }[shape]
    big = text[:-1] + ', "pad": ' + json.dumps(padding, ensure_ascii=False) + "}"
    assert len(big.encode("utf-8")) > 64 * 1024
    got, before = _send(shared_world, target, big)
    assert_error(got, 413)
    assert store_state() == before


# ---------------------------------------------------------------- content type: 415

CONTENT_TYPES = [
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "text/html; charset=utf-8",
]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize("target", TARGETS)
def test_a_non_json_content_type_answers_415_and_writes_nothing(shared_world, target, content_type):
    """Given a JSON-looking body sent with a non-JSON Content-Type, then 415 and no change."""
    text = _valid_text(shared_world, target)
    if content_type.startswith("application/x-www-form"):
        text = "title=SCRA&firstName=Ada"
    got, before = _send(shared_world, target, text, content_type)
    assert_error(got, 415)
    assert store_state() == before


# ---------------------------------------------------------------- invalid content: 422

R = "@raw@"  # a value replaced by raw JSON text (see raw_json)
BIG_INT = "1" + "0" * 5000

CUSTOMER_FIELDS = [
    ("firstName-number", {"firstName": 123}),
    ("firstName-bool", {"firstName": True}),
    ("firstName-list", {"firstName": ["Ada"]}),
    ("firstName-empty", {"firstName": ""}),
    ("firstName-blank", {"firstName": "   "}),
    ("firstName-null", {"firstName": None}),
    ("firstName-10k-chars", {"firstName": "A" * 10_000}),
    ("lastName-number", {"lastName": 5}),
    ("email-number", {"email": 5}),
    ("phone-number", {"phone": 5551234}),
    ("customerType-unknown", {"customerType": "person"}),
    ("customerType-number", {"customerType": 1}),
    ("customerType-null", {"customerType": None}),
    ("status-unknown-title", {"status": "SCRA"}),
    ("status-number", {"status": 5}),
    ("status-empty", {"status": ""}),
    ("creditScore-string", {"creditScore": "700"}),
    ("creditScore-float", ({"creditScore": R}, "700.5")),
    ("creditScore-bool", {"creditScore": True}),
    ("creditScore-too-low", {"creditScore": 299}),
    ("creditScore-too-high", {"creditScore": 851}),
    ("creditScore-huge", ({"creditScore": R}, BIG_INT)),
    ("address-string", {"address": "1 Main St"}),
    ("address-missing-city", {"address": {"line1": "1 Main St"}}),
    ("address-unknown-field", {"address": {"line1": "1 Main St", "city": "Springfield", "zip": "12345"}}),
    ("address-country-3-letters", {"address": {"line1": "1 Main St", "city": "Springfield", "country": "USA"}}),
    ("unknown-field", {"nickname": "Ada"}),
    ("snake-case-field", {"first_name": "Ada"}),
    ("client-sets-id", {"id": "cus_mine"}),
    ("client-sets-createdAt", {"createdAt": "2020-01-01T00:00:00Z"}),
]
CUSTOMER_PUT_ONLY = [
    ("version-string", {"version": "0"}),
    ("version-float", ({"version": R}, "0.5")),
    ("version-bool", {"version": True}),
    ("lastName-null", {"lastName": None}),
]

SETUP_FIELDS = [
    ("loanAmount-3-decimals-number", {"loanAmount": R}, "12.345"),
    ("loanAmount-3-decimals-string", {"loanAmount": "12.345"}, None),
    ("loanAmount-4-decimals", {"loanAmount": "12000.0001"}, None),
    ("loanAmount-zero", {"loanAmount": 0}, None),
    ("loanAmount-zero-string", {"loanAmount": "0.00"}, None),
    ("loanAmount-negative", {"loanAmount": -5}, None),
    ("loanAmount-negative-string", {"loanAmount": "-5.00"}, None),
    ("loanAmount-1e400-number", {"loanAmount": R}, "1e400"),
    ("loanAmount-1e400-string", {"loanAmount": "1e400"}, None),
    ("loanAmount-5000-digit-integer", {"loanAmount": R}, BIG_INT),
    ("loanAmount-trillion", {"loanAmount": "1000000000000.00"}, None),
    ("loanAmount-words", {"loanAmount": "twelve thousand"}, None),
    ("loanAmount-thousands-separator", {"loanAmount": "12,000.00"}, None),
    ("loanAmount-currency-sign", {"loanAmount": "$12000"}, None),
    ("loanAmount-NaN-string", {"loanAmount": "NaN"}, None),
    ("loanAmount-Infinity-string", {"loanAmount": "Infinity"}, None),
    ("loanAmount-empty", {"loanAmount": ""}, None),
    ("loanAmount-bool", {"loanAmount": True}, None),
    ("loanAmount-null", {"loanAmount": None}, None),
    ("loanAmount-list", {"loanAmount": [12000]}, None),
    ("loanAmount-missing", {"loanAmount": DEL}, None),
    ("interestRate-negative", {"interestRate": -1}, None),
    ("interestRate-over-100", {"interestRate": "101"}, None),
    ("interestRate-words", {"interestRate": "nine"}, None),
    ("interestRate-bool", {"interestRate": True}, None),
    ("termPeriods-string", {"termPeriods": "36"}, None),
    ("termPeriods-fraction", {"termPeriods": R}, "36.5"),
    ("termPeriods-zero", {"termPeriods": 0}, None),
    ("termPeriods-negative", {"termPeriods": -12}, None),
    ("termPeriods-bool", {"termPeriods": True}, None),
    ("termPeriods-huge", {"termPeriods": R}, BIG_INT),
    ("paymentFrequency-unknown", {"paymentFrequency": "yearly"}, None),
    ("paymentFrequency-number", {"paymentFrequency": 12}, None),
    ("contractDate-feb-30", {"contractDate": "2026-02-30"}, None),
    ("contractDate-month-13", {"contractDate": "2026-13-01"}, None),
    ("contractDate-day-first", {"contractDate": "15/01/2026"}, None),
    ("contractDate-number", {"contractDate": 20260115}, None),
    ("contractDate-empty", {"contractDate": ""}, None),
    ("contractDate-unpadded", {"contractDate": "2026-1-5"}, None),
    ("contractDate-datetime", {"contractDate": "2026-01-15T00:00:00Z"}, None),
    ("contractDate-words", {"contractDate": "yesterday"}, None),
    ("firstPaymentDate-same-as-contract", {"firstPaymentDate": "2026-01-15"}, None),
    ("firstPaymentDate-before-contract", {"firstPaymentDate": "2025-12-15"}, None),
    ("firstPaymentDate-feb-29-non-leap", {"firstPaymentDate": "2027-02-29"}, None),
    ("graceDays-negative", {"graceDays": -1}, None),
    ("graceDays-string", {"graceDays": "10"}, None),
    ("lateFee-both-kinds", {"lateFee": {"amount": "5.00", "percent": "5"}}, None),
    ("lateFee-empty", {"lateFee": {}}, None),
    ("lateFee-3-decimals", {"lateFee": {"amount": "5.001"}}, None),
    ("setup-unknown-field", {"balloonPayment": True}, None),
]

LOAN_FIELDS: list[tuple[str, Callable[[Any], dict]]] = [
    ("setup-string", lambda w: {"setup": "standard"}),
    ("setup-null-on-create-or-update", lambda w: {"setup": None}),
    ("loanStatus-unknown", lambda w: {"loanStatus": "Foreclosure"}),
    ("loanStatus-number", lambda w: {"loanStatus": 5}),
    ("loanStatus-empty", lambda w: {"loanStatus": ""}),
    ("loanSubStatus-unknown", lambda w: {"loanStatus": "Open", "loanSubStatus": "Sleeping"}),
    ("loanSubStatus-of-another-status", lambda w: {"loanStatus": "Open", "loanSubStatus": "Paid Off"}),
    ("loanSubStatus-without-subs", lambda w: {"loanStatus": "Application", "loanSubStatus": "Repaying"}),
    ("portfolios-unknown", lambda w: {"portfolios": ["Yachts"]}),
    ("portfolios-string", lambda w: {"portfolios": "Auto"}),
    ("portfolios-numbers", lambda w: {"portfolios": [5]}),
    ("portfolios-twice", lambda w: {"portfolios": ["Auto", "auto"]}),
    ("subPortfolios-without-portfolio", lambda w: {"subPortfolios": ["Used cars"]}),
    ("checklist-unknown", lambda w: {"checklist": ["Blood sample"]}),
    ("checklist-string", lambda w: {"checklist": "ID verified"}),
    ("customers-unknown-id", lambda w: {"customers": [{"customerId": "cus_doesnotexist", "role": "primary"}]}),
    (
        "customers-two-primaries",
        lambda w: {
            "customers": [
                {"customerId": w.customer["id"], "role": "primary"},
                {"customerId": w.customer2["id"], "role": "primary"},
            ]
        },
    ),
    (
        "customers-same-customer-twice",
        lambda w: {
            "customers": [
                {"customerId": w.customer["id"], "role": "primary"},
                {"customerId": w.customer["id"], "role": "secondary"},
            ]
        },
    ),
    ("customers-no-primary", lambda w: {"customers": [{"customerId": w.customer["id"], "role": "secondary"}]}),
    ("customers-unknown-role", lambda w: {"customers": [{"customerId": w.customer["id"], "role": "cosigner"}]}),
    ("customers-missing-role", lambda w: {"customers": [{"customerId": w.customer["id"]}]}),
    ("customers-id-number", lambda w: {"customers": [{"customerId": 5, "role": "primary"}]}),
    ("customers-string", lambda w: {"customers": w.customer["id"]}),
    (
        "customers-unknown-field",
        lambda w: {"customers": [{"customerId": w.customer["id"], "role": "primary", "share": 1}]},
    ),
    ("customFields-nested-list", lambda w: {"customFields": {"a": [1]}}),
    ("customFields-nested-object", lambda w: {"customFields": {"a": {"b": 1}}}),
    ("customFields-not-an-object", lambda w: {"customFields": "x=1"}),
    ("customFields-too-many", lambda w: {"customFields": {f"f{i}": i for i in range(51)}}),
    ("customFields-empty-name", lambda w: {"customFields": {"": "x"}}),
    ("customFields-value-too-long", lambda w: {"customFields": {"note": "x" * 1001}}),
    ("displayId-number", lambda w: {"displayId": 5}),
    ("displayId-empty", lambda w: {"displayId": ""}),
    ("unknown-field", lambda w: {"nickname": "car loan"}),
    ("client-sets-active", lambda w: {"active": True}),
    ("client-sets-values", lambda w: {"values": {"payoff": "0.00"}}),
    ("client-sets-id", lambda w: {"id": "loan_mine"}),
    ("snake-case-field", lambda w: {"loan_status": "Open"}),
]

TENANT_FIELDS = [
    ("timezone-unknown", {"timezone": "Mars/Olympus_Mons"}),
    ("timezone-path", {"timezone": "../../etc/passwd"}),
    ("timezone-empty", {"timezone": ""}),
    ("timezone-number", {"timezone": 5}),
    ("timezone-null", {"timezone": None}),
    ("maintenanceHour-24", {"maintenanceHour": 24}),
    ("maintenanceHour-negative", {"maintenanceHour": -1}),
    ("maintenanceHour-string", {"maintenanceHour": "3"}),
    ("maintenanceHour-fraction", ({"maintenanceHour": R}, "3.5")),
    ("maintenanceHour-bool", {"maintenanceHour": True}),
    ("maintenanceHour-null", {"maintenanceHour": None}),
    ("businessDate-feb-30", {"businessDate": "2026-02-30"}),
    ("businessDate-words", {"businessDate": "today"}),
    ("businessDate-number", {"businessDate": 20260101}),
    ("dayCount-unknown", {"dayCount": "actual/366"}),
    ("dayCount-number", {"dayCount": 365}),
    ("name-empty", {"name": ""}),
    ("name-null", {"name": None}),
    ("name-number", {"name": 5}),
    ("name-10k-chars", {"name": "N" * 10_000}),
    ("unknown-field", {"plan": "gold"}),
    ("client-sets-tenantId", {"tenantId": "tnt_other"}),
    ("client-sets-apiKey", {"apiKey": "lk_mine"}),
    ("snake-case-field", {"maintenance_hour": 3}),
    ("version-string", {"version": "0"}),
]

LABEL_FIELDS: dict[str, list[tuple[str, Any]]] = {
    "POST /customer-statuses": [
        ("missing-title", {}),
        ("title-empty", {"title": ""}),
        ("title-number", {"title": 5}),
        ("title-null", {"title": None}),
        ("title-10k-chars", {"title": "T" * 10_000}),
        ("active-string", {"title": "X", "active": "yes"}),
        ("active-number", {"title": "X", "active": 1}),
        ("displayOrder-negative", {"title": "X", "displayOrder": -1}),
        ("displayOrder-string", {"title": "X", "displayOrder": "1"}),
        ("displayOrder-fraction", ({"title": "X", "displayOrder": R}, "1.5")),
        ("unknown-field", {"title": "X", "color": "red"}),
        ("client-sets-id", {"title": "X", "id": "cst_mine"}),
    ],
    "PUT /customer-statuses/{id}": [
        ("active-string", {"active": "no"}),
        ("active-null", {"active": None}),
        ("displayOrder-string", {"displayOrder": "x"}),
        ("title-null", {"title": None}),
        ("title-number", {"title": 5}),
        ("unknown-field", {"color": "red"}),
        ("client-sets-id", {"id": "cst_other"}),
    ],
    "POST /loan-statuses": [
        ("missing-title", {"subStatuses": []}),
        ("title-number", {"title": 5}),
        ("subStatuses-string", {"title": "W", "subStatuses": "Plan"}),
        ("subStatuses-of-strings", {"title": "W", "subStatuses": ["Plan"]}),
        ("subStatus-title-number", {"title": "W", "subStatuses": [{"title": 5}]}),
        ("subStatus-unknown-field", {"title": "W", "subStatuses": [{"title": "Plan", "color": "red"}]}),
        ("subStatus-twice", {"title": "W", "subStatuses": [{"title": "Plan"}, {"title": "plan"}]}),
        ("lateFees-string", {"title": "W", "lateFees": "no"}),
        ("unknown-field", {"title": "W", "color": "red"}),
    ],
    "PUT /loan-statuses/{id}": [
        ("subStatuses-string", {"subStatuses": "x"}),
        ("lateFees-string", {"lateFees": "no"}),
        ("active-number", {"active": 1}),
        ("unknown-field", {"color": "red"}),
        ("title-number", {"title": 5}),
    ],
    "POST /portfolios": [
        ("missing-title", {}),
        ("title-number", {"title": 5}),
        ("subPortfolios-string", {"title": "B", "subPortfolios": "Sail"}),
        ("subPortfolios-numbers", {"title": "B", "subPortfolios": [5]}),
        ("subPortfolios-empty-title", {"title": "B", "subPortfolios": [""]}),
        ("subPortfolios-twice", {"title": "B", "subPortfolios": ["Sail", "sail"]}),
        ("unknown-field", {"title": "B", "color": "red"}),
    ],
    "PUT /portfolios/{id}": [
        ("subPortfolios-string", {"subPortfolios": "x"}),
        ("subPortfolios-null-item", {"subPortfolios": [None]}),
        ("title-number", {"title": 5}),
        ("unknown-field", {"color": "red"}),
    ],
    "POST /checklist-items": [
        ("missing-title", {}),
        ("title-empty", {"title": ""}),
        ("title-number", {"title": 5}),
        ("title-10k-chars", {"title": "T" * 10_000}),
        ("unknown-field", {"title": "Docs", "done": True}),
    ],
    "PUT /checklist-items/{id}": [
        ("title-number", {"title": 5}),
        ("title-null", {"title": None}),
        ("unknown-field", {"done": True}),
    ],
    "POST /rules/{id}/force": [
        ("loanIds-empty", {"loanIds": []}),
        ("loanIds-string", {"loanIds": "loan_01"}),
        ("loanIds-number-item", {"loanIds": [5]}),
        ("loanIds-null-item", {"loanIds": [None]}),
        ("loanIds-malformed", {"loanIds": ["not-a-loan"]}),
        ("loanIds-unknown", {"loanIds": ["loan_01ARZ3NDEKTSV4RRFFQ69G5FAV"]}),
        ("loanIds-a-customer-id", {"loanIds": ["cus_01ARZ3NDEKTSV4RRFFQ69G5FAV"]}),
        ("loanIds-1001", {"loanIds": ["loan_01ARZ3NDEKTSV4RRFFQ69G5FAV"] * 1001}),
        ("loanIds-too-long-item", {"loanIds": ["loan_" + "A" * 100]}),
        ("unknown-field", {"explain": True}),
    ],
    "POST /webhooks": [
        ("missing-url", {"name": "H"}),
        ("missing-name", {"url": "https://hooks.example.com/in"}),
        ("url-number", {"name": "H", "url": 5}),
        ("url-3k-chars", {"name": "H", "url": "https://a.example/" + "x" * 3000}),
        ("url-loopback", {"name": "H", "url": "https://127.0.0.1/in"}),
        ("url-metadata", {"name": "H", "url": "https://169.254.169.254/latest/meta-data/"}),
        ("url-ipv4-mapped", {"name": "H", "url": "https://[::ffff:127.0.0.1]/in"}),
        ("url-hex-loopback", {"name": "H", "url": "https://0x7f.1/in"}),
        ("url-javascript", {"name": "H", "url": "javascript:alert(1)"}),
        ("url-plain-http", {"name": "H", "url": "http://hooks.example.com/in"}),
        ("method-lowercase", {"name": "H", "url": "https://hooks.example.com/in", "method": "post"}),
        ("headers-list", {"name": "H", "url": "https://hooks.example.com/in", "headers": ["a"]}),
        ("header-crlf", {"name": "H", "url": "https://hooks.example.com/in", "headers": {"X-A": "b\r\nX-Evil: 1"}}),
        ("header-bad-name", {"name": "H", "url": "https://hooks.example.com/in", "headers": {"X A": "b"}}),
        ("header-number", {"name": "H", "url": "https://hooks.example.com/in", "headers": {"X-A": 5}}),
        ("header-host", {"name": "H", "url": "https://hooks.example.com/in", "headers": {"Host": "a.example"}}),
        (
            "headers-21",
            {"name": "H", "url": "https://hooks.example.com/in", "headers": {f"X-{i}": "v" for i in range(21)}},
        ),
        ("events-unknown", {"name": "H", "url": "https://hooks.example.com/in", "events": ["loan.deleted"]}),
        ("events-string", {"name": "H", "url": "https://hooks.example.com/in", "events": "loan.created"}),
        ("filter-bad", {"name": "H", "url": "https://hooks.example.com/in", "filter": "(> status-days-past-due"}),
        ("filter-unknown-variable", {"name": "H", "url": "https://hooks.example.com/in", "filter": "(> nope 1)"}),
        ("filter-eval", {"name": "H", "url": "https://hooks.example.com/in", "filter": '(eval (read-string "1"))'}),
        (
            "bodyTemplate-unknown-variable",
            {"name": "H", "url": "https://hooks.example.com/in", "bodyTemplate": "[[v('nope')]]"},
        ),
        ("active-string", {"name": "H", "url": "https://hooks.example.com/in", "active": "yes"}),
        ("secret-given", {"name": "H", "url": "https://hooks.example.com/in", "secret": "whsec_mine"}),
        ("unknown-field", {"name": "H", "url": "https://hooks.example.com/in", "retries": 3}),
    ],
    "PUT /webhooks/{id}": [
        ("url-null", {"url": None}),
        ("url-private", {"url": "https://10.0.0.5/in"}),
        ("name-null", {"name": None}),
        ("events-null", {"events": None}),
        ("header-masked-unknown", {"headers": {"X-Api-Key": "********"}}),
        ("version-string", {"version": "1"}),
        ("unknown-field", {"id": "whk_01ARZ3NDEKTSV4RRFFQ69G5FAV"}),
    ],
    "POST /maintenance/runs": [
        ("businessDate-feb-30", {"businessDate": "2026-02-30"}),
        ("businessDate-words", {"businessDate": "tomorrow"}),
        ("businessDate-number", {"businessDate": 20260101}),
        ("businessDate-future", {"businessDate": "2999-01-01"}),
        ("businessDate-datetime", {"businessDate": "2026-01-01T00:00:00Z"}),
        ("unknown-field", {"date": "2026-01-01"}),
    ],
}


def _text(body: dict, raw: str | None) -> str:
    """JSON text of body, with the value "@raw@" replaced by the raw JSON literal when given."""
    return raw_json(body, raw=raw) if raw else json.dumps(body)


def _with_raw(spec: Any) -> tuple[dict, str | None]:
    """(body, raw JSON literal or None) of a case written as a body or as (body, literal)."""
    return spec if isinstance(spec, tuple) else (spec, None)


def _fixed(body: dict, raw: str | None) -> Callable[[Any], str]:
    """A body builder giving the same text whatever the world."""
    return lambda w: _text(body, raw)


def _loan_post(change: Callable[[Any], dict]) -> Callable[[Any], str]:
    return lambda w: json.dumps({**TARGETS["POST /loans"][2](w), **change(w)})


def _loan_put(change: Callable[[Any], dict]) -> Callable[[Any], str]:
    return lambda w: json.dumps(change(w))


def _cases() -> list:
    """(target, case id, body builder(world) -> text)."""
    cases = []

    def add(target: str, name: str, build: Callable[[Any], str]):
        cases.append(pytest.param(target, build, id=f"{target}::{name}"))

    for name, spec in CUSTOMER_FIELDS:
        body, raw = _with_raw(spec)
        base = TARGETS["POST /customers"][2](None)
        add("POST /customers", name, _fixed({**base, **body}, raw))
        add("PUT /customers/{id}", name, _fixed(body, raw))
    for name, spec in CUSTOMER_PUT_ONLY:
        body, raw = _with_raw(spec)
        add("PUT /customers/{id}", name, _fixed(body, raw))
    add("POST /customers", "firstName-missing", lambda w: json.dumps({"lastName": "L", "customerType": "company"}))

    for name, change, raw in SETUP_FIELDS:

        def build_post(w, c=change, r=raw):
            body = {**TARGETS["POST /loans"][2](w), "setup": _setup(**c)}
            return _text(body, r)

        def build_put(w, c=change, r=raw):
            body = {"setup": _setup(**c)}
            return _text(body, r)

        add("POST /loans", f"setup.{name}", build_post)
        add("PUT /loans/{id}", f"setup.{name}", build_put)
    add("POST /loans", "setup-missing", lambda w: json.dumps({"customers": []}))
    for name, change in LOAN_FIELDS:
        add("POST /loans", name, _loan_post(change))
        add("PUT /loans/{id}", name, _loan_put(change))
    add("PUT /loans/{id}", "version-string", lambda w: json.dumps({"displayId": "X", "version": "0"}))
    add("PUT /loans/{id}", "version-bool", lambda w: json.dumps({"displayId": "X", "version": True}))
    add("PUT /loans/{id}", "customers-null", lambda w: json.dumps({"customers": None}))
    add("PUT /loans/{id}", "loanStatus-null", lambda w: json.dumps({"loanStatus": None}))

    for name, spec in TENANT_FIELDS:
        body, raw = _with_raw(spec)
        add("PUT /tenant", name, _fixed(body, raw))

    for target, entries in LABEL_FIELDS.items():
        for name, spec in entries:
            body, raw = _with_raw(spec)
            add(target, name, _fixed(body, raw))
    return cases


@pytest.mark.parametrize(("target", "build"), _cases())
def test_invalid_content_answers_422_and_writes_nothing(shared_world, target, build):
    """Given valid JSON whose content is invalid (wrong type, out of range, unknown field, unknown
    title or customer, bad money or date), then 422 in the error shape, never 500, no change."""
    got, before = _send(shared_world, target, build(shared_world))
    assert_error(got, 422)
    assert store_state() == before
