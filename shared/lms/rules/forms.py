"""The forms of issue 16: let, some and every?, re-find, re-matches and clojure.string's functions (with
their str/ alias). Each is checked and built as lms.rules.functions' are; the compiler takes both registries."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from .functions import Function, call_helper, helper, need
from .reader import Node
from .typesystem import ANY, BOOL, INT, NIL, SET, TEXT, VEC, Type, Typed, describe, plural, type_families

if TYPE_CHECKING:
    from .compiler import _Compiler

TEXTY = Type({TEXT})

# ---------------------------------------------------------------- let

_LET_USAGE = "(let [days status-days-past-due] (and (> days 30) (< days 90)))"


def _let(c: _Compiler, node: Node, args: list[Node]) -> Typed:
    """(let [a x b y] body): each value in turn, each name seen by the values after it and by the body.
    Compiled to (body if (_t1 := x) is not ... and (_t2 := y) is not ... else None): the names are the
    compiler's own, so a rule's names never become Python names."""
    if not args or args[0].kind != "vector":
        return c.fail(
            "not-allowed",
            args[0] if args else node,
            "let takes a vector of names and values, then one expression",
            _LET_USAGE,
        )
    bindings, body = args[0].items, args[1:]
    if len(bindings) % 2:
        return c.fail(
            "arity", bindings[-1], "let takes pairs of a name and a value: this name has no value", _LET_USAGE
        )
    if len(body) != 1:
        return c.fail(
            "arity",
            node,
            f"let takes its bindings and one expression, got {plural(len(body), 'expression')}",
            "combine the conditions with (and ...) or (or ...)",
        )
    outer = dict(c.locals)
    codes: list[ast.expr] = []
    try:
        for name, expr in zip(bindings[0::2], bindings[1::2], strict=True):
            value = c.expr(expr)  # sees the names before this one, not this one
            # A refused plain name is still bound (nothing compiles with an error), so its uses add no errors.
            if c.let_name(name) or name.kind == "symbol":
                temp = c.temp()
                codes.append(ast.NamedExpr(ast.Name(temp, ast.Store()), value.code))
                c.locals[name.value] = Typed(ast.Name(temp, ast.Load()), value.type, name, elements=value.elements)
        result = c.expr(body[0])
    finally:
        c.locals = outer
    if not codes:
        return Typed(result.code, result.type, node, elements=result.elements)
    # No value of a rule is Python's Ellipsis: each test holds, so the names are bound in turn, then the body runs
    # (a tuple of them, (_t1 := x, body)[-1], would cost as much again as the rest of a small rule).
    tests = [ast.Compare(code, [ast.IsNot()], [ast.Constant(...)]) for code in codes]
    bound = tests[0] if len(tests) == 1 else ast.BoolOp(ast.And(), list(tests))
    code = ast.IfExp(bound, result.code, ast.Constant(None))
    return Typed(code, result.type, node, elements=result.elements)


# ---------------------------------------------------------------- some and every?

_COLLECTIONS = Type({SET, VEC, NIL})
_NOT_PREDICATES = {"and", "or"}  # macros in Clojure: (some and ...) cannot take their value


def _some_every(is_some: bool) -> Callable:
    fn = "some" if is_some else "every?"
    usage = f'({fn} #{{"Collections" "Bankruptcy"}} portfolios) or ({fn} pos? [1 2 3])'

    def build(c: _Compiler, node: Node, args: list[Node]) -> Typed:
        if len(args) != 2:
            return c.fail("arity", node, f"{fn} takes a predicate and a collection, got {plural(len(args))}", usage)
        pred_node, coll_node = args
        function = _predicate_function(c, fn, pred_node)
        errors = len(c.errors)
        pred = None if function is not None else c.expr(pred_node)
        if len(c.errors) > errors:
            function = False  # the predicate's own error says it all
        coll = c.expr(coll_node)
        if not coll.dynamic and not (coll.type - {NIL} <= _COLLECTIONS and coll.type != {NIL}):
            hint = (
                "rules have no characters: test text with clojure.string/includes? or re-find"
                if TEXT in coll.type
                else "write a vector [...] or a set #{...}, or use a set variable such as portfolios"
            )
            c.fail("type", coll_node, f"{c.who(coll)}; {fn} needs a vector or a set", hint)
        if function is None:
            assert pred is not None
            return _set_predicate(c, fn, node, pred, coll, usage)
        if function is False:
            return Typed(ast.Constant(None), Type({ANY}), node)
        # The element: a name of its own, typed as the collection's elements; errors name it that way.
        element_name = c.temp()
        shown = coll_node.value if coll_node.kind == "symbol" else "the collection"
        element = Typed(
            ast.Name(element_name, ast.Load()),
            coll.elements,
            Node("symbol", f"each element of {shown}", coll_node.line, coll_node.column),
        )
        call = Node("call", (pred_node, element.node), pred_node.line, pred_node.column)
        applied = function.build(c, call, [element])
        arguments = ast.arguments(
            posonlyargs=[], args=[ast.arg(element_name)], kwonlyargs=[], kw_defaults=[], defaults=[]
        )
        code = call_helper("_some" if is_some else "_every", ast.Lambda(arguments, applied.code), coll.code)
        return Typed(code, applied.type | {NIL} if is_some else Type({BOOL}), node)

    return build


def _predicate_function(c: _Compiler, fn: str, pred: Node) -> Function | Literal[False] | None:
    """The whitelisted function a predicate names (False when it names one that cannot be one), or None
    when the predicate is an expression (a set)."""
    if pred.kind != "symbol" or pred.value in c.locals:
        return None
    name = STRING_ALIASES.get(pred.value, pred.value)
    function, special = c.known(name)
    if special or name in _NOT_PREDICATES:
        c.fail(
            "not-allowed",
            pred,
            f"{pred.value} is not a function {fn} can call",
            'give a function of one value, like pos? or clojure.string/blank?, or a set like #{"a" "b"}',
        )
        return False
    if function is None:
        return None
    low, high = function.arity
    if low > 1 or (high is not None and high < 1):
        c.fail("arity", pred, f"{pred.value} takes {_arity_words(low, high)}; {fn} calls it with one value")
        return False
    return function


def _set_predicate(c: _Compiler, fn: str, node: Node, pred: Typed, coll: Typed, usage: str) -> Typed:
    if not pred.dynamic and not (pred.type <= {SET, NIL} and SET in pred.type):
        return c.fail(
            "type",
            pred.node,
            f'{c.who(pred)}; {fn} needs a function name, like pos?, or a set, like #{{"a"}}',
            "rules have no anonymous functions: #(...) and fn are not part of the language",
        )
    known = [t for t in (pred.elements, coll.elements) if ANY not in t and t - {NIL}]
    if len(known) == 2 and not type_families(known[0] - {NIL}) & type_families(known[1] - {NIL}):
        c.fail(
            "type",
            pred.node,
            f"the set holds {describe(known[0])} and the collection {describe(known[1])}: "
            f"({fn} ...) would always be {'nil' if fn == 'some' else 'false, unless the collection is empty'}",
        )
    # A custom field (known only at run time) is checked when the first element is tested, as Clojure calls it.
    code = call_helper("_some_in" if fn == "some" else "_every_in", pred.code, coll.code)
    return Typed(code, coll.elements | {NIL} if fn == "some" else Type({BOOL}), node)


def _arity_words(low: int, high: int | None) -> str:
    if high == low:
        return plural(low)
    return f"at least {plural(low)}" if high is None else f"{low} to {high} arguments"


# ---------------------------------------------------------------- regular expressions


def _regex_search(helper: str) -> Callable:
    def build(c: _Compiler, node: Node, args: list[Node]) -> Typed:
        fn = node.items[0].value
        if len(args) != 2:
            return c.fail(
                "arity",
                node,
                f"{fn} takes a regex and a text, got {plural(len(args))}",
                f'({fn} #"^7[0-9]" credit-status)',
            )
        pattern = c.regex(fn, args[0])
        text = c.expr(args[1])
        need(c, fn, [text], TEXTY, "text")
        if pattern is None:
            return Typed(ast.Constant(None), Type({ANY}), node)
        code, groups = pattern
        if not groups:
            return Typed(call_helper(helper, code, text.code), Type({TEXT, NIL}), node)
        return Typed(call_helper(helper, code, text.code), Type({VEC, NIL}), node, elements=Type({TEXT, NIL}))

    return build


def _split(c: _Compiler, node: Node, args: list[Node]) -> Typed:
    fn = node.items[0].value
    if len(args) not in (2, 3):
        return c.fail(
            "arity",
            node,
            f"{fn} takes a text, a regex and an optional limit, got {plural(len(args))}",
            f'({fn} loan-sub-status #" +")',
        )
    text = c.expr(args[0])
    pattern = c.regex(fn, args[1])
    limit = [c.expr(a) for a in args[2:]]
    need(c, fn, [text], TEXTY, "text")
    need(c, fn, limit, Type({INT}), "a whole number limit")
    if pattern is None:
        return Typed(ast.Constant(None), Type({ANY}), node)
    return Typed(
        call_helper("_split", text.code, pattern[0], *[a.code for a in limit]), Type({VEC}), node, elements=TEXTY
    )


def _join(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
    fn = node.items[0].value
    if len(args) == 2:
        need(c, fn, args[:1], TEXTY, "a text separator")
    coll = args[-1]
    if not coll.dynamic and not (coll.type - {NIL} <= _COLLECTIONS):
        c.fail(
            "type", coll.node, f"{c.who(coll)}; {fn} needs a vector or a set", "write a vector [...] or a set #{...}"
        )
    return Typed(call_helper("_join", *[a.code for a in args]), TEXTY, node)


def _split_lines(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
    need(c, node.items[0].value, args, TEXTY, "text")
    return Typed(call_helper("_split_lines", args[0].code), Type({VEC}), node, elements=TEXTY)


def _boolean(c: _Compiler, node: Node, args: list[Typed]) -> Typed:
    return Typed(ast.UnaryOp(ast.Not(), ast.UnaryOp(ast.Not(), c.truthy(args[0]))), Type({BOOL}), node)


FUNCTIONS: dict[str, Function] = {
    "boolean": Function((1, 1), _boolean, '(boolean (re-find #"^7" credit-status))'),
}

# clojure.string's pure text functions, each also written with the common alias str/ (str/trim); split, which
# takes a regex literal, is a special form above. The unprefixed lower-case, starts-with?... stay as they were.
_WHERE = Type({INT})
_STRING: dict[str, Function] = {
    "lower-case": Function((1, 1), helper("_lower", TEXTY, TEXTY), "(clojure.string/lower-case loan-status)"),
    "upper-case": Function((1, 1), helper("_upper", TEXTY, TEXTY), "(clojure.string/upper-case loan-status)"),
    "capitalize": Function((1, 1), helper("_capitalize", TEXTY, TEXTY), "(clojure.string/capitalize loan-status)"),
    "reverse": Function((1, 1), helper("_reverse", TEXTY, TEXTY), "(clojure.string/reverse loan-status)"),
    "trim": Function((1, 1), helper("_trim", TEXTY, TEXTY), "(clojure.string/trim credit-status)"),
    "triml": Function((1, 1), helper("_triml", TEXTY, TEXTY), "(clojure.string/triml credit-status)"),
    "trimr": Function((1, 1), helper("_trimr", TEXTY, TEXTY), "(clojure.string/trimr credit-status)"),
    "blank?": Function(
        (1, 1),
        helper("_blank", Type({BOOL}), Type({TEXT, NIL}), "text or nil"),
        "(clojure.string/blank? credit-status)",
    ),
    "starts-with?": Function(
        (2, 2), helper("_starts", Type({BOOL}), TEXTY), '(clojure.string/starts-with? loan-sub-status "Past")'
    ),
    "ends-with?": Function(
        (2, 2), helper("_ends", Type({BOOL}), TEXTY), '(clojure.string/ends-with? loan-sub-status "Due")'
    ),
    "includes?": Function(
        (2, 2), helper("_includes", Type({BOOL}), TEXTY), '(clojure.string/includes? loan-sub-status "Due")'
    ),
    "replace": Function((3, 3), helper("_replace", TEXTY, TEXTY), '(clojure.string/replace loan-sub-status "-" " ")'),
    "join": Function((1, 2), _join, '(clojure.string/join ", " portfolios)'),
    "index-of": Function(
        (2, 3),
        helper("_index_of", Type({INT, NIL}), [TEXTY, TEXTY, _WHERE]),
        '(clojure.string/index-of loan-sub-status "Due")',
    ),
    "last-index-of": Function(
        (2, 3),
        helper("_last_index_of", Type({INT, NIL}), [TEXTY, TEXTY, _WHERE]),
        '(clojure.string/last-index-of loan-sub-status "e")',
    ),
    "split-lines": Function((1, 1), _split_lines, "(clojure.string/split-lines loan-sub-status)"),
}
FUNCTIONS.update({f"clojure.string/{name}": function for name, function in _STRING.items()})
SPECIAL: dict[str, Callable[[_Compiler, Node, list[Node]], Typed]] = {
    "let": _let,
    "some": _some_every(True),
    "every?": _some_every(False),
    "re-find": _regex_search("_re_find"),
    "re-matches": _regex_search("_re_matches"),
    "clojure.string/split": _split,
}
STRING_ALIASES = {
    f"str/{name}": f"clojure.string/{name}" for name in (*_STRING, "split")
}  # str/ never clashes with str: hy reads str/trim as one name
