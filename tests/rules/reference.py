"""A small reference interpreter for the rule language, written for the property tests from
docs/rules.md (syntax, types, functions) and Clojure's semantics. It shares no code with lms.rules (nothing here
imports it): it walks a tree, one function at a time, the obvious way.

A tree is made of plain tuples:

    ("lit", value)               nil, true, false, an int, a Decimal, a text, a datetime.date,
                                 a frozenset of literals (#{...}) or a tuple of literals ([...])
    ("kw", "else")               a keyword, :else
    ("var", "loan-status")       a catalogue variable, dotted customer names as written
    ("call", "and", (tree, ...)) a function or special form by its rule name, with its arguments
    ("let", ((name, tree), ...), body)   (let [name tree ...] body)
    ("local", "days")            a let name
    ("re", "[0-9]+")             a regex literal #"[0-9]+" (read with Python's re, ASCII classes: the
                                 generated patterns are ones where it and RE2 agree)
    ("fn", "pos?")               a function named as the predicate of some and every?

`evaluate(tree, context)` gives a Result: the value, or the runtime error Clojure would raise
(nil where a number is needed, division by zero...), and `notes`: the places where this
evaluation met a case in which the product is known to answer differently (see KNOWN).
`render(tree)` prints the tree as rule text; `nodes`, `nesting` and `variables` measure it.

Choices where Clojure leaves room (docs/rules.md and lms/rules/runtime.py's docstrings):
- `=` and `<`... compare numbers across int and Decimal by value: (= 1 1.0) is true (docs/rules.md#types:
  whole numbers and decimals "compare and calculate together"); dates compare with dates; nil in an ordering
  is an error.
- `+ - *` are exact on Decimals (Clojure's BigDecimal); `/` always gives a Decimal, rounded to 28
  significant digits half-even when the quotient does not terminate (Clojure would throw).
- `quot` of Decimals gives a whole Decimal with exponent 0; `rem` has the sign of the dividend and
  `mod` the sign of the divisor, as in Clojure.
- `(round x)` rounds half away from zero to an int; `(round x n)` to n places (0 to 10), half away
  from zero, a Decimal with exactly n places.
- `str` prints a Decimal in plain notation (1.50, 10000, never 1E+4), a date as YYYY-MM-DD, nil
  as nothing; texts longer than 10,000 characters are an error.
- `count` counts characters (code points), not UTF-16 units.
- `v/parse-int` takes an int or a text of an optional sign and 1 to 18 digits (spaces around
  allowed), else nil; `v/parse-float` takes a number or a text like 12, 12.5, 12. or .5 (at most
  18 digits before the point and 10 after) and gives a Decimal, else nil.
- `u/date-compare` is the days from its second date to its first; ISO texts count as dates.
- `some` and `every?` walk a set in the order `str` prints it (Clojure's order is its hashes').
- `clojure.string/trim`, `blank?`... take Java's Character.isWhitespace as whitespace; characters are code points.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from fractions import Fraction
from itertools import pairwise
from typing import Any

MAX_TEXT = 10_000
PRODUCT_DIGITS = 28  # Python's default decimal precision, which the product computes in

# ---------------------------------------------------------------- known differences of the product
# Each note names a case where the product is known (and pinned by a strict xfail test in
# test_properties.py) to answer differently from Clojure; the properties skip those evaluations.
SKIPPED_ARGUMENT = "skipped-argument"  # =, not=, <... stop evaluating arguments after the first false pair
NEGATIVE_ZERO = "negative-zero"  # (str (* -1 0.0)) prints -0.0; Clojure's BigDecimal has no negative zero
PRECISION = "precision"  # a Decimal result of more than 28 digits is rounded (or raises) instead of exact
MIN_MAX_TIE = "min-max-tie"  # on a tie Clojure's min and max give the last argument, Python's the first
NIL_OPTIONAL_ARGUMENT = "nil-optional-argument"  # (round x nil), (subs s 0 nil): nil taken as "no argument"
DYNAMIC_TYPES = "dynamic-types"  # a value of an unexpected type at run time (a custom field) reaching
# =, <, contains? or abs: Python's True == 1, "a" < "b" and abs(True) answer where Clojure says false or throws
THREAD_NON_MAP = "thread-non-map"  # (-> m :a :b) where (:a m) is not a map: Clojure gives nil
COLLECTION_STR = "collection-str"  # str of a set or vector: Clojure escapes the texts inside
UNARY_NIL = "unary-nil"  # (+ x), (* x), (min x), (max x) of a nil custom field raise; Clojure gives nil
# Only PRECISION is still a known difference (a documented decision: 28-digit intermediate precision);
# the other notes are kept so the reference still says where those cases are, and the properties check them.
KNOWN = frozenset({PRECISION})

_EXACT = Context(prec=100_000, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation, DivisionByZero, Overflow])
_QUOTIENT = Context(prec=PRODUCT_DIGITS, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])


class RefError(Exception):
    """What Clojure would throw: the rule does not match, with an error, for that loan."""


@dataclass(frozen=True)
class Keyword:
    name: str


@dataclass(frozen=True)
class Result:
    value: Any = None
    error: str | None = None
    notes: frozenset = frozenset()

    @property
    def ok(self) -> bool:
        return self.error is None


def evaluate(tree: tuple, context: dict) -> Result:
    notes: set[str] = set()
    try:
        value = _Evaluation(context, notes).eval(tree)
    except RefError as error:
        return Result(None, str(error) or "error", frozenset(notes))
    return Result(value, None, frozenset(notes))


# ---------------------------------------------------------------- kinds of values


def is_number(x: Any) -> bool:
    return isinstance(x, (int, Decimal)) and not isinstance(x, bool)


def is_date(x: Any) -> bool:
    return isinstance(x, datetime.date) and not isinstance(x, datetime.datetime)


def truthy(x: Any) -> bool:
    """Clojure: only nil and false are falsy; 0, 0.0, "" and #{} are true."""
    return x is not None and x is not False


