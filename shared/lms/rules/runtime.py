"""The functions compiled rules call at run time, with Clojure's semantics on exact numbers.

Everything here is pure; a bad value (nil where a number is needed, division by zero, text out
of range) raises RuleRuntimeError or a Python TypeError/ArithmeticError, which the caller counts
as "not matched, with an error" for that loan and rule."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

MAX_TEXT = 10_000


_ABSENT = object()  # an optional argument not given (nil given is an error, as in Clojure)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class RuleRuntimeError(Exception):
    """A rule could not be evaluated for one loan."""


@dataclass(frozen=True)
class RuleResult:
    """A criteria's answer for one loan: matched, or not (with the reason when it could not be evaluated)."""

    matched: bool
    error: str | None = None


MATCHED, NOT_MATCHED = RuleResult(True), RuleResult(False)  # shared: a rule's run builds no object unless it fails


def _number(x: Any) -> int | Decimal:
    if type(x) is int or type(x) is Decimal:  # the common case first: two identity tests
        return x
    if isinstance(x, bool) or not isinstance(x, (int, Decimal)):
        raise RuleRuntimeError(f"expected a number, got {_quoted(x)}")
    return x


def orderable(x: Any) -> Any:
    """A value <, >, <= and >= accept: a number or a date (checked at run time for custom fields)."""
    if type(x) is int or type(x) is Decimal or type(x) is datetime.date:
        return x
    if isinstance(x, datetime.date) or (isinstance(x, (int, Decimal)) and not isinstance(x, bool)):
        return x
    raise RuleRuntimeError(f"expected a number or a date, got {_quoted(x)}")


def same(x: Any, y: Any) -> bool:
    """Clojure's = on two values: true and false equal only themselves (Python's True == 1 does not
    hold here); numbers compare by value across whole numbers and decimals."""
    if isinstance(x, bool) or isinstance(y, bool):
        return x is y
    return x == y


def equal(first: Any, *rest: Any) -> bool:
    for other in rest:
        if not same(first, other):
            return False
    return True


def absolute(x: Any) -> Any:
    return abs(_number(x))  # abs of -0.00 is 0.00, as in Clojure (BigDecimal has no -0)


def smallest(first: Any, *rest: Any) -> Any:
    """Clojure's min: on a tie the later argument wins ((if (< x y) x y))."""
    for y in rest:
        first = first if _number(first) < _number(y) else y
    return first


def largest(first: Any, *rest: Any) -> Any:
    for y in rest:
        first = first if _number(first) > _number(y) else y
    return first


def div(a: Any, *rest: Any) -> Decimal:
    if not rest:
        return div(1, a)
    result = Decimal(_number(a))
    for b in rest:
        if _number(b) == 0:
            raise RuleRuntimeError("division by zero")
        result = result / b
    return result


def quot(a: Any, b: Any) -> int | Decimal:
    _number(a), _number(b)
    if b == 0:
        raise RuleRuntimeError("division by zero")
    if type(a) is int and type(b) is int:
        q = abs(a) // abs(b)
        return q if (a < 0) == (b < 0) else -q
    return Decimal(a) // Decimal(b)  # Decimal's // truncates toward zero, as Clojure's quot


def rem(a: Any, b: Any) -> int | Decimal:
    """The remainder of quot: it has the sign of a."""
    if type(a) is int and type(b) is int and b != 0:
        r = a % b  # Python's has the sign of b
        return r - b if r and (a < 0) != (b < 0) else r
    return a - b * quot(a, b)


def mod(a: Any, b: Any) -> int | Decimal:
    """The remainder of floored division: it has the sign of b."""
    if type(a) is int and type(b) is int and b != 0:
        return a % b  # Python's floored modulo is Clojure's mod on whole numbers
    r = rem(a, b)
    return r + b if r != 0 and (r < 0) != (b < 0) else r


QUANTUM = [Decimal(1).scaleb(-places) for places in range(11)]  # round's 0 to 10 places


def round_half_up(x: Any, places: Any = _ABSENT) -> int | Decimal:
    if places is _ABSENT:
        return int(Decimal(_number(x)).quantize(QUANTUM[0], ROUND_HALF_UP))
    if isinstance(places, bool) or not isinstance(places, int) or not 0 <= places <= 10:
        raise RuleRuntimeError(f"round takes 0 to 10 places, got {_quoted(places)}")
    return Decimal(_number(x)).quantize(QUANTUM[places], ROUND_HALF_UP)


