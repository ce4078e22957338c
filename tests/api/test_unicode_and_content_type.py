"""Names in any script round-trip (in Unicode's composed form, NFC); odd code points are accepted exactly
or refused with 422 or 400, never a 500; JSON sent with a charset or in another letter case is still JSON."""

from __future__ import annotations

import json
import unicodedata

import pytest

from tests.api.helpers import assert_error, store_state, walk

VALID = {
    "emoji": "Ada 🦄",
    "zwj-emoji-family": "👩‍👩‍👧‍👦",
    "flag": "🇬🇧",
    "hebrew-rtl": "שלום",
    "arabic-rtl": "مرحبا بالعالم",
    "mixed-direction": "Ada \u202eevol\u202c",
    "combining-acute": "Zoe\u0301",
    "precomposed": "Zoë",
    "cjk": "李小龍",
    "devanagari": "नमस्ते",
    "astral-math": "𝔄𝔡𝔞",
    "apostrophe-and-quotes": 'O\'Brien "the" <b>&amp;',
    "sql-ish": "Robert'); DROP TABLE customers;--",
    "100-chars": "x" * 100,
}


@pytest.mark.parametrize("name", VALID)
def test_a_unicode_customer_name_round_trips_exactly(api, name):
    """Given a name in any script (not trimmed inside), when a customer is created, then POST, GET and the
    list all return the same text, in Unicode's composed form (NFC: Zoe + U+0301 reads back as Zoë)."""
    value = unicodedata.normalize("NFC", VALID[name])
    got = api.post("/customers", {"firstName": VALID[name], "lastName": VALID[name], "customerType": "individual"})
    assert got.status == 201, got
    assert (got.json["firstName"], got.json["lastName"]) == (value, value)
    read = api.get(f"/customers/{got.json['id']}").json
    assert (read["firstName"], read["lastName"]) == (value, value)
    assert [c["firstName"] for c in walk(api, "/customers")] == [value]


@pytest.mark.parametrize("name", ["emoji", "hebrew-rtl", "combining-acute", "cjk"])
@pytest.mark.parametrize("path", ["/portfolios", "/checklist-items", "/customer-statuses", "/loan-statuses"])
def test_a_unicode_label_title_round_trips_and_is_usable(api, path, name):
    """Given a label titled in any script, then it reads back as it was sent, in NFC."""
    value = unicodedata.normalize("NFC", VALID[name])
    got = api.post(path, {"title": VALID[name]})
    assert got.status == 201, got
    assert got.json["title"] == value
    assert api.get(f"{path}/{got.json['id']}").json["title"] == value


def test_a_unicode_portfolio_can_be_put_on_a_loan(api):
    assert api.post("/portfolios", {"title": "Crédit 🚗"}).status == 201
    got = api.post("/loans", {"setup": __import__("tests.conftest").conftest.LOAN_SETUP, "portfolios": ["Crédit 🚗"]})
    assert got.status == 201, got
    assert got.json["portfolios"] == ["Crédit 🚗"]


ODD = {  # what a name holding it is answered: 201 (stored exactly), 422 (a name may not hold it), 400 (not JSON text)
    "nul-byte": ("Ada\u0000Lovelace", 422),
    "lone-high-surrogate": ("Ada\ud800", 400),
    "lone-low-surrogate": ("\udc00Ada", 400),
    "bom": ("\ufeffAda", 201),
    "control-chars": ("Ada\u0007\u001b", 422),
    "c1-control": ("Ada\u009b", 422),
    "line-separator": ("Ada\u2028", 422),
    "tab": ("Ada\tLovelace", 422),
    "newline": ("Ada\r\nLovelace", 422),
    "noncharacter": ("Ada\uffff", 201),
}


@pytest.mark.parametrize("name", ODD)
def test_odd_code_points_are_stored_exactly_or_refused(api, name):
    """Given a name with a NUL byte, a lone surrogate or control characters (legal JSON escapes), then 201
    and an exact round trip, or 422 (a name holds no control character, line separator...) or 400 (a lone
    surrogate is not Unicode text) in the error shape with nothing written; never a 500."""
    value, status = ODD[name]
    before = store_state()
    got = api.post("/customers", raw=json.dumps({"firstName": value, "lastName": "L", "customerType": "individual"}))
    assert got.status == status, got
    if got.status == 201:
        assert got.json["firstName"] == value
        assert api.get(f"/customers/{got.json['id']}").json["firstName"] == value
    else:
        assert_error(got, status)
        assert store_state() == before


def test_utf8_sent_unescaped_is_read_as_utf8(api):
    """Given a body with raw (not \\u-escaped) UTF-8, then the name is stored exactly."""
    got = api.post(
        "/customers",
        raw=json.dumps({"firstName": "Zoë 🦄", "lastName": "שלום", "customerType": "individual"}, ensure_ascii=False),
    )
    assert got.status == 201, got
    assert (got.json["firstName"], got.json["lastName"]) == ("Zoë 🦄", "שלום")


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON"],
)
def test_json_content_types_are_accepted(api, content_type):
    """Given a valid body with a JSON media type (parameters and letter case vary; media types are
    case-insensitive), then 201."""
    got = api.post("/checklist-items", raw=json.dumps({"title": "Docs"}), headers={"Content-Type": content_type})
    assert got.status == 201, got


def test_names_are_trimmed_but_inner_spaces_kept(api):
    """Given '  Ada  Mary  ', then leading and trailing spaces may be trimmed, inner ones kept."""
    got = api.post("/customers", {"firstName": "  Ada  Mary  ", "lastName": "L", "customerType": "individual"})
    assert got.status == 201, got
    assert got.json["firstName"] in ("Ada  Mary", "  Ada  Mary  ")