def _family(x: Any) -> str:
    if x is None:
        return "nil"
    if isinstance(x, bool):
        return "bool"
    if is_number(x):
        return "number"
    if isinstance(x, str):
        return "text"
    if is_date(x):
        return "date"
    if isinstance(x, Keyword) or type(x).__name__ == "Keyword":
        return "keyword"
    if isinstance(x, (set, frozenset)):
        return "set"
    if isinstance(x, (list, tuple)):
        return "vector"
    if isinstance(x, dict):
        return "map"
    return type(x).__name__


class _Evaluation:
    def __init__(self, context: dict, notes: set[str]):
        self.context = context
        self.notes = notes
        self.scope: dict[str, Any] = {}

    def note(self, what: str) -> None:
        self.notes.add(what)

    # ------------------------------------------------------------ the walk

    def eval(self, tree: tuple) -> Any:
        kind = tree[0]
        if kind == "lit":
            return tree[1]
        if kind == "kw":
            return Keyword(tree[1])
        if kind == "var":
            return self.context[tree[1]]
        if kind == "local":
            return self.scope[tree[1]]
        if kind == "re":
            return re.compile(tree[1], re.ASCII)
        if kind == "let":
            outer = dict(self.scope)
            try:
                for name, value in tree[1]:
                    self.scope[name] = self.eval(value)
                return self.eval(tree[2])
            finally:
                self.scope = outer
        assert kind == "call", tree
        name, args = tree[1], tree[2]
        special = _SPECIAL.get(name)
        if special is not None:
            return special(self, args)
        values = [self.eval(a) for a in args]  # a function: every argument first, left to right
        return _FUNCTIONS[name](self, *values)

    # ------------------------------------------------------------ special forms

    def and_(self, args) -> Any:
        value: Any = True
        for a in args:
            value = self.eval(a)
            if not truthy(value):
                return value
        return value

    def or_(self, args) -> Any:
        value: Any = None
        for a in args:
            value = self.eval(a)
            if truthy(value):
                return value
        return value

    def if_(self, args) -> Any:
        if truthy(self.eval(args[0])):
            return self.eval(args[1])
        return self.eval(args[2]) if len(args) == 3 else None

    def when(self, args) -> Any:
        return self.eval(args[1]) if truthy(self.eval(args[0])) else None

    def cond(self, args) -> Any:
        for test, value in zip(args[0::2], args[1::2], strict=False):
            if truthy(self.eval(test)):
                return self.eval(value)
        return None

    def thread(self, args) -> Any:
        value = self.eval(args[0])
        for key in args[1:]:
            assert key[0] == "kw", key
            if isinstance(value, dict):
                value = value.get(key[1])
            elif value is None:
                value = None
            else:  # (:key "text") is nil in Clojure
                self.note(THREAD_NON_MAP)
                value = None
        return value

    def some_every(self, args, is_some: bool) -> Any:
        pred_tree, coll_tree = args
        if pred_tree[0] == "fn":

            def pred(x: Any) -> Any:
                return _FUNCTIONS[pred_tree[1]](self, x)
        else:
            s = self.eval(pred_tree)

            def pred(x: Any) -> Any:
                if not isinstance(s, (set, frozenset)):  # only sets are functions among the values
                    raise RefError(f"{_family(s)} is not a function")
                return x if self.contains(s, x) else None

        coll = self.eval(coll_tree)
        if coll is None:
            items: list = []
        elif isinstance(coll, (set, frozenset)):
            items = sorted(coll, key=self.printed)
        elif isinstance(coll, (list, tuple)):
            items = list(coll)
        else:
            raise RefError(f"cannot walk {_family(coll)}")
        for x in items:
            found = pred(x)
            if is_some and truthy(found):
                return found
            if not is_some and not truthy(found):
                return False
        return None if is_some else True

    def custom_field(self, args) -> Any:
        (name,) = args
        fields = self.context["custom-fields"]
        return None if fields is None else fields.get(name[1])

    def today(self, args) -> Any:
        """(u/today): the UTC date (docs/rules.md), which the context carries as current-utc-date."""
        return self.context["current-utc-date"]

    def chain(self, args, pair: Callable[[Any, Any], bool], negate: bool = False) -> bool:
        """=, not=, <, >, <=, >=: every argument is evaluated (they are functions), then adjacent
        pairs are compared left to right, stopping at the first false pair."""
        values: list[Any] = []
        for i, a in enumerate(args):
            try:
                values.append(self.eval(a))
            except RefError:
                if len(args) == 1 or (i >= 2 and self._prefix_false(values, pair)):
                    self.note(SKIPPED_ARGUMENT)
                raise
        holds = True
        for x, y in pairwise(values):
            if not pair(x, y):
                holds = False
                break
        return holds != negate

    def _prefix_false(self, values: list[Any], pair: Callable[[Any, Any], bool]) -> bool:
        try:
            return not all(pair(x, y) for x, y in pairwise(values))
        except RefError:
            return False

    # ------------------------------------------------------------ comparison

    def equal(self, x: Any, y: Any) -> bool:
        fx, fy = _family(x), _family(y)
        if {fx, fy} == {"bool", "number"}:
            self.note(DYNAMIC_TYPES)
        if fx != fy:
            return False
        if fx == "number":
            return Fraction(x) == Fraction(y)
        if fx == "keyword":
            return x.name == y.name
        if fx == "set":
            return len(x) == len(y) and all(any(self.equal(a, b) for b in y) for a in x)
        if fx == "vector":
            return len(x) == len(y) and all(self.equal(a, b) for a, b in zip(x, y, strict=True))
        if fx == "map":
            return x.keys() == y.keys() and all(self.equal(x[k], y[k]) for k in x)
        return x == y

    def order(self, x: Any, y: Any) -> tuple[Any, Any]:
        if is_number(x) and is_number(y):
            return Fraction(x), Fraction(y)
        if is_date(x) and is_date(y):
            return x, y
        if {_family(x), _family(y)} <= {"bool", "number"} or (_family(x) == _family(y) != "nil"):
            self.note(DYNAMIC_TYPES)  # Python orders these (True < 2, "a" < "b", subsets)
        raise RefError(f"cannot order {_family(x)} and {_family(y)}")

    # ------------------------------------------------------------ numbers

    def number(self, x: Any) -> int | Decimal:
        if not is_number(x):
            raise RefError(f"expected a number, got {_family(x)}")
        return x

    def decimal(self, d: Decimal) -> Decimal:
        """Every Decimal the arithmetic makes: exact here; the product keeps 28 digits."""
        if len(d.as_tuple().digits) > PRODUCT_DIGITS:
            self.note(PRECISION)
        return d

    def arithmetic(self, op: str, values: tuple) -> int | Decimal:
        numbers = [self.number(v) for v in values]
        if all(isinstance(n, int) for n in numbers):
            result = numbers[0]
            for n in numbers[1:]:
                result = result + n if op == "+" else result - n if op == "-" else result * n
            return result
        result = Decimal(numbers[0])
        for n in numbers[1:]:
            method = {"+": _EXACT.add, "-": _EXACT.subtract, "*": _EXACT.multiply}[op]
            result = self.decimal(method(result, Decimal(n)))
        return self.decimal(result)

    def plus(self, *values: Any) -> Any:
        return self.unary(values) if len(values) == 1 else self.arithmetic("+", values or (0,))

    def times(self, *values: Any) -> Any:
        return self.unary(values) if len(values) == 1 else self.arithmetic("*", values or (1,))

    def unary(self, values: tuple) -> Any:
        """(+ x) and (* x) are (cast Number x), (min x) and (max x) are x: x itself, nil included."""
        if values[0] is None:
            self.note(UNARY_NIL)
            return None
        return self.number(values[0])

    def minus(self, *values: Any) -> Any:
        if len(values) == 1:
            x = self.number(values[0])
            return -x if isinstance(x, int) else self.decimal(_EXACT.minus(x))
        return self.arithmetic("-", values)

    def divide(self, *values: Any) -> Decimal:
        numbers = [self.number(v) for v in values]
        if len(numbers) == 1:
            numbers = [1, *numbers]
        result = Decimal(numbers[0])
        for n in numbers[1:]:
            if n == 0:
                raise RefError("division by zero")
            result = _QUOTIENT.divide(result, Decimal(n))
        return result

    def quot(self, a: Any, b: Any) -> int | Decimal:
        a, b = self.number(a), self.number(b)
        if b == 0:
            raise RefError("division by zero")
        q = Fraction(a) / Fraction(b)
        whole = int(q)  # int() truncates toward zero, as Clojure's quot
        if isinstance(a, int) and isinstance(b, int):
            return whole
        negative = _signed(a) != _signed(b)  # IEEE 754: a zero quotient keeps the sign
        return self.decimal(Decimal((1 if negative else 0, Decimal(abs(whole)).as_tuple().digits, 0)))

    def rem(self, a: Any, b: Any) -> int | Decimal:
        q = self.quot(a, b)
        if isinstance(q, int):
            return a - b * q
        return self.decimal(_EXACT.subtract(Decimal(a), self.decimal(_EXACT.multiply(Decimal(b), q))))

    def mod(self, a: Any, b: Any) -> int | Decimal:
        """Clojure: (let [m (rem num div)] (if (or (zero? m) (= (pos? num) (pos? div))) m (+ m div)))"""
        m = self.rem(a, b)
        if m == 0 or (a > 0) == (b > 0):
            return m
        if isinstance(m, int) and isinstance(b, int):
            return m + b
        return self.decimal(_EXACT.add(Decimal(m), Decimal(b)))

    def extreme(self, values: tuple, greater: bool) -> Any:
        """Clojure: (max x y) is (if (> x y) x y), folded left: a tie gives the later argument."""
        if len(values) == 1:
            return self.unary(values)
        numbers = [self.number(v) for v in values]
        best = numbers[0]
        for n in numbers[1:]:
            keep = Fraction(best) > Fraction(n) if greater else Fraction(best) < Fraction(n)
            best = best if keep else n
        first = next(n for n in numbers if Fraction(n) == Fraction(best))
        if _shape(first) != _shape(best):
            self.note(MIN_MAX_TIE)
        return best

    def abs_(self, x: Any) -> Any:
        if isinstance(x, bool):
            self.note(DYNAMIC_TYPES)
        x = self.number(x)
        return abs(x) if isinstance(x, int) else self.decimal(_EXACT.abs(x))

    def round_(self, x: Any, *places: Any) -> int | Decimal:
        if places and places[0] is None:
            self.note(NIL_OPTIONAL_ARGUMENT)
        x = self.number(x)
        if not places:
            whole = _half_up(Fraction(x))
            if len(str(abs(whole))) > PRODUCT_DIGITS:
                self.note(PRECISION)
            return whole
        (n,) = places
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 10:
            raise RefError("round takes 0 to 10 places")
        scaled = _half_up(Fraction(x) * 10**n)
        digits = Decimal(abs(scaled)).as_tuple().digits
        negative = scaled < 0 or (scaled == 0 and _signed(x))
        return self.decimal(Decimal((1 if negative else 0, digits, -n)))

    # ------------------------------------------------------------ texts and collections

    def str_(self, *values: Any) -> str:
        out = "".join(self.show(v) for v in values)
        if len(out) > MAX_TEXT:
            raise RefError("text too long")
        return out

    def show(self, x: Any) -> str:
        """Clojure's str of one value."""
        if x is None:
            return ""
        if x is True:
            return "true"
        if x is False:
            return "false"
        if isinstance(x, int):
            return str(x)
        if isinstance(x, Decimal):
            return self.plain(x)
        if isinstance(x, str):
            return x
        if is_date(x):
            return f"{x.year:04d}-{x.month:02d}-{x.day:02d}"
        if _family(x) == "keyword":
            return ":" + x.name
        if isinstance(x, (set, frozenset)):
            return "#{" + " ".join(sorted(self.printed(v) for v in x)) + "}"
        if isinstance(x, (list, tuple)):
            return "[" + " ".join(self.printed(v) for v in x) + "]"
        raise RefError(f"cannot show {type(x).__name__}")

    def printed(self, x: Any) -> str:
        """Clojure's pr-str of a value inside a collection: texts quoted and escaped."""
        if isinstance(x, str):
            if any(c in x for c in '"\\\n\t\r'):
                self.note(COLLECTION_STR)
            escaped = x.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
            return '"' + escaped.replace("\r", "\\r") + '"'
        return "nil" if x is None else self.show(x)

    def plain(self, d: Decimal) -> str:
        sign, digits, exponent = d.as_tuple()
        assert isinstance(exponent, int), "a finite Decimal"
        text = "".join(map(str, digits))
        if exponent >= 0:
            text = text + "0" * exponent if text != "0" else "0"
        else:
            text = text.rjust(-exponent + 1, "0")
            text = text[:exponent] + "." + text[exponent:]
        if sign and d == 0:
            self.note(NEGATIVE_ZERO)  # BigDecimal has no -0: Clojure prints 0.0
            return text
        return ("-" if sign else "") + text

    def text(self, x: Any) -> str:
        if not isinstance(x, str):
            raise RefError(f"expected text, got {_family(x)}")
        return x

    def subs(self, s: Any, start: Any, *end: Any) -> str:
        s = self.text(s)
        if end and end[0] is None:
            self.note(NIL_OPTIONAL_ARGUMENT)
        stop = end[0] if end else len(s)
        for i in (start, stop):
            if not isinstance(i, int) or isinstance(i, bool):
                raise RefError("subs needs whole numbers")
        if not 0 <= start <= stop <= len(s):
            raise RefError("subs out of range")
        return s[start:stop]

    def count(self, x: Any) -> int:
        if x is None:
            return 0
        if isinstance(x, (str, set, frozenset, list, tuple, dict)):
            return len(x)
        raise RefError(f"count of {_family(x)}")

    def contains(self, collection: Any, value: Any) -> bool:
        if collection is None:
            return False
        if isinstance(collection, (set, frozenset)):
            return any(self.equal(e, value) for e in collection)
        if isinstance(collection, dict):
            if _family(value) == "keyword":
                return value.name in collection
            return value in collection
        raise RefError(f"contains? on {_family(collection)}")

    # ------------------------------------------------------------ dates and parsing

    def date(self, x: Any) -> datetime.date:
        if is_date(x):
            return x
        if isinstance(x, str):
            parsed = parse_iso_date(x)
            if parsed is not None:
                return parsed
        raise RefError(f"expected a date, got {_family(x)}")

    def date_compare(self, a: Any, b: Any) -> int:
        return self.date(a).toordinal() - self.date(b).toordinal()

    def parse_int(self, x: Any) -> int | None:
        if isinstance(x, int) and not isinstance(x, bool):
            return x
        if not isinstance(x, str):
            return None
        sign, whole, point, fraction = _split_number(x)
        if point or whole is None or not 1 <= len(whole) <= 18:
            return None
        return int(sign + whole)

    def parse_float(self, x: Any) -> Decimal | None:
        if is_number(x):
            return Decimal(x)
        if not isinstance(x, str):
            return None
        sign, whole, point, fraction = _split_number(x)
        if whole is None or len(whole) > 18 or len(fraction) > 10 or not (whole or fraction):
            return None
        if not point:
            return Decimal(sign + whole)
        return Decimal(f"{sign}{whole or '0'}.{fraction}") if fraction else Decimal(sign + whole)