def show(x: Any) -> str:
    """Clojure's str of one value."""
    if x is None:
        return ""
    if x is True:
        return "true"
    if x is False:
        return "false"
    if isinstance(x, Decimal):
        return format(x.copy_abs() if x.is_zero() else x, "f")  # no "-0.00"
    if isinstance(x, datetime.date):
        return x.isoformat()
    if isinstance(x, (set, frozenset)):
        return "#{" + " ".join(sorted(_quoted(v) for v in x)) + "}"
    if isinstance(x, (list, tuple)):
        return "[" + " ".join(_quoted(v) for v in x) + "]"
    if isinstance(x, Keyword):
        return ":" + x.name
    return str(x)


def _quoted(x: Any) -> str:
    if isinstance(x, str):  # Clojure's pr-str: a text inside a collection is quoted and escaped
        escaped = x.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        return '"' + escaped.replace("\r", "\\r") + '"'
    return "nil" if x is None else show(x)


def text(*parts: Any) -> str:
    out = "".join([show(p) for p in parts])
    return out if len(out) <= MAX_TEXT else text_too_long()


def text_too_long() -> Any:
    raise RuleRuntimeError(f"text longer than {MAX_TEXT:,} characters")


def subs(s: Any, start: Any, end: Any = _ABSENT) -> str:
    s = _text(s)
    end = len(s) if end is _ABSENT else end
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in (start, end)) or not 0 <= start <= end <= len(s):
        raise RuleRuntimeError(
            f"subs: positions {_quoted(start)}..{_quoted(end)} are outside a text of {len(s)} characters"
        )
    return s[start:end]


def _text(s: Any) -> str:
    if not isinstance(s, str):
        raise RuleRuntimeError(f"expected text, got {_quoted(s)}")
    return s


def count(x: Any) -> int:
    if x is None:
        return 0
    if isinstance(x, (str, set, frozenset, list, tuple, dict)):
        return len(x)
    raise RuleRuntimeError(f"count needs text or a collection, got {show(x)}")


def is_empty(x: Any) -> bool:
    return count(x) == 0


def contains(collection: Any, value: Any) -> bool:
    """Clojure's contains?: membership of a set, or a key of a map; nil contains nothing."""
    if collection is None:
        return False
    if isinstance(collection, (set, frozenset)):
        # Python's True == 1: compared one by one only when true or false is on either side (True in s is
        # also true of a set that holds 1, which is then compared one by one too)
        if value is True or value is False or True in collection or False in collection:
            return any(same(v, value) for v in collection)
        return value in collection
    if isinstance(collection, dict):
        return (value.name if isinstance(value, Keyword) else value) in collection
    raise RuleRuntimeError(f"contains? needs a set or a map, got {show(collection)}")


def lower(s: Any) -> str:
    return _text(s).lower()


def upper(s: Any) -> str:
    return _text(s).upper()


def starts_with(s: Any, prefix: Any) -> bool:
    return _text(s).startswith(_text(prefix))


def ends_with(s: Any, suffix: Any) -> bool:
    return _text(s).endswith(_text(suffix))


def includes(s: Any, part: Any) -> bool:
    return _text(part) in _text(s)


def as_date(x: Any) -> datetime.date:
    if isinstance(x, datetime.date) and not isinstance(x, datetime.datetime):
        return x
    if isinstance(x, str) and _ISO_DATE.fullmatch(x):
        try:
            return datetime.date.fromisoformat(x)
        except ValueError:
            pass
    raise RuleRuntimeError(f"expected a date, got {_quoted(x)}")


def parse_date(text: str) -> datetime.date | None:
    """A YYYY-MM-DD date, or None (Python alone would also take 20260131)."""
    try:
        return datetime.date.fromisoformat(text) if _ISO_DATE.fullmatch(text) else None
    except ValueError:
        return None


def date_compare(a: Any, b: Any) -> int:
    """Days from b to a (LoanPro's u/date-compare)."""
    return (as_date(a) - as_date(b)).days


def _unsigned(text: str) -> str:
    return text[1:] if text[:1] in ("+", "-") else text


def parse_int(x: Any) -> int | None:
    """A whole number of 1 to 18 digits (\\d: str.isdecimal), a sign and space around it allowed; else nil."""
    if isinstance(x, str):
        if len(x) <= 18 and x.isdecimal():  # "612", the common case
            return int(x)
        digits = x.strip()
        body = _unsigned(digits)
        return int(digits) if 0 < len(body) <= 18 and body.isdecimal() else None
    if isinstance(x, int) and not isinstance(x, bool):
        return x
    return None


