"""Money, rates and dates are exact at every boundary."""

from datetime import date
from decimal import Decimal

import pytest

from lms.store.attributes import DocumentAttribute
from lms.values import format_money, parse_date, parse_money, parse_rate


@pytest.mark.parametrize(
    "given, expected",
    [
        ("1234.5", Decimal("1234.50")),
        (Decimal("0.10"), Decimal("0.10")),
        (7, Decimal("7.00")),
        ("12.00", Decimal("12.00")),
        ("1.5", Decimal("1.50")),
        ("-3", Decimal("-3.00")),
    ],
)
def test_money_is_parsed_exactly_to_cents(given, expected):
    amount = parse_money(given)
    assert amount == expected and amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "given",
    [
        1.5,
        "12.345",
        "abc",
        "",
        None,
        True,
        "NaN",
        "Infinity",
        "1e400",
        [],
        "1" * 41,
        # only the documented pattern ^-?[0-9]+(\.[0-9]{1,2})?$, written as it says
        "1e3",
        "1_000",
        "\u0661\u0662\u0663",
        "\uff11\uff12\uff13",
        " 5.00 ",
        "  12.00 ",
        "+5",
        "5.",
        ".5",
        "1e-2",
        "1.000",
        "1.500",
        "1,000.00",
        "0x10",
        "\u09ea0",
        "-",
        "--5",
        "5\n",
        "\u00a05",
    ],
)
def test_money_refuses_floats_fractions_of_cents_and_non_numbers(given):
    with pytest.raises(ValueError):
        parse_money(given)


def test_money_is_always_written_with_two_decimals():
    assert format_money(Decimal("5")) == "5.00"
    assert format_money(Decimal("1234.5")) == "1234.50"


@pytest.mark.parametrize("given", ["-1", "100.01", "5.1234567", 2.5])
def test_rates_are_percentages_with_at_most_six_decimals(given):
    with pytest.raises(ValueError):
        parse_rate(given)


@pytest.mark.parametrize("given", ["2026-02-30", "2026-1-5", "20260105", 20260105, "2026-01-05T00:00:00"])
def test_dates_are_calendar_dates_written_yyyy_mm_dd(given):
    with pytest.raises(ValueError):
        parse_date(given)
    assert parse_date("2024-02-29") == date(2024, 2, 29)


def test_documents_round_trip_decimals_ints_and_nesting_without_floats():
    attribute = DocumentAttribute()
    document = {"m": Decimal("0.1"), "i": 3, "nested": {"l": [Decimal("12345678901234567890.12"), None, True, "x"]}}
    stored = attribute.serialize(document)
    assert stored["m"] == {"N": "0.1"}
    assert attribute.deserialize(stored) == document


def test_documents_refuse_floats():
    with pytest.raises(TypeError):
        DocumentAttribute().serialize({"x": 0.1})