def _signed(x: int | Decimal) -> bool:
    return x.is_signed() if isinstance(x, Decimal) else x < 0


def _shape(x: int | Decimal) -> tuple:
    return ("int", x) if isinstance(x, int) else ("decimal", x.as_tuple())


def _half_up(q: Fraction) -> int:
    """Nearest whole number, halves away from zero."""
    whole = (abs(q.numerator) * 2 + q.denominator) // (2 * q.denominator)
    return -whole if q < 0 else whole


def _split_number(x: str) -> tuple[str, str | None, bool, str]:
    """'  -12.50 ' -> ('-', '12', True, '50'); digits of any script, as ASCII; whole is None when
    the text is not sign, digits, an optional point and digits."""
    s = x.strip()
    sign = ""
    if s[:1] in ("+", "-"):
        sign, s = s[0], s[1:]
    whole, point, fraction = s.partition(".")
    if not all(c.isdecimal() for c in whole + fraction):
        return sign, None, False, ""
    ascii_ = lambda digits: "".join(str(unicodedata.decimal(c)) for c in digits)  # noqa: E731
    return sign, ascii_(whole), bool(point), ascii_(fraction)


def parse_iso_date(x: str) -> datetime.date | None:
    parts = x.split("-")
    if (
        len(x) != 10
        or len(parts) != 3
        or [len(p) for p in parts] != [4, 2, 2]
        or not all(p.isdigit() and p.isascii() for p in parts)
    ):
        return None
    try:
        return datetime.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


