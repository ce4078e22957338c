"""The functions a rule may call: for each, its arity and how the compiler checks and builds it
(special forms, which see their arguments unevaluated, apart)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from . import inline, runtime
from .reader import Node
from .typesystem import (
    ANY,
    BOOL,
    DATE,
    DEC,
    INT,
    KW,
    MAP,
    MAP_KEYS,
    NIL,
    NUM,
    SET,
    TEXT,
    VEC,
    Type,
    Typed,
    describe,
    equal_hint,
    plural,
    suggest,
    type_families,
    type_hint,
)

if TYPE_CHECKING:
    from .compiler import _Compiler


@dataclass(frozen=True)
class Function:
    arity: tuple[int, int | None]
    build: Callable[[_Compiler, Node, list[Typed]], Typed]
    usage: str


def _need(c: _Compiler, fn: str, args: list[Typed], allowed: Type, what: str) -> bool:
    ok = True
    for a in args:
        if not a.dynamic and (not (a.type - {NIL}) <= allowed or (a.type == {NIL} and NIL not in allowed)):
            c.fail("type", a.node, f"{c.who(a)}; {fn} needs {what}", type_hint(fn, a))
            ok = False
    return ok


def _numeric(c: _Compiler, a: Typed) -> ast.expr:
    return _call("_num", a.code) if a.dynamic else a.code


_call = inline.call


def _apply(c: _Compiler, helper: str, args: list[Typed]) -> ast.expr:
    """The helper's call, or the plain Python it comes to for these arguments (lms.rules.inline)."""
    fast = inline.FAST.get(helper) if c.fast else None
    code = fast(c, args) if fast is not None else None
    return code if code is not None else _call(helper, *[a.code for a in args])


def _number_type(args: list[Typed], always_decimal: bool = False) -> Type:
    if any(a.dynamic for a in args):
        return NUM | {ANY}  # computed from a custom field: checked at run time
    return Type({DEC}) if always_decimal or any(DEC in a.type for a in args) else Type({INT})


def _every_argument_first(c: _Compiler, args: list[Typed], build: Callable[[list[ast.expr]], ast.expr]) -> ast.expr:
    """Clojure evaluates every argument of = or < before comparing; Python's chains stop at the
    first false pair. When an argument that could fail would be skipped, name each one in a tuple
    first (a non-empty tuple is true, so `tuple and chain` runs both)."""
    if len(args) == 2 or not any(a.node.kind == "call" for a in args):
        return build([a.code for a in args])
    names = [c.temp() for _ in args]
    evaluated = ast.Tuple(
        [ast.NamedExpr(ast.Name(n, ast.Store()), a.code) for n, a in zip(names, args, strict=True)], ast.Load()
    )
    return ast.BoolOp(ast.And(), [evaluated, build([ast.Name(n, ast.Load()) for n in names])])


