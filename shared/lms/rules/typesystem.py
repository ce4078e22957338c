"""The rule language's static types: what the checker knows of every value, and how it says so."""

from __future__ import annotations

import ast
import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import runtime
from .reader import Node

INT, DEC, TEXT, BOOL, NIL, DATE, KW, SET, VEC, MAP, ANY = (
    "int",
    "decimal",
    "text",
    "bool",
    "nil",
    "date",
    "keyword",
    "set",
    "vector",
    "map",
    "any",
)
Type = frozenset
NUM = Type({INT, DEC})
_DESCRIBE = {
    INT: "a whole number",
    DEC: "a number",
    TEXT: "text",
    BOOL: "true or false",
    NIL: "nil",
    DATE: "a date",
    KW: "a keyword",
    SET: "a set",
    VEC: "a vector",
    MAP: "a map",
    ANY: "any value",
}
_FAMILY = {INT: "number", DEC: "number", TEXT: TEXT, BOOL: BOOL, DATE: DATE, KW: KW, SET: SET, VEC: VEC, MAP: MAP}
CATALOGUE_TYPES = {
    "int": INT,
    "money": DEC,
    "decimal": DEC,
    "date": DATE,
    "text": TEXT,
    "bool": BOOL,
    "set-of-text": SET,
    "map": MAP,
}
_CUSTOMER = {"status": Type({TEXT}), "id": Type({TEXT}), "credit-score": Type({INT})}
MAP_KEYS: dict[str, dict[str, Type]] = {"customer.primary": _CUSTOMER, "customer.secondary": _CUSTOMER}
ELEMENTS: dict[str, Type] = {
    "portfolios": Type({TEXT}),
    "sub-portfolios": Type({TEXT}),
    "checklist": Type({TEXT}),
    "customer-statuses": Type({TEXT}),
}


def describe(t: Type) -> str:
    known = t - {NIL}
    if not known:
        return _DESCRIBE[NIL]
    words = [_DESCRIBE[DEC if DEC in known else INT]] if known & NUM else []
    words += [_DESCRIBE[k] for k in sorted(known - NUM)]
    return " or ".join(words)


def short(name: str) -> str:
    return name if len(name) <= 60 else name[:57] + "..."


def plural(n: int, word: str = "argument") -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def type_families(t: Type) -> set[str]:
    return {_FAMILY[k] for k in t if k in _FAMILY}


@dataclass
class Typed:
    code: ast.expr
    type: Type
    node: Node
    elements: Type = field(default_factory=lambda: Type({ANY}))  # of a set or vector
    literal: Any = None  # the value, when the node is a literal text (dates, custom field names)

    @property
    def dynamic(self) -> bool:
        return ANY in self.type


ALIASES = {
    "==": "=",
    "!=": "not=",
    "<>": "not=",
    "&&": "and",
    "||": "or",
    "!": "not",
    "True": "true",
    "False": "false",
    "None": "nil",
    "null": "nil",
    "contains": "contains?",
    "in": "contains?",
    "empty": "empty?",
    "today": "u/today",
    "date-compare": "u/date-compare",
    "parse-int": "v/parse-int",
    "parse-float": "v/parse-float",
    "if-not": "if",
    "elif": "cond",
    "else": ":else",
    "%": "mod",
}


def suggest(name: str, candidates: Sequence[str]) -> str | None:
    if name in ALIASES:
        return f"did you mean {ALIASES[name]}?"
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if not close:
        close = [c for c in candidates if c.endswith(("-" + name, "." + name, "/" + name))][:1]
    return f"did you mean {close[0]}?" if close else None


def type_hint(fn: str, value: Typed) -> str | None:
    """How to write what a function refused, when the value's own text says what was meant."""
    if TEXT in value.type and value.node.kind == "string" and runtime.parse_date(value.node.value):
        return f'write a date as (date "{value.node.value}")'
    if TEXT in value.type and value.node.kind == "string":
        if runtime.parse_decimal(value.node.value) is not None:
            return f"write the number without quotes: {value.node.value}"
    if TEXT in value.type:
        return 'compare text with = or not=, e.g. (= loan-status "Open")'
    return None


def equal_hint(a: Typed, b: Typed) -> str | None:
    for one, other in ((a, b), (b, a)):
        if SET in one.type and TEXT in other.type and one.node.kind == "symbol":
            shown = f'"{other.node.value}"' if other.node.kind == "string" else "..."
            return f"to ask whether the set holds it: (contains? {one.node.value} {shown})"
    if TEXT in a.type and a.node.kind == "symbol" and b.node.kind == "number":
        return f'write text in quotes, like "{b.node.value}"'
    if TEXT in b.type and b.node.kind == "string":
        return type_hint("=", b)
    return None