_SPECIAL: dict[str, Callable[[_Evaluation, tuple], Any]] = {
    "and": _Evaluation.and_,
    "or": _Evaluation.or_,
    "if": _Evaluation.if_,
    "when": _Evaluation.when,
    "cond": _Evaluation.cond,
    "->": _Evaluation.thread,
    "custom-field": _Evaluation.custom_field,
    "u/today": _Evaluation.today,
    "=": lambda e, args: e.chain(args, e.equal),
    "not=": lambda e, args: e.chain(args, e.equal, negate=True),
    "<": lambda e, args: e.chain(args, lambda x, y: (lambda a, b: a < b)(*e.order(x, y))),
    ">": lambda e, args: e.chain(args, lambda x, y: (lambda a, b: a > b)(*e.order(x, y))),
    "<=": lambda e, args: e.chain(args, lambda x, y: (lambda a, b: a <= b)(*e.order(x, y))),
    ">=": lambda e, args: e.chain(args, lambda x, y: (lambda a, b: a >= b)(*e.order(x, y))),
}

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "not": lambda e, x: not truthy(x),
    "+": _Evaluation.plus,
    "-": _Evaluation.minus,
    "*": _Evaluation.times,
    "/": _Evaluation.divide,
    "quot": _Evaluation.quot,
    "rem": _Evaluation.rem,
    "mod": _Evaluation.mod,
    "min": lambda e, *xs: e.extreme(xs, greater=False),
    "max": lambda e, *xs: e.extreme(xs, greater=True),
    "abs": _Evaluation.abs_,
    "round": _Evaluation.round_,
    "str": _Evaluation.str_,
    "subs": _Evaluation.subs,
    "count": _Evaluation.count,
    "empty?": lambda e, x: e.count(x) == 0,
    "contains?": _Evaluation.contains,
    "some?": lambda e, x: x is not None,
    "nil?": lambda e, x: x is None,
    "lower-case": lambda e, s: e.text(s).lower(),
    "upper-case": lambda e, s: e.text(s).upper(),
    "starts-with?": lambda e, s, p: e.text(s).startswith(e.text(p)),
    "ends-with?": lambda e, s, p: e.text(s).endswith(e.text(p)),
    "includes?": lambda e, s, p: e.text(p) in e.text(s),
    "u/date-compare": _Evaluation.date_compare,
    "v/parse-int": _Evaluation.parse_int,
    "v/parse-float": _Evaluation.parse_float,
}

