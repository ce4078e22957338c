"""Exact value types shared by every boundary: money, rates and calendar dates.

Money is Decimal end to end: JSON numbers are parsed as Decimal, strings are parsed exactly,
floats are refused, and money always leaves as a string with two decimals.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")
MONEY_LIMIT = Decimal("1000000000000")  # a trillion: beyond any loan, far inside DynamoDB's 38 digits
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def exact_decimal(value: Any, what: str = "number") -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"must be a {what}")
    if isinstance(value, float):
        raise ValueError(f'must be an exact {what}: send it as a string, e.g. "12.50"')
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 40:
            raise ValueError(f"must be a {what}")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"must be a {what}, not {value[:40]!r}") from None
    else:
        raise ValueError(f"must be a {what}")
    if not number.is_finite():
        raise ValueError(f"must be a finite {what}")
    return number


_MONEY_TEXT = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")  # the documented pattern; [0-9], not \d (any script's digits)


class JsonNumber(Decimal):
    """A number with a fraction or an exponent as it was written in a JSON body (the text kept), so that
    money can be held to the documented pattern however it was sent."""

    text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _places(number: Decimal) -> int:
    """Digits after the point as written (0 for a whole number; exact_decimal refuses NaN and infinity)."""
    exponent = number.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def parse_money(value: Any) -> Decimal:
    """Money from outside (a JSON string or number) is exactly the documented pattern, ^-?[0-9]+(.[0-9]{1,2})?$:
    no exponent, no sign but minus, no spaces, no digit separators, ASCII digits, at most two decimals."""
    written = value.text if isinstance(value, JsonNumber) else value if isinstance(value, str) else None
    if written is not None and not _MONEY_TEXT.fullmatch(written):
        raise ValueError(f'must be a money amount written like "1234.50" (at most two decimals), not {written[:40]!r}')
    amount = exact_decimal(value, "money amount")
    if _places(amount) > 2 and amount != amount.quantize(CENT):
        raise ValueError("money has at most two decimals")
    if abs(amount) >= MONEY_LIMIT:
        raise ValueError("money amount is too large")
    return amount.quantize(CENT)


def format_money(amount: Decimal) -> str:
    return f"{amount.quantize(CENT):f}"


def parse_rate(value: Any) -> Decimal:
    rate = exact_decimal(value, "percentage")
    if _places(rate) > 6 and rate != rate.quantize(Decimal("0.000001")):
        raise ValueError("a rate has at most six decimals")
    if rate < 0 or rate > 100:
        raise ValueError("a rate is a percentage from 0 to 100")
    return rate


def format_decimal(number: Decimal) -> str:
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a calendar date") from None


_MONEY_SCHEMA = {
    "anyOf": [{"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$"}, {"type": "number"}],
    "description": "Money: a JSON string or number, exact, at most two decimals; returned as a string.",
    "examples": ["1234.50"],
}

Money = Annotated[
    Decimal,
    BeforeValidator(parse_money),
    PlainSerializer(format_money, return_type=str, when_used="json"),
    WithJsonSchema(_MONEY_SCHEMA),
]

Rate = Annotated[
    Decimal,
    BeforeValidator(parse_rate),
    PlainSerializer(format_decimal, return_type=str, when_used="json"),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}], "description": "Annual percent, exact."}),
]

IsoDate = Annotated[
    date,
    BeforeValidator(parse_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-01-31"]}),
]