def parse_decimal(x: Any) -> Decimal | None:
    """Up to 18 digits, a point and up to 10 more ("12.", ".5"), a sign and space around it allowed; else nil."""
    if isinstance(x, str):
        digits = x.strip()
        whole, _, fraction = _unsigned(digits).partition(".")
        if not (whole or fraction) or len(whole) > 18 or len(fraction) > 10:
            return None
        if (whole and not whole.isdecimal()) or (fraction and not fraction.isdecimal()):
            return None
        try:
            return Decimal(digits)
        except InvalidOperation:
            return None
    if isinstance(x, (int, Decimal)) and not isinstance(x, bool):
        return Decimal(x)
    return None


def get(m: Any, key: str) -> Any:
    """(:key m): nil for a missing key, and for anything that is not a map (as in Clojure)."""
    return m.get(key) if isinstance(m, dict) else None


def _lookup(m: Any, key: Any, default: Any) -> Any:
    """One step of get: a map's value (its keys are text, so a keyword or a whole number names the same key:
    :status and "status", 1 and "1"), a set's member, a vector's element by index, else `default`."""
    if isinstance(m, dict):
        if key in m and type(key) is not bool:
            return m[key]
        name = key.name if isinstance(key, Keyword) else str(key) if type(key) is int else None
        return m.get(name, default) if name is not None else default
    if isinstance(m, (set, frozenset)):
        return key if key in m and type(key) is not bool else default
    if isinstance(m, tuple) and type(key) is int and 0 <= key < len(m):
        return m[key]
    return default


def get_value(m: Any, key: Any, default: Any = None) -> Any:
    """(get m key) and (get m key default): nil (or the default) when absent, as in Clojure."""
    return _lookup(m, key, default)


def get_in(m: Any, keys: Any, default: Any = None) -> Any:
    """(get-in m [k1 k2 ...]) and with a default: each key in turn; the default as soon as one is absent."""
    missing = _ABSENT
    for key in keys:
        m = _lookup(m, key, missing)
        if m is missing:
            return default
    return m


def _whole_or_decimal(x: Any, fn: str) -> int | Decimal:
    if type(x) is int or type(x) is Decimal:
        return x
    raise TypeError(f"{fn} needs a number, not {show(x)}")


def inc(x: Any) -> int | Decimal:
    return _whole_or_decimal(x, "inc") + 1


def dec(x: Any) -> int | Decimal:
    return _whole_or_decimal(x, "dec") - 1


def is_zero(x: Any) -> bool:
    return _whole_or_decimal(x, "zero?") == 0


def is_positive(x: Any) -> bool:
    return _whole_or_decimal(x, "pos?") > 0


def is_negative(x: Any) -> bool:
    return _whole_or_decimal(x, "neg?") < 0


def is_even(x: Any) -> bool:
    if type(x) is not int:
        raise TypeError(f"even? needs a whole number, not {show(x)}")
    return x % 2 == 0


def is_odd(x: Any) -> bool:
    if type(x) is not int:
        raise TypeError(f"odd? needs a whole number, not {show(x)}")
    return x % 2 == 1


class Keyword:
    """A keyword value (:date); only compared and shown, never called."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Keyword) and other.name == self.name

    def __hash__(self) -> int:
        return hash((Keyword, self.name))

    def __repr__(self) -> str:
        return ":" + self.name


# What other modules' helpers (lms.rules.strings) build on.
need_text, quoted, ABSENT = _text, _quoted, _ABSENT


def truthy(x: Any) -> bool:
    return x is not None and x is not False


NAMESPACE: dict[str, Any] = {
    "__builtins__": {},  # compiled rules reach nothing but what is listed here
    "_div": div,
    "_quot": quot,
    "_rem": rem,
    "_mod": mod,
    "_round": round_half_up,
    "_min": smallest,
    "_max": largest,
    "_abs": absolute,
    "_get_value": get_value,
    "_get_in": get_in,
    "_inc": inc,
    "_dec": dec,
    "_is_zero": is_zero,
    "_is_pos": is_positive,
    "_is_neg": is_negative,
    "_is_even": is_even,
    "_is_odd": is_odd,
    "_num": _number,
    "_ord": orderable,
    "_eq": equal,
    "_str": text,
    "_subs": subs,
    "_count": count,
    "_empty": is_empty,
    "_contains": contains,
    "_lower": lower,
    "_upper": upper,
    "_starts": starts_with,
    "_ends": ends_with,
    "_includes": includes,
    "_date_compare": date_compare,
    "_parse_int": parse_int,
    "_parse_decimal": parse_decimal,
    "_get": get,
    "_truthy": truthy,
    # what lms.rules.inline's fast paths and the production call (lms.rules.codegen) use
    "_same": same,
    "_show": show,
    "_text_too_long": text_too_long,
    "_Exception": Exception,
    "_MATCHED": MATCHED,
    "_NOT_MATCHED": NOT_MATCHED,
}