FUNCTIONS = frozenset(_SPECIAL) | frozenset(_FUNCTIONS)


# ---------------------------------------------------------------- clojure.string and regexes

# Java's Character.isWhitespace, spelled out from its documentation.
_SEPARATORS = {c for c in map(chr, range(0x3001)) if unicodedata.category(c) in ("Zs", "Zl", "Zp")}
JAVA_WHITESPACE = frozenset(_SEPARATORS - {"\xa0", "\u2007", "\u202f"}) | frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f")


def _trim_left(s: str) -> str:
    i = 0
    while i < len(s) and s[i] in JAVA_WHITESPACE:
        i += 1
    return s[i:]


def _trim_right(s: str) -> str:
    return _trim_left(s[::-1])[::-1]


def _groups(m: Any, pattern: Any) -> Any:
    if m is None:
        return None
    return m.group(0) if not pattern.groups else tuple(m.group(k) for k in range(pattern.groups + 1))


def _java_split(s: str, pattern: Any, limit: int = 0) -> tuple:
    """Java's Pattern.split, transcribed."""
    index = 0
    parts: list[str] = []
    limited = limit > 0
    for m in pattern.finditer(s):
        if not limited or len(parts) < limit - 1:
            if index == 0 and index == m.start() and m.start() == m.end():
                continue
            parts.append(s[index : m.start()])
            index = m.end()
        elif len(parts) == limit - 1:
            parts.append(s[index:])
            index = m.end()
    if index == 0:
        return (s,)
    if not limited or len(parts) < limit:
        parts.append(s[index:])
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return tuple(parts)