def _compare(op: type) -> Callable:
    def build(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
        fn = node.items[0].value
        families = [f for a in args if not a.dynamic for f in [type_families(a.type - {NIL})] if f]
        if any(a.type == {NIL} for a in args):
            c.fail(
                "type",
                next(a for a in args if a.type == {NIL}).node,
                f"{fn} cannot compare nil",
                "test for nil with (nil? x) or (some? x)",
            )
        elif any(f - {"number", DATE} for f in families):
            bad = next(a for a in args if not a.dynamic and type_families(a.type - {NIL}) - {"number", DATE})
            c.fail("type", bad.node, f"{c.who(bad)}; {fn} needs numbers or dates", type_hint(fn, bad))
        elif len({frozenset(f) for f in families}) > 1:
            c.fail(
                "type", node, f"{fn} compares numbers with dates", "use (u/date-compare a b) for the days between dates"
            )
        # A value known only at run time (a custom field) is checked when it is compared, not when it is
        # evaluated: like Clojure's (< a b c), a false pair ends the comparison before c is looked at.
        # Clojure's (< x) is true whatever x is (x is still evaluated).
        dynamic = [a.dynamic and len(args) > 1 for a in args]

        def chain(codes: list[ast.expr]) -> ast.expr:
            codes = [inline.orderable(c, code) if check else code for code, check in zip(codes, dynamic, strict=True)]
            return ast.Compare(codes[0], [op() for _ in codes[1:]], codes[1:]) if len(codes) > 1 else ast.Constant(True)

        return Typed(_every_argument_first(c, args, chain), Type({BOOL}), node)

    return build


def _equal(negate: bool) -> Callable:
    def build(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
        fn = node.items[0].value
        known = [a for a in args if not a.dynamic and a.type - {NIL}]
        for a, b in pairwise(known):
            if not type_families(a.type - {NIL}) & type_families(b.type - {NIL}):
                c.fail(
                    "type",
                    b.node,
                    f"{c.who(a)} and {c.who(b)}: ({fn} ...) would always be {'true' if negate else 'false'}",
                    equal_hint(a, b),
                )
                break
        dynamic = any(a.dynamic for a in args)  # a custom field may hold true, and Python's True == 1

        def chain(codes: list[ast.expr]) -> ast.expr:
            if len(codes) == 1:
                return ast.Constant(not negate)
            codes = inline.divisibility(codes) if c.fast else codes
            if dynamic:
                test = (inline.same(args, codes) if c.fast else None) or _call("_eq", *codes)
            elif negate and len(codes) == 2:
                return ast.Compare(codes[0], [ast.NotEq()], [codes[1]])
            else:
                test = ast.Compare(codes[0], [ast.Eq() for _ in codes[1:]], codes[1:])
            return ast.UnaryOp(ast.Not(), test) if negate else test

        return Typed(_every_argument_first(c, args, chain), Type({BOOL}), node)

    return build


def _arithmetic(op: type, identity: int) -> Callable:
    def build(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
        _need(c, node.items[0].value, args, NUM, "numbers")
        if not args:
            return Typed(ast.Constant(identity), Type({INT}), node)
        if len(args) == 1 and op is not ast.Sub:
            return Typed(args[0].code, _number_type(args), node)  # as Clojure: (+ x) is x
        code = _numeric(c, args[0])
        if len(args) == 1:
            code = ast.UnaryOp(ast.USub(), code)
        for a in args[1:]:
            code = ast.BinOp(code, op(), _numeric(c, a))
        return Typed(code, _number_type(args), node)

    return build


def _helper(
    helper: str, result: Type | Callable[[list[Typed]], Type], allowed: list[Type] | Type | None = None, what: str = ""
) -> Callable:
    """A function compiled to a call of a runtime helper; `allowed` is one type for every argument
    or a list with one per position."""

    def build(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
        fn = node.items[0].value
        if isinstance(allowed, list):
            for a, t in zip(args, allowed, strict=False):
                _need(c, fn, [a], t, describe(t))
        elif allowed is not None:
            _need(c, fn, args, allowed, what or describe(allowed))
        t = result(args) if callable(result) else result
        return Typed(_apply(c, helper, args), t, node)

    return build


def _logic(is_and: bool) -> Callable:
    def build(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
        if not args:
            return Typed(ast.Constant(True if is_and else None), Type({BOOL} if is_and else {NIL}), node)
        result_type = Type().union(*(a.type for a in args))
        if all(a.type <= {BOOL, NIL} for a in args):
            if len(args) == 1:
                return args[0]
            return Typed(ast.BoolOp(ast.And() if is_and else ast.Or(), [a.code for a in args]), result_type, node)
        # Clojure's and/or return a value and treat 0, "" and empty sets as true: build
        # a if falsy(a) else (b ...) right to left, naming each tested value once.
        code = args[-1].code
        for a in reversed(args[:-1]):
            name = c.temp()
            test = inline.truthy(name, a.code)
            kept = inline.load(name)
            code = ast.IfExp(test, code, kept) if is_and else ast.IfExp(test, kept, code)
        return Typed(code, result_type, node)

    return build


def _not(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
    return Typed(ast.UnaryOp(ast.Not(), c.truthy(args[0])), Type({BOOL}), node)


def _min_max(helper: str) -> Callable:
    def build(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
        _need(c, node.items[0].value, args, NUM, "numbers")
        if len(args) == 1:
            return Typed(args[0].code, _number_type(args), node)  # as Clojure: (min x) is x
        return Typed(_apply(c, helper, args), Type().union(*(a.type for a in args)), node)

    return build


def _contains(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
    collection, value = args
    if VEC in collection.type:
        return c.fail(
            "type",
            collection.node,
            f"{c.who(collection)}; contains? on a vector asks about positions in Clojure, not values",
            'write a set: #{"a" "b"}',
        )
    if not _need(c, "contains?", [collection], Type({SET, MAP, NIL}), "a set or a map"):
        return Typed(ast.Constant(False), Type({BOOL}), node)
    elements = collection.elements
    if SET in collection.type and ANY not in elements and not value.dynamic and value.type - {NIL}:
        if not type_families(value.type - {NIL}) & type_families(elements):
            c.fail("type", value.node, f"{c.who(value)}; the set holds {describe(elements)}")
    return Typed(_apply(c, "_contains", args), Type({BOOL}), node)


def _nil_test(is_nil: bool) -> Callable:
    def build(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
        return Typed(
            ast.Compare(args[0].code, [ast.Is() if is_nil else ast.IsNot()], [ast.Constant(None)]), Type({BOOL}), node
        )

    return build


def _round(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
    _need(c, "round", args[:1], NUM, "a number")
    _need(c, "round", args[1:], Type({INT}), "a whole number of places")
    return Typed(_apply(c, "_round", args), Type({INT} if len(args) == 1 else {DEC}), node)


def _date_literal_or_value(c: _Compiler, fn: str, a: Typed) -> ast.expr | None:
    if a.node.kind == "string":
        day = runtime.parse_date(a.node.value)
        if day is None:
            c.fail("literal", a.node, f'"{a.node.value}" is not a date; write YYYY-MM-DD')
            return None
        return c.constant(day)
    if _need(c, fn, [a], Type({DATE}), "dates"):
        return a.code
    return None


def _date_compare(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
    found = [_date_literal_or_value(c, "u/date-compare", a) for a in args]
    codes = [code for code in found if code is not None]
    if len(codes) < len(found):
        return Typed(ast.Constant(None), Type({ANY}), node)
    if any(a.dynamic for a in args):
        return Typed(_call("_date_compare", *codes), Type({INT}), node)
    days = ast.Attribute(ast.BinOp(codes[0], ast.Sub(), codes[1]), "days", ast.Load())
    return Typed(days, Type({INT}), node)


def _date(c: _Compiler, node: Node, args: list[Node]) -> Typed:
    if len(args) != 1 or args[0].kind != "string":
        return c.fail("arity", node, 'date takes one text literal: (date "2026-01-31")')
    day = runtime.parse_date(args[0].value)
    if day is None:
        return c.fail(
            "literal", args[0], f'"{args[0].value}" is not a date; write YYYY-MM-DD, like (date "2026-01-31")'
        )
    return Typed(c.constant(day), Type({DATE}), node)


def _today(c: _Compiler, node: Node, args: list[Node]) -> Typed:
    options = [(a.kind, a.value) for a in args]
    if options and options != [("keyword", "format"), ("keyword", "date")]:
        return c.fail("arity", node, "u/today takes no arguments, or :format :date")
    return Typed(c.read_variable("current-utc-date"), Type({DATE}), node)


def _custom_field(c: _Compiler, node: Node, args: list[Node]) -> Typed:
    if len(args) != 1 or args[0].kind != "string" or not args[0].value:
        return c.fail("arity", node, 'custom-field takes the field\'s name as text: (custom-field "Dealer")')
    return Typed(inline.lookup(c, c.read_variable("custom-fields"), args[0].value), Type({ANY}), node)


def _thread(c: _Compiler, node: Node, args: list[Node]) -> Typed:
    if len(args) < 2:
        return c.fail("arity", node, "-> takes a map and at least one keyword: (-> customer.primary :status)")
    start = c.expr(args[0])
    if not start.dynamic and not start.type - {NIL} <= {MAP}:
        return c.fail("type", args[0], f"{c.who(start)}; -> needs a map")
    code, result = start.code, Type({ANY})
    schema = MAP_KEYS.get(args[0].value) if args[0].kind == "symbol" else None
    for step, key in enumerate(args[1:]):
        if key.kind != "keyword":
            return c.fail("not-allowed", key, "-> in a rule takes keywords only, like (-> customer.primary :status)")
        if schema is not None and step == 0:
            if key.value not in schema:
                return c.fail(
                    "unknown-name",
                    key,
                    f"{args[0].value} has no :{key.value}",
                    suggest(":" + key.value, sorted(":" + k for k in schema))
                    or f"keys: {', '.join(':' + k for k in schema)}",
                )
            result = schema[key.value]
        else:
            result = Type({ANY})
        code = inline.lookup(c, code, key.value, a_map=step == 0 and not start.dynamic)
    return Typed(code, result, node)


def _if(c: _Compiler, node: Node, args: list[Node]) -> Typed:
    if len(args) not in (2, 3):
        return c.fail("arity", node, f"if takes a test, a then and an optional else, got {plural(len(args))}")
    test, then = c.expr(args[0]), c.expr(args[1])
    otherwise = c.expr(args[2]) if len(args) == 3 else Typed(ast.Constant(None), Type({NIL}), node)
    return Typed(ast.IfExp(c.truthy(test), then.code, otherwise.code), then.type | otherwise.type, node)


def _when(c: _Compiler, node: Node, args: list[Node]) -> Typed:
    if len(args) != 2:
        return c.fail("arity", node, f"when takes a test and one expression, got {plural(len(args))}")
    test, then = c.expr(args[0]), c.expr(args[1])
    return Typed(ast.IfExp(c.truthy(test), then.code, ast.Constant(None)), then.type | {NIL}, node)


def _cond(c: _Compiler, node: Node, args: list[Node]) -> Typed:
    if not args or len(args) % 2:
        return c.fail("arity", node, "cond takes pairs of test and value, like (cond (> a 1) true :else false)")
    pairs = [(args[i], args[i + 1]) for i in range(0, len(args), 2)]
    code: ast.expr = ast.Constant(None)
    result = Type({NIL})
    for test_node, value_node in reversed(pairs):
        value = c.expr(value_node)
        if test_node.kind == "keyword" or (test_node.kind == "symbol" and test_node.value == "true"):
            code, result = value.code, value.type  # :else: what follows it is never reached
            continue
        test = c.expr(test_node)
        code, result = ast.IfExp(c.truthy(test), value.code, code), result | value.type
    return Typed(code, result, node)


SPECIAL: dict[str, Callable[[_Compiler, Node, list[Node]], Typed]] = {
    "if": _if,
    "when": _when,
    "cond": _cond,
    "->": _thread,
    "date": _date,
    "u/today": _today,
    "custom-field": _custom_field,
}

_TEXTY = Type({TEXT})
_COUNTABLE = Type({TEXT, SET, VEC, MAP, NIL})
_LOOKUP = Type({MAP, SET, VEC, NIL})
_ANYTHING = Type({INT, DEC, TEXT, BOOL, NIL, DATE, KW, SET, VEC, MAP, ANY})
FUNCTIONS: dict[str, Function] = {
    "and": Function((0, None), _logic(True), "(and test test ...)"),
    "or": Function((0, None), _logic(False), "(or test test ...)"),
    "not": Function((1, 1), _not, "(not test)"),
    "=": Function((1, None), _equal(False), '(= loan-status "Open")'),
    "not=": Function((1, None), _equal(True), '(not= loan-status "Closed")'),
    "<": Function((1, None), _compare(ast.Lt), "(< status-days-past-due 30)"),
    ">": Function((1, None), _compare(ast.Gt), "(> status-days-past-due 30)"),
    "<=": Function((1, None), _compare(ast.LtE), "(<= status-days-past-due 30)"),
    ">=": Function((1, None), _compare(ast.GtE), "(>= status-days-past-due 30)"),
    "+": Function((0, None), _arithmetic(ast.Add, 0), "(+ status-principal-balance status-due-fees)"),
    "-": Function((1, None), _arithmetic(ast.Sub, 0), "(- status-payoff 100)"),
    "*": Function((0, None), _arithmetic(ast.Mult, 1), "(* status-payoff 0.05)"),
    "/": Function((1, None), _helper("_div", Type({DEC}), NUM, "numbers"), "(/ status-payoff 2)"),
    "quot": Function((2, 2), _helper("_quot", lambda a: _number_type(a), NUM, "numbers"), "(quot 7 2)"),
    "rem": Function((2, 2), _helper("_rem", lambda a: _number_type(a), NUM, "numbers"), "(rem 7 2)"),
    "mod": Function((2, 2), _helper("_mod", lambda a: _number_type(a), NUM, "numbers"), "(mod -7 2)"),
    "min": Function((1, None), _min_max("_min"), "(min status-payoff 500)"),
    "max": Function((1, None), _min_max("_max"), "(max status-payoff 500)"),
    "abs": Function((1, 1), _helper("_abs", lambda a: _number_type(a), NUM, "a number"), "(abs x)"),
    "inc": Function((1, 1), _helper("_inc", lambda a: _number_type(a), NUM, "a number"), "(inc status-24-dpd-30)"),
    "dec": Function((1, 1), _helper("_dec", lambda a: _number_type(a), NUM, "a number"), "(dec setup-loan-term)"),
    **{
        name: Function((1, 1), _helper(helper, Type({BOOL}), allowed, what), f"({name} {example})")
        for name, helper, allowed, what, example in (
            ("zero?", "_is_zero", NUM, "a number", "status-amount-due"),
            ("pos?", "_is_pos", NUM, "a number", "status-due-fees"),
            ("neg?", "_is_neg", NUM, "a number", "status-amount-due"),
            ("even?", "_is_even", Type({INT}), "a whole number", "status-24-dpd-30"),
            ("odd?", "_is_odd", Type({INT}), "a whole number", "status-24-dpd-30"),
        )
    },
    "get": Function((2, 3), _helper("_get_value", Type({ANY}), [_LOOKUP, _ANYTHING, _ANYTHING]), '(get m "key")'),
    "get-in": Function(
        (2, 3), _helper("_get_in", Type({ANY}), [_LOOKUP, Type({VEC}), _ANYTHING]), "(get-in m [:a :b])"
    ),
    "round": Function((1, 2), _round, "(round status-payoff) or (round status-payoff 2)"),
    "str": Function((0, None), _helper("_str", _TEXTY), '(str loan-status "/" loan-sub-status)'),
    "subs": Function((2, 3), _helper("_subs", _TEXTY, [_TEXTY, Type({INT}), Type({INT})]), "(subs text start end)"),
    "count": Function((1, 1), _helper("_count", Type({INT}), _COUNTABLE, "text or a collection"), "(count portfolios)"),
    "empty?": Function(
        (1, 1), _helper("_empty", Type({BOOL}), _COUNTABLE, "text or a collection"), "(empty? checklist)"
    ),
    "contains?": Function((2, 2), _contains, '(contains? portfolios "Collections")'),
    "some?": Function((1, 1), _nil_test(False), "(some? status-last-payment-date)"),
    "nil?": Function((1, 1), _nil_test(True), "(nil? status-last-payment-date)"),
    "lower-case": Function((1, 1), _helper("_lower", _TEXTY, _TEXTY), "(lower-case loan-status)"),
    "upper-case": Function((1, 1), _helper("_upper", _TEXTY, _TEXTY), "(upper-case loan-status)"),
    "starts-with?": Function((2, 2), _helper("_starts", Type({BOOL}), _TEXTY), '(starts-with? loan-sub-status "Past")'),
    "ends-with?": Function((2, 2), _helper("_ends", Type({BOOL}), _TEXTY), '(ends-with? loan-sub-status "Due")'),
    "includes?": Function((2, 2), _helper("_includes", Type({BOOL}), _TEXTY), '(includes? loan-sub-status "Due")'),
    "u/date-compare": Function((2, 2), _date_compare, "(u/date-compare (u/today) status-next-payment-date)"),
    "v/parse-int": Function(
        (1, 1), _helper("_parse_int", Type({INT, NIL}), Type({TEXT, INT, DEC})), '(v/parse-int "42")'
    ),
    "v/parse-float": Function(
        (1, 1), _helper("_parse_decimal", Type({DEC, NIL}), Type({TEXT, INT, DEC})), '(v/parse-float "4.5")'
    ),
}


# The building blocks of the forms defined in other modules (lms.rules.forms).
need, call_helper, helper = _need, _call, _helper
