"""A corpus of hostile and careless inputs, each sent through the API: every one is answered 4xx in the
contract's error shape and writes nothing (every table of the template compared before and after).

Rule texts (numbers in other scripts, confusable letters, the sandbox's refusals), money amounts outside
the documented pattern ^-?[0-9]+(\\.[0-9]{1,2})?$, names and titles holding control characters or
separators, and bodies that are not UTF-8 JSON objects sent as JSON.
"""

from __future__ import annotations

import base64

import pytest

from local.apigw import proxy_event
from tests.api.helpers import assert_error, raw_json, store_state
from tests.conftest import LambdaContext, Reply, TenantApi, fresh_aws, make_customer, make_loan, new_tenant

RULE_TEXTS = {
    "bengali-four": "(> status-days-past-due ৪0)",  # looks like 80, Python reads 40
    "arabic-indic": "(> status-days-past-due ٣٠)",
    "math-bold": "(> status-days-past-due 𝟑𝟎)",
    "fullwidth": "(> status-days-past-due ３０)",
    "devanagari-decimal": "(> status-payoff १.५)",
    "cyrillic-a-in-name": "(> status-days-pаst-due 30)",
    "greek-omicron-in-name": '(= lοan-status "Open")',
    "fullwidth-paren-name": "(＞ status-days-past-due 30)",
    "nul-in-text": '(= loan-status "Open\u0000")',
    "escape-in-text": '(= loan-status "\u001b[2JOpen")',
    "line-separator": '(= loan-status "Open")\u2028',
    "c1-control": '(= loan-status "Open\u009b")',
    "eval": '(eval "(import os)")',
    "import": "(import os)",
    "dunder": '(. "" __class__)',
    "unbalanced": "(> status-days-past-due 30",
    "nan": "(> status-payoff NaN)",
    "huge-number": "(> status-payoff 1e999999)",
}
MONEY = [
    "1e3",
    "1_000",
    "١٢٣",
    "１２３",
    " 5.00 ",
    "+5",
    "5.",
    ".5",
    "1e-2",
    "1.000",
    "1,000.00",
    "0x10",
    "NaN",
    "Infinity",
    "-5.00",
    "0",
    "",
    "৪0",
    "5\n",
    "\u00a05",
]
MONEY_RAW = ["1e3", "1.000", "1E+2", "5e-1", "-0.5", "true", "null", "[]", "{}", '""']  # as JSON values, not strings
NAMES = {
    "nul": "Ada\u0000",
    "cr-lf": "Ada\r\nLovelace",
    "escape": "\u001b[31mAda",
    "tab": "Ada\tL",
    "bell": "Ada\u0007",
    "del": "Ada\u007f",
    "c1": "Ada\u0085",
    "line-separator": "Ada\u2028L",
    "paragraph-separator": "Ada\u2029L",
    "only-controls": "\u0001\u0002",
    "empty": "",
    "spaces": "   ",
}
LABEL_PATHS = ["/customer-statuses", "/portfolios", "/checklist-items", "/loan-statuses"]


class _Hostile(TenantApi):
    """The corpus's tenant; `world` holds its customer and its activated loan."""

    def __init__(self, tenant: TenantApi, customer: dict, loan: dict):
        super().__init__(tenant.key, tenant.tenant_id)
        self.world = {"customer": customer, "loan": loan}


@pytest.fixture(scope="module")
def world():
    """One moto account and tenant for the whole corpus (a customer, an activated loan): each test checks
    that its own refused request changed nothing, so they need no fresh account each."""
    with fresh_aws():
        api = new_tenant("Hostile")
        customer = make_customer(api)
        loan = make_loan(api, [(customer["id"], "primary")])
        assert api.post(f"/loans/{loan['id']}/activate").status == 200
        yield _Hostile(api, customer, loan)


def _refused(got, status: int | tuple[int, ...], before: dict) -> dict:
    error = assert_error(got, status)
    assert store_state() == before
    return error


@pytest.mark.parametrize("name", RULE_TEXTS)
def test_a_hostile_rule_text_is_refused(world, name):
    before = store_state()
    got = world.post(
        "/rules",
        {
            "name": "hostile",
            "criteria": RULE_TEXTS[name],
            "actions": [{"type": "account-tools", "operation": "archive"}],
        },
    )
    error = _refused(got, 422, before)
    assert error["details"], error


@pytest.mark.parametrize("name", ["bengali-four", "arabic-indic", "math-bold", "fullwidth"])
def test_a_number_in_another_script_names_the_character_and_the_ascii_number(world, name):
    got = world.post("/rules/validate", {"criteria": RULE_TEXTS[name]})
    assert got.status == 200, got
    [problem] = got.json["errors"]
    assert "not an ASCII digit" in problem["message"] and problem["column"] == 25, problem  # where the number starts
    assert problem["hint"] == ("did you mean 40?" if name == "bengali-four" else "did you mean 30?")


@pytest.mark.parametrize("amount", MONEY)
def test_a_payment_amount_outside_the_documented_pattern_is_refused(world, amount):
    before = store_state()
    got = world.post(f"/loans/{world.world['loan']['id']}/payments", {"amount": amount})
    error = _refused(got, 422, before)
    assert [d["field"] for d in error["details"]] == ["amount"], error


@pytest.mark.parametrize("raw", MONEY_RAW)
def test_a_payment_amount_written_as_an_odd_json_value_is_refused(world, raw):
    before = store_state()
    got = world.post(f"/loans/{world.world['loan']['id']}/payments", raw=raw_json({"amount": "@a@"}, a=raw))
    _refused(got, 422, before)