def _java_index_of(s: str, v: str, start: int = 0) -> int | None:
    start = min(max(start, 0), len(s))
    for k in range(start, len(s) - len(v) + 1):
        if s[k : k + len(v)] == v:
            return k
    return None


def _java_last_index_of(s: str, v: str, start: int | None = None) -> int | None:
    k = len(s) - len(v) if start is None else min(start, len(s) - len(v))
    while k >= 0:
        if s[k : k + len(v)] == v:
            return k
        k -= 1
    return None


def _whole(e: _Evaluation, x: Any) -> int:
    if not isinstance(x, int) or isinstance(x, bool):
        raise RefError("not a whole number")
    return x


def _bounded(s: str) -> str:
    if len(s) > MAX_TEXT:
        raise RefError("text too long")
    return s


def _join(e: _Evaluation, *args: Any) -> str:
    separator, coll = ("", args[0]) if len(args) == 1 else (e.text(args[0]), args[1])
    if coll is None:
        items: list = []
    elif isinstance(coll, (set, frozenset)):
        items = sorted(coll, key=e.printed)
    elif isinstance(coll, (list, tuple)):
        items = list(coll)
    else:
        raise RefError("join needs a collection")
    return _bounded(separator.join(e.show(x) for x in items))


_STRING: dict[str, Callable[..., Any]] = {
    "lower-case": lambda e, s: e.text(s).lower(),
    "upper-case": lambda e, s: e.text(s).upper(),
    "capitalize": lambda e, s: e.text(s)[:1].upper() + e.text(s)[1:].lower(),
    "reverse": lambda e, s: "".join(reversed(e.text(s))),
    "trim": lambda e, s: _trim_right(_trim_left(e.text(s))),
    "triml": lambda e, s: _trim_left(e.text(s)),
    "trimr": lambda e, s: _trim_right(e.text(s)),
    "blank?": lambda e, s: s is None or _trim_left(e.text(s)) == "",
    "starts-with?": lambda e, s, p: e.text(s).startswith(e.text(p)),
    "ends-with?": lambda e, s, p: e.text(s).endswith(e.text(p)),
    "includes?": lambda e, s, p: e.text(p) in e.text(s),
    "replace": lambda e, s, a, b: _bounded(e.text(s).replace(e.text(a), e.text(b))),
    "join": _join,
    "index-of": lambda e, s, v, *at: _java_index_of(e.text(s), e.text(v), *(_whole(e, a) for a in at)),
    "last-index-of": lambda e, s, v, *at: _java_last_index_of(e.text(s), e.text(v), *(_whole(e, a) for a in at)),
    "split": lambda e, s, p, *limit: _java_split(e.text(s), p, *(_whole(e, n) for n in limit)),
    "split-lines": lambda e, s: _java_split(e.text(s), re.compile("\r?\n")),
}
_FUNCTIONS.update({f"clojure.string/{name}": f for name, f in _STRING.items()})
_FUNCTIONS.update(
    {
        "re-find": lambda e, p, s: _groups(p.search(e.text(s)), p),
        "re-matches": lambda e, p, s: _groups(p.fullmatch(e.text(s)), p),
        "boolean": lambda e, x: truthy(x),
        "inc": lambda e, x: e.arithmetic("+", (x, 1)),
        "dec": lambda e, x: e.arithmetic("-", (x, 1)),
        "zero?": lambda e, x: e.number(x) == 0,
        "pos?": lambda e, x: e.number(x) > 0,
        "neg?": lambda e, x: e.number(x) < 0,
        "even?": lambda e, x: _whole(e, x) % 2 == 0,
        "odd?": lambda e, x: _whole(e, x) % 2 == 1,
    }
)
_FUNCTIONS.update({f"str/{name}": f for name, f in _STRING.items()})  # the alias: the same functions
_SPECIAL["some"] = lambda e, args: e.some_every(args, True)
_SPECIAL["every?"] = lambda e, args: e.some_every(args, False)
FUNCTIONS = frozenset(_SPECIAL) | frozenset(_FUNCTIONS)


