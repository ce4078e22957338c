"""The plain Python a runtime helper's call comes to when the compiler knows enough (issue 20): argument
types from the checker, literal sets, literal places. A builder returns None when it cannot do better.

A fast path must give the helper's value wherever it gives one. Where it raises instead (static types never
say whether a value may be nil, and None / 2 raises a TypeError where the helper says "expected a number,
got nil"), the rule is evaluated again with every helper's call as written, which decides: its value, or its
error and message (lms.rules.codegen). So a fast path tests for nil only where nil would not raise: nil == 0
is false, f"{None}" is "None", and a nil map variable is ordinary (its keys are nil)."""

from __future__ import annotations

import ast
import datetime
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from . import runtime
from .typesystem import ANY, BOOL, DATE, DEC, INT, MAP, NIL, NUM, SET, TEXT, VEC, Type, Typed

if TYPE_CHECKING:
    from .compiler import _Compiler

Fast = Callable[["_Compiler", list[Typed]], ast.expr | None]
_LITERAL_SYMBOLS = {"nil": None, "true": True, "false": False}
_COUNTABLE = Type({TEXT, SET, VEC, MAP})
# What fast paths call: methods as functions (str.lower(s), not s.lower(): a compiled rule reads no attribute).
NAMESPACE: dict[str, Any] = {
    "_dict_get": dict.get,
    "_str_lower": str.lower,
    "_str_upper": str.upper,
    "_str_startswith": str.startswith,
    "_str_endswith": str.endswith,
    "_date_iso": datetime.date.isoformat,
    "_quantize": Decimal.quantize,  # rounding given by position: as a keyword it costs twice the time
    "_len": len,
    "_abs_of": abs,
    "_int": int,
    "_Decimal": Decimal,
    "_type": type,  # type(x) only: the compiler calls it with one argument
    "_ORDERABLE": frozenset({int, Decimal, datetime.date}),
}


# The AST pieces every part of the compiler builds with (functions, forms, codegen).


