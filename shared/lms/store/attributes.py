"""Exact attribute types: numbers round-trip as Decimal/int, never through float."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.constants import MAP

_INTEGER = re.compile(r"^-?\d+$")


def to_dynamo(value: Any) -> dict[str, Any]:
    if isinstance(value, Enum):
        value = value.value
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, Decimal)):
        return {"N": str(value)}
    if isinstance(value, float):
        raise TypeError("floats are never stored: use Decimal")
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (date, datetime)):
        return {"S": value.isoformat()}
    if isinstance(value, dict):
        return {"M": {str(k): to_dynamo(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [to_dynamo(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__}")


def from_dynamo(attribute_value: dict[str, Any]) -> Any:
    ((kind, value),) = attribute_value.items()
    if kind == "NULL":
        return None
    if kind == "N":
        return int(value) if _INTEGER.match(value) else Decimal(value)
    if kind == "M":
        return {k: from_dynamo(v) for k, v in value.items()}
    if kind == "L":
        return [from_dynamo(v) for v in value]
    if kind in ("SS",):
        return list(value)
    if kind == "NS":
        return [Decimal(v) for v in value]
    return value  # S, BOOL


class DocumentAttribute(Attribute[dict]):
    """A JSON-like document (nested maps, lists, text, exact numbers, booleans, null)."""

    attr_type = MAP

    def serialize(self, value: dict) -> dict[str, Any]:
        return {str(k): to_dynamo(v) for k, v in value.items()}

    def deserialize(self, value: dict[str, Any]) -> dict:
        return {k: from_dynamo(v) for k, v in value.items()}