# ---------------------------------------------------------------- printing and measuring trees


def render(tree: tuple, sep: str = " ", raw: bool = False) -> str:
    """Rule text for a tree; `sep` goes between the parts of a form (any whitespace, or a comment
    and a newline) and `raw` writes newlines and tabs inside texts as they are."""
    kind = tree[0]
    if kind == "lit":
        return render_literal(tree[1], raw)
    if kind == "kw":
        return ":" + tree[1]
    if kind in ("var", "local", "fn"):
        return tree[1]
    if kind == "re":
        return '#"' + tree[1] + '"'
    if kind == "let":
        pairs = sep.join(f"{name}{sep}{render(value, sep, raw)}" for name, value in tree[1])
        return f"(let{sep}[{pairs}]{sep}{render(tree[2], sep, raw)})"
    name, args = tree[1], tree[2]
    return "(" + sep.join([name, *(render(a, sep, raw) for a in args)]) + ")"


def render_literal(x: Any, raw: bool = False) -> str:
    if x is None:
        return "nil"
    if x is True:
        return "true"
    if x is False:
        return "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, Decimal):
        exponent = x.as_tuple().exponent
        assert isinstance(exponent, int) and exponent < 0, "a Decimal literal needs a point: 5 would read as an int"
        return format(x, "f")
    if isinstance(x, str):
        return quote(x, raw)
    if is_date(x):
        return f'(date "{x.isoformat()}")'
    if isinstance(x, (set, frozenset)):
        return "#{" + " ".join(sorted(render_literal(v) for v in x)) + "}"
    if isinstance(x, (list, tuple)):
        return "[" + " ".join(render_literal(v) for v in x) + "]"
    if isinstance(x, Keyword):
        return ":" + x.name
    raise TypeError(f"no literal for {x!r}")