def load(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


def call(helper: str, *args: ast.expr) -> ast.Call:
    return ast.Call(load(helper), list(args), [])


def is_not_none(temp: str, code: ast.expr) -> ast.Compare:
    """(temp := code) is not None: the value named once, for the code that reads it again."""
    return ast.Compare(ast.NamedExpr(ast.Name(temp, ast.Store()), code), [ast.IsNot()], [ast.Constant(None)])


def truthy(temp: str, code: ast.expr) -> ast.BoolOp:
    """Clojure's truth of `code`, named `temp`: neither nil nor false (0, "" and empty sets are true)."""
    return ast.BoolOp(
        ast.And(), [is_not_none(temp, code), ast.Compare(load(temp), [ast.IsNot()], [ast.Constant(False)])]
    )


def _once(c: _Compiler, code: ast.expr) -> tuple[ast.expr, ast.expr]:
    """A value read more than once: its first reading, which names it unless it is a name or a constant already,
    and the later ones."""
    if isinstance(code, (ast.Name, ast.Constant)):
        return code, code
    temp = c.temp()
    return ast.NamedExpr(ast.Name(temp, ast.Store()), code), load(temp)


def _literal(a: Typed) -> tuple[bool, Any]:
    """Whether `a` is a literal written in the rule, and its value."""
    node = a.node
    if node.kind in ("string", "number"):
        return True, node.value
    if node.kind == "keyword":
        return True, runtime.Keyword(node.value)
    if node.kind == "symbol" and node.value in _LITERAL_SYMBOLS and a.type <= {BOOL, NIL}:
        return True, _LITERAL_SYMBOLS[node.value]
    return False, None


def _static(args: list[Typed], allowed: Type) -> bool:
    """Every argument's type is known at compile time (no custom field) and within `allowed`, nil aside."""
    return all(not a.dynamic and a.type - {NIL} <= allowed for a in args)


# ---------------------------------------------------------------- arithmetic


def divide(c: _Compiler, args: list[Typed]) -> ast.expr | None:
    """(/ a b ...) as Decimal division: a literal whole number is made a Decimal now, a whole-number dividend
    when the rule runs (Decimal / int is exact); a zero divisor raises."""
    if not _static(args, NUM):
        return None

    def as_decimal(a: Typed, dividend: bool) -> ast.expr:
        is_literal, value = _literal(a)
        if a.type - {NIL} <= {DEC}:
            return a.code
        if is_literal:
            return c.constant(Decimal(value))
        return call("_Decimal", a.code) if dividend else a.code

    if len(args) == 1:  # (/ x) is (/ 1 x)
        return ast.BinOp(c.constant(Decimal(1)), ast.Div(), as_decimal(args[0], False))
    code = as_decimal(args[0], True)
    for divisor in args[1:]:
        code = ast.BinOp(code, ast.Div(), as_decimal(divisor, False))
    return code


def round_places(c: _Compiler, args: list[Typed]) -> ast.expr | None:
    """(round x) and (round x n) with n a literal: x quantized to a constant, half away from zero."""
    if not _static(args[:1], NUM):
        return None
    places = _literal(args[1])[1] if len(args) == 2 else 0
    if type(places) is not int or not 0 <= places <= 10:
        return None  # not a literal, or out of range: the helper says so when the rule runs
    x = args[0].code if args[0].type - {NIL} <= {DEC} else call("_Decimal", args[0].code)
    rounded = call("_quantize", x, c.constant(runtime.QUANTUM[places]), ast.Constant(ROUND_HALF_UP))
    return call("_int", rounded) if len(args) == 1 else rounded


def modulo(c: _Compiler, args: list[Typed]) -> ast.expr | None:
    """(mod a b) on whole numbers is Python's %: floored, with the divisor's sign, as Clojure's mod."""
    return ast.BinOp(args[0].code, ast.Mod(), args[1].code) if _static(args, Type({INT})) else None


def truncated(op: type[ast.operator]) -> Fast:
    """(quot a n) and (rem a n) on whole numbers with n a literal above 0: Python's // and % are floored, so a
    negative a is turned around: (quot -7 2) is -(7 // 2), -3, and (rem -7 2) is -(7 % 2), -1."""

    def build(c: _Compiler, args: list[Typed]) -> ast.expr | None:
        divisor = _literal(args[1])[1]
        if not _static(args, Type({INT})) or type(divisor) is not int or divisor <= 0:
            return None
        first, again = _once(c, args[0].code)
        turned = ast.UnaryOp(ast.USub(), ast.BinOp(ast.UnaryOp(ast.USub(), again), op(), args[1].code))
        positive = ast.Compare(first, [ast.GtE()], [ast.Constant(0)])
        code = ast.IfExp(positive, ast.BinOp(again, op(), args[1].code), turned)
        if op is ast.Mod:  # what divisibility reads instead (an AST node takes any attribute; compile reads its own)
            code.floored = ast.BinOp(args[0].code, ast.Mod(), args[1].code)  # type: ignore[attr-defined]
        return code

    return build


def divisibility(codes: list[ast.expr]) -> list[ast.expr]:
    """(= (rem a n) 0) and (not= ...): a remainder is 0 whatever its sign, so the floored a % n does."""
    if len(codes) != 2:
        return codes
    zero = [isinstance(code, ast.Constant) and type(code.value) is int and code.value == 0 for code in codes]
    floored = [getattr(code, "floored", None) for code in codes]
    if zero[1] and floored[0] is not None:
        return [floored[0], codes[1]]
    if zero[0] and floored[1] is not None:
        return [codes[0], floored[1]]
    return codes


def extreme(op: type[ast.cmpop]) -> Fast:
    """(min a b ...) as (if (< a b) a b), folded left: a tie gives the later argument, as Clojure's."""

    def build(c: _Compiler, args: list[Typed]) -> ast.expr | None:
        if len(args) < 2 or not _static(args, NUM):
            return None
        best = args[0].code
        for a in args[1:]:
            best_first, best_again = _once(c, best)
            first, again = _once(c, a.code)
            best = ast.IfExp(ast.Compare(best_first, [op()], [first]), best_again, again)
        return best

    return build


def absolute(c: _Compiler, args: list[Typed]) -> ast.expr | None:
    """(abs x): Python's abs, as runtime.absolute (abs of -0.00 is 0.00: Clojure's BigDecimal has no -0)."""
    return call("_abs_of", args[0].code) if _static(args, NUM) else None


def step(op: type[ast.operator]) -> Fast:
    """(inc x) and (dec x)."""

    def build(c: _Compiler, args: list[Typed]) -> ast.expr | None:
        return ast.BinOp(args[0].code, op(), ast.Constant(1)) if _static(args, NUM) else None

    return build


def sign_test(op: type[ast.cmpop], allowed: Type = NUM, parity: int | None = None) -> Fast:
    """pos?, neg? (x against 0), even?, odd? (x mod 2, 0 or 1 for a whole number) and zero?, which names x to
    test it for nil (nil == 0 is false, where (zero? nil) is an error)."""

    def build(c: _Compiler, args: list[Typed]) -> ast.expr | None:
        if not _static(args, allowed):
            return None
        if op is ast.Eq and parity is None:
            temp = c.temp()
            is_zero = ast.Compare(load(temp), [ast.Eq()], [ast.Constant(0)])
            return ast.IfExp(is_not_none(temp, args[0].code), is_zero, call("_is_zero", load(temp)))
        value = args[0].code if parity is None else ast.BinOp(args[0].code, ast.Mod(), ast.Constant(2))
        return ast.Compare(value, [op()], [ast.Constant(parity or 0)])

    return build


# ---------------------------------------------------------------- text


def text(c: _Compiler, args: list[Typed]) -> ast.expr | None:
    """(str ...) as an f-string: literals shown now, text as itself (nil as ""), whole numbers and dates as
    str shows them (nil as ""), anything else through runtime.show; capped at MAX_TEXT as the helper is (a len
    and a comparison: what a str of text costs more than a hand-written f-string)."""
    if any(a.dynamic for a in args):
        return None  # a custom field: the helper shows whatever it holds
    parts: list[ast.expr] = []
    longest = 0  # what the literals and dates can make at most
    for a in args:
        is_literal, value = _literal(a)
        known = a.type - {NIL}
        if is_literal:
            shown = runtime.show(value)
            part: ast.expr = ast.Constant(shown)
            longest += len(shown)
        elif known <= {TEXT}:
            part = ast.FormattedValue(ast.BoolOp(ast.Or(), [a.code, ast.Constant("")]), -1, None)
            longest = runtime.MAX_TEXT + 1
        elif known <= {INT} or known <= {DATE}:
            temp = c.temp()
            shown_value = call("_date_iso", load(temp)) if known <= {DATE} else load(temp)
            part = ast.FormattedValue(ast.IfExp(is_not_none(temp, a.code), shown_value, ast.Constant("")), -1, None)
            longest += 10 if known <= {DATE} else runtime.MAX_TEXT + 1  # a whole number can be long
        else:
            part = ast.FormattedValue(call("_show", a.code), -1, None)
            longest = runtime.MAX_TEXT + 1
        parts.append(part)
    if longest <= runtime.MAX_TEXT:
        return ast.JoinedStr(parts)
    temp = c.temp()
    length = call("_len", ast.NamedExpr(ast.Name(temp, ast.Store()), ast.JoinedStr(parts)))
    capped = ast.Compare(length, [ast.LtE()], [ast.Constant(runtime.MAX_TEXT)])
    return ast.IfExp(capped, load(temp), call("_text_too_long"))


def text_method(method: str | None) -> Fast:
    """lower-case and upper-case (str.lower(s)), starts-with? and ends-with? (str.startswith(s, prefix)); with
    no method, includes? (part in s)."""

    def build(c: _Compiler, args: list[Typed]) -> ast.expr | None:
        if not _static(args, Type({TEXT})):
            return None
        codes = [a.code for a in args]
        return call(method, *codes) if method else ast.Compare(codes[1], [ast.In()], [codes[0]])

    return build


def substring(c: _Compiler, args: list[Typed]) -> ast.expr | None:
    """(subs s start) and (subs s start end) with literal positions: a slice when the text is long enough."""
    s, positions = args[0], [_literal(p)[1] for p in args[1:]]
    if not _static([s], Type({TEXT})) or any(type(p) is not int for p in positions):
        return None
    if not 0 <= positions[0] <= positions[-1]:
        return None  # out of range whatever the text: the helper's error
    temp = c.temp()
    length = call("_len", ast.NamedExpr(ast.Name(temp, ast.Store()), s.code))
    bounds = [ast.Constant(p or None) for p in positions[:1]] + [ast.Constant(p) for p in positions[1:]]  # s[:3]
    sliced = ast.Subscript(load(temp), ast.Slice(*bounds), ast.Load())
    too_short = call("_subs", load(temp), *(p.code for p in args[1:]))
    return ast.IfExp(ast.Compare(length, [ast.GtE()], [ast.Constant(positions[-1])]), sliced, too_short)


def count(c: _Compiler, args: list[Typed]) -> ast.expr | None:
    """(count x): len of x; of "" for a nil text or map, which are ordinary data (a set variable is never nil)."""
    if not _static(args, _COUNTABLE):
        return None
    x = args[0].code if args[0].type <= {SET, VEC} else ast.BoolOp(ast.Or(), [args[0].code, ast.Constant("")])
    return call("_len", x)


def is_empty(c: _Compiler, args: list[Typed]) -> ast.expr | None:
    """(empty? x): nil, "" and empty collections are empty, which is Python's `not x` on these types."""
    return ast.UnaryOp(ast.Not(), args[0].code) if _static(args, _COUNTABLE) else None


# ---------------------------------------------------------------- collections and maps


def _map_key(a: Typed) -> str | None:
    """The key a literal keyword or text names (a map's keys are text)."""
    is_literal, value = _literal(a)
    if isinstance(value, runtime.Keyword):
        return value.name
    return value if is_literal and isinstance(value, str) else None


def lookup(c: _Compiler, m: ast.expr, key: str, default: ast.expr | None = None, a_map: bool = True) -> ast.expr:
    """The value at `key` of a map variable (a dict, or nil: then nil, or the default); of anything else when
    not `a_map` (what a map holds may be anything: runtime.get's nil for what is not a map). A loan's custom
    fields are always a dict (lms.automation.context): read without a test, a nil there raises, and the rule's
    helpers' calls answer."""
    if not c.fast or not a_map:
        return call("_get", m, ast.Constant(key))
    extra = [default] if default is not None else []
    if isinstance(m, ast.Subscript) and isinstance(m.slice, ast.Constant) and m.slice.value == "custom-fields":
        return call("_dict_get", m, ast.Constant(key), *extra)
    temp = c.temp()
    found = call("_dict_get", load(temp), ast.Constant(key), *extra)
    return ast.IfExp(is_not_none(temp, m), found, default if default is not None else ast.Constant(None))


def get(c: _Compiler, args: list[Typed], key: str | None = None) -> ast.expr | None:
    """(get m :key) and (get m "key" default) on a map variable; `key` when get-in has found it."""
    m, key = args[0], key or _map_key(args[1])
    if m.dynamic or not m.type - {NIL} <= {MAP} or key is None:
        return None
    return lookup(c, m.code, key, args[2].code if len(args) == 3 else None)


def get_in(c: _Compiler, args: list[Typed]) -> ast.expr | None:
    """(get-in m [:key]) and with a default, on a map variable: a path of one key is one lookup."""
    path = args[1].node
    one_key = path.kind == "vector" and len(path.items) == 1 and path.items[0].kind in ("keyword", "string")
    return get(c, args, path.items[0].value) if one_key else None


def orderable(c: _Compiler, code: ast.expr) -> ast.expr:
    """A custom field's value that <, >, <= or >= compares: a whole number, a Decimal or a date passes as it
    is; anything else goes through runtime.orderable, which takes a subclass or says what is wrong."""
    if not c.fast:
        return call("_ord", code)
    first, again = _once(c, code)
    kind = ast.Compare(call("_type", first), [ast.In()], [load("_ORDERABLE")])
    return ast.IfExp(kind, again, call("_ord", again))


def contains(c: _Compiler, args: list[Typed]) -> ast.expr | None:
    """(contains? map :key) as a key test; (contains? set x) as `x in set`, checking that x is not true or
    false only when the set may hold a 1 or a 0 (which Python's True and False equal) and x may be one."""
    collection, value = args
    if collection.dynamic:
        return None
    if collection.type - {NIL} <= {MAP}:
        key = _map_key(value)
        if key is None:
            return None
        temp = c.temp()
        has_key = ast.Compare(ast.Constant(key), [ast.In()], [load(temp)])
        return ast.BoolOp(ast.And(), [is_not_none(temp, collection.code), has_key])
    elements = collection.elements
    if collection.type != {SET} or ANY in elements or BOOL in elements:
        return None
    if (value.dynamic or BOOL in value.type) and elements & NUM and _may_hold_one_or_zero(collection):
        temp = c.temp()
        member = ast.Compare(ast.NamedExpr(ast.Name(temp, ast.Store()), value.code), [ast.In()], [collection.code])
        not_bool = [ast.Compare(load(temp), [ast.IsNot()], [ast.Constant(b)]) for b in (True, False)]
        return ast.BoolOp(ast.And(), [member, *not_bool])
    return ast.Compare(value.code, [ast.In()], [collection.code])


def _may_hold_one_or_zero(collection: Typed) -> bool:
    """Whether a set of numbers may hold 1 or 0: a literal set's members are read, any other may."""
    if collection.node.kind != "set":
        return True
    return any(item.kind == "number" and item.value in (0, 1) for item in collection.node.items)


def same(args: list[Typed], codes: list[ast.expr]) -> ast.expr | None:
    """(= a b) with a custom field: Python's == when a true or false there cannot face a 1 or a 0 (Python's
    True == 1), else runtime.same; None for more than two arguments."""
    if len(args) != 2:
        return None
    for one, other in ((args[0], args[1]), (args[1], args[0])):
        if not one.dynamic:
            continue
        is_literal, value = _literal(other)
        if other.dynamic or BOOL in other.type or (other.type & NUM and not (is_literal and value not in (0, 1))):
            return call("_same", *codes)
    return ast.Compare(codes[0], [ast.Eq()], [codes[1]])


FAST: dict[str, Fast] = {
    "_div": divide,
    "_round": round_places,
    "_mod": modulo,
    "_quot": truncated(ast.FloorDiv),
    "_rem": truncated(ast.Mod),
    "_min": extreme(ast.Lt),
    "_max": extreme(ast.Gt),
    "_abs": absolute,
    "_inc": step(ast.Add),
    "_dec": step(ast.Sub),
    "_is_zero": sign_test(ast.Eq),
    "_is_pos": sign_test(ast.Gt),
    "_is_neg": sign_test(ast.Lt),
    "_is_even": sign_test(ast.Eq, Type({INT}), parity=0),
    "_is_odd": sign_test(ast.Eq, Type({INT}), parity=1),
    "_str": text,
    "_lower": text_method("_str_lower"),
    "_upper": text_method("_str_upper"),
    "_starts": text_method("_str_startswith"),
    "_ends": text_method("_str_endswith"),
    "_includes": text_method(None),
    "_subs": substring,
    "_count": count,
    "_empty": is_empty,
    "_get_value": get,
    "_get_in": get_in,
    "_contains": contains,
}
"""The fast path of each helper that has one, by the helper's name in runtime.NAMESPACE."""