@pytest.mark.parametrize("amount, stored", [("5", "5.00"), ("5.5", "5.50"), ("5.05", "5.05"), ("0.01", "0.01")])
def test_money_in_the_documented_pattern_is_taken(world, amount, stored):
    got = world.post(f"/loans/{world.world['loan']['id']}/payments", {"amount": amount})
    assert got.status == 201, got
    assert got.json["amount"] == stored
    raw = world.post(f"/loans/{world.world['loan']['id']}/payments", raw=raw_json({"amount": "@a@"}, a=amount))
    assert raw.status == 201 and raw.json["amount"] == stored, raw


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("path", LABEL_PATHS)
def test_a_label_title_with_control_characters_is_refused(world, path, name):
    before = store_state()
    _refused(world.post(path, {"title": NAMES[name]}), 422, before)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("field", ["firstName", "lastName"])
def test_a_customer_name_with_control_characters_is_refused(world, field, name):
    before = store_state()
    body = {"firstName": "Ada", "lastName": "Lovelace", "customerType": "individual", field: NAMES[name]}
    error = _refused(world.post("/customers", body), 422, before)
    assert [d["field"] for d in error["details"]] == [field], error
    customer = world.world["customer"]["id"]
    _refused(world.put(f"/customers/{customer}", {field: NAMES[name]}), 422, before)


@pytest.mark.parametrize("name", ["nul", "escape", "line-separator", "c1"])
def test_a_custom_field_name_or_value_with_control_characters_is_refused(world, name):
    before = store_state()
    loan = world.world["loan"]["id"]
    _refused(world.put(f"/loans/{loan}", {"customFields": {NAMES[name]: "x"}}), 422, before)
    _refused(world.put(f"/loans/{loan}", {"customFields": {"Note": NAMES[name]}}), 422, before)


def test_a_custom_field_value_may_run_over_lines(world):
    loan = world.world["loan"]["id"]
    got = world.put(f"/loans/{loan}", {"customFields": {"Note": "first line\nsecond\tline"}})
    assert got.status == 200, got
    assert got.json["customFields"]["Note"] == "first line\nsecond\tline"


def _send(api, body: bytes, headers: dict[str, str]) -> Reply:
    from functions.api.app import lambda_handler

    event = proxy_event(
        "POST",
        "/customers",
        {},
        {"Authorization": f"Bearer {api.key}", **headers},
        base64.b64encode(body).decode(),
        base64_encoded=True,
    )
    return Reply(lambda_handler(event, LambdaContext()))


BODIES: dict[str, tuple[bytes, str | None, int | tuple[int, ...]]] = {  # name: (body, Content-Type, status)
    "invalid-utf8": (
        b'{"firstName": "Ada\xff", "lastName": "L", "customerType": "individual"}',
        "application/json",
        400,
    ),
    "latin-1": (
        '{"firstName": "Zoë", "lastName": "L", "customerType": "individual"}'.encode("latin-1"),
        "application/json",
        400,
    ),
    "utf-16": (
        '{"firstName": "Ada", "lastName": "L", "customerType": "individual"}'.encode("utf-16"),
        "application/json",
        400,
    ),
    "overlong-nul": (
        b'{"firstName": "Ada\xc0\x80", "lastName": "L", "customerType": "individual"}',
        "application/json",
        400,
    ),
    "encoded-surrogate": (
        b'{"firstName": "Ada\xed\xa0\x80", "lastName": "L", "customerType": "individual"}',
        "application/json",
        400,
    ),
    "escaped-surrogate": (
        b'{"firstName": "Ada\\ud800", "lastName": "L", "customerType": "individual"}',
        "application/json",
        400,
    ),
    "no-content-type": (b'{"firstName": "Ada", "lastName": "L", "customerType": "individual"}', None, 415),
    "text-plain": (b'{"firstName": "Ada", "lastName": "L", "customerType": "individual"}', "text/plain", 415),
    "form": (b"firstName=Ada&lastName=L", "application/x-www-form-urlencoded", 415),
    "truncated": (b'{"firstName": "Ada", "lastName": ', "application/json", 400),
    "nan-literal": (
        b'{"firstName": "Ada", "lastName": "L", "customerType": "individual", "creditScore": NaN}',
        "application/json",
        400,
    ),
    "array": (b'[{"firstName": "Ada"}]', "application/json", 422),
    "string": (b'"Ada"', "application/json", 422),
    "unknown-field": (
        b'{"firstName": "Ada", "lastName": "L", "customerType": "individual", "isAdmin": true}',
        "application/json",
        422,
    ),
    "deep-nesting": (b'{"a": ' * 5000 + b"1" + b"}" * 5000, "application/json", (400, 422)),
}


@pytest.mark.parametrize("name", BODIES)
def test_a_body_that_is_not_a_utf8_json_object_sent_as_json_is_refused(world, name):
    body, content_type, status = BODIES[name]
    before = store_state()
    _refused(_send(world, body, {"Content-Type": content_type} if content_type else {}), status, before)


def test_the_corpus_holds_at_least_sixty_hostile_inputs():
    count = len(RULE_TEXTS) + len(MONEY) + len(MONEY_RAW) + len(NAMES) + len(BODIES)
    assert count >= 60, count


@pytest.mark.parametrize(
    "name, hint",
    [
        ("cyrillic-a-in-name", "did you mean status-days-past-due?"),
        ("greek-omicron-in-name", "did you mean loan-status?"),
        ("fullwidth-paren-name", "did you mean >?"),
    ],
)
def test_a_confusable_letter_in_a_name_names_the_character_and_the_ascii_name(world, name, hint):
    got = world.post("/rules/validate", {"criteria": RULE_TEXTS[name]})
    assert got.status == 200, got
    [problem] = got.json["errors"]
    assert "is not ASCII" in problem["message"] and problem["hint"] == hint, problem