def quote(s: str, raw: bool = False) -> str:
    out = []
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif raw and c in "\n\t":
            out.append(c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif not c.isprintable():
            out.append(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def nodes(tree: tuple) -> int:
    """The reader's count: every atom and every form, a dotted name as (. customer primary status)."""
    kind = tree[0]
    if kind in ("kw", "local", "re"):
        return 1
    if kind == "let":
        return 3 + sum(1 + nodes(value) for _, value in tree[1]) + nodes(tree[2])
    if kind in ("var", "fn"):
        parts = tree[1].split(".")
        return 1 if len(parts) == 1 else 2 + len(parts)
    if kind == "lit":
        x = tree[1]
        if is_date(x):
            return 3
        if isinstance(x, (set, frozenset, list, tuple)):
            return 1 + len(x)
        return 1
    return 2 + sum(nodes(a) for a in tree[2])


def nesting(tree: tuple) -> int:
    """How deep the brackets go."""
    kind = tree[0]
    if kind == "lit":
        x = tree[1]
        return 1 if is_date(x) or isinstance(x, (set, frozenset, list, tuple)) else 0
    if kind == "let":
        return 1 + max(1 + max((nesting(v) for _, v in tree[1]), default=0), nesting(tree[2]))
    if kind == "var" and "." in tree[1]:
        return 0
    if kind != "call":
        return 0
    return 1 + max((nesting(a) for a in tree[2]), default=0)


def variables(tree: tuple) -> set[str]:
    """The catalogue variables a rule reads."""
    kind = tree[0]
    if kind == "var":
        return {tree[1]}
    if kind == "let":
        return set().union(variables(tree[2]), *(variables(v) for _, v in tree[1]))
    if kind != "call":
        return set()
    found = set().union(*(variables(a) for a in tree[2])) if tree[2] else set()
    if tree[1] == "u/today":
        found.add("current-utc-date")
    if tree[1] == "custom-field":
        found.add("custom-fields")
    return found
