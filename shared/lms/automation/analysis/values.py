"""The rulebook analysis's values and regions: the values a part of a criteria takes, cut into regions by the
literals it is compared with (lms.automation.analysis)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from datetime import date
from decimal import Decimal, localcontext
from typing import Any


class Failed(Exception):
    """The criteria fails on these values (a runtime error, like (> x 1) on a nil x): it does not match."""


FAILED = Failed()
NOT_LITERAL = object()
_SOMETHING = object()  # a true value that is not true itself (a text, a number): what an opaque part may give
_NIL = ("nil",)  # the region of nil
_ORIGIN = {"int": 0, "date": date(2000, 1, 1).toordinal()}  # a value of a variable no literal constrains
TRACKED = {"int": "int", "money": "dec", "decimal": "dec", "date": "date", "text": "text", "bool": "bool"}
Key = Any  # what a criteria's values are looked up by: a variable, ("in", set variable, title) or ("opaque", text)
Env = dict[Key, Any]


def is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def truthy(value: Any) -> bool:
    return value is not None and value is not False


def same_value(a: Any, b: Any) -> bool:
    """= as the compiled rule has it: nil and true/false equal only themselves, numbers compare by value."""
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


@functools.lru_cache(maxsize=8192)
def domain_of(kind: str, points: frozenset[Any]) -> tuple[tuple[Any, Any], ...]:
    """One value per region of a part's values, with the region: what every combination is made of."""
    if kind == "bool":
        return ((True, True), (False, False), (None, _NIL))
    if kind in ("member", "opaque-bool"):
        return ((True, True), (False, False))
    if kind == "opaque":
        return ((True, True), (False, False), (None, _NIL), (_SOMETHING, _SOMETHING))
    if kind == "text":
        titles = sorted(p for p in points if isinstance(p, str))
        other = "\x00" * (1 + max(map(len, titles), default=0))  # longer than any literal: equal to none
        return (*((t, ("is", t)) for t in titles), (other, ("not", frozenset(titles))), (None, _NIL))
    if kind == "dec":
        return (*_decimal_regions(points), (None, _NIL))
    return (*_whole_regions(points, kind == "date"), (None, _NIL))


def _whole_regions(points: frozenset[Any], dates: bool) -> list[tuple[Any, Any]]:
    """Whole numbers (dates as day numbers): a region is a closed range (lo, hi), None where unbounded."""
    bounds = sorted({p.toordinal() if dates else p for p in points if (isinstance(p, date) if dates else is_number(p))})
    ranges: list[tuple[int | None, int | None]] = []
    below: Any = None
    for bound in [*bounds, None]:
        lo = None if below is None else math.floor(below) + 1
        hi = None if bound is None else math.ceil(bound) - 1
        if lo is None or hi is None or lo <= hi:
            ranges.append((lo, hi))
        if bound is not None and bound == math.floor(bound):
            ranges.append((int(bound), int(bound)))
        below = bound
    regions = []
    for lo, hi in ranges:
        n = lo if lo is not None else hi if hi is not None else _ORIGIN["date" if dates else "int"]
        if dates and not 1 <= n <= date.max.toordinal():
            continue
        regions.append((date.fromordinal(n) if dates else n, (lo, hi)))
    return regions


def _decimal_regions(points: frozenset[Any]) -> list[tuple[Any, Any]]:
    """Decimals: a region is (lo, lo included, hi, hi included), None where unbounded."""
    bounds = sorted({Decimal(p) for p in points if is_number(p)})
    regions: list[tuple[Any, Any]] = []
    below: Decimal | None = None
    with localcontext() as exact:
        exact.prec = 80  # a midpoint of two 28-digit literals is exact
        for bound in [*bounds, None]:
            if below is None:
                value = Decimal(0) if bound is None else bound - 1
            else:
                value = below + 1 if bound is None else (below + bound) / 2
            regions.append((value, (below, False, bound, False)))
            if bound is not None:
                regions.append((bound, (bound, True, bound, True)))
            below = bound
    return regions


def meet(kind: str, a: Any, b: Any) -> bool:
    """Whether two regions of one part's values share a value."""
    if a is _NIL or b is _NIL:
        return a is b
    if kind in ("int", "date"):
        lo = a[0] if b[0] is None else b[0] if a[0] is None else max(a[0], b[0])
        hi = a[1] if b[1] is None else b[1] if a[1] is None else min(a[1], b[1])
        return lo is None or hi is None or lo <= hi
    if kind == "dec":
        return _meet_decimal(a, b)
    if kind == "text":
        if a[0] == "is" and b[0] == "is":
            return bool(a[1] == b[1])
        if a[0] == "is":
            return a[1] not in b[1]
        return b[0] == "not" or b[1] not in a[1]
    return bool(a == b)


def _meet_decimal(a: Any, b: Any) -> bool:
    def bound(x: tuple[Any, bool], y: tuple[Any, bool], pick: Callable[[Any, Any], Any]) -> tuple[Any, bool]:
        if x[0] is None:
            return y
        if y[0] is None or x[0] != y[0]:
            return x if y[0] is None or pick(x[0], y[0]) == x[0] else y
        return x[0], x[1] and y[1]

    lo, lo_in = bound((a[0], a[1]), (b[0], b[1]), max)
    hi, hi_in = bound((a[2], a[3]), (b[2], b[3]), min)
    return lo is None or hi is None or lo < hi or (lo == hi and lo_in and hi_in)


def region_of(kind: str, value: Any) -> Any:
    """The one-value region of a value an action writes, or None when the part can never hold it."""
    if value is None:
        return _NIL
    if kind == "int":
        return (int(value), int(value)) if is_number(value) and value == math.floor(value) else None
    if kind == "date":
        return (value.toordinal(), value.toordinal()) if isinstance(value, date) else None
    if kind == "dec":
        return (Decimal(value), True, Decimal(value), True) if is_number(value) else None
    if kind == "text":
        return ("is", value) if isinstance(value, str) else None
    return value
