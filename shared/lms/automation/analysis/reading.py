"""The rulebook analysis, reading a criteria (lms.automation.analysis): its tree read into comparisons of one variable
with literals, joined by and, or, not, if, when, cond, boolean and let; anything else an opaque part."""

from __future__ import annotations

import functools
import itertools
import json
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ...rules.catalogue import BY_NAME
from ...rules.reader import Node
from ...rules.runtime import parse_date
from .values import FAILED, NOT_LITERAL, TRACKED, Env, Failed, Key, is_number, same_value, truthy


@dataclass(frozen=True)
class Dim:
    """One part a criteria's value depends on: a variable, one title of a set variable, or an opaque part."""

    kind: str  # int, dec, date, text, bool; member (a title of a set variable); opaque, opaque-bool
    variable: str  # the catalogue variable it is about ("" for an opaque part)
    points: frozenset[Any] = frozenset()  # the literals it is compared with
    reads: frozenset[str] = frozenset()  # the catalogue variables its value comes from


@dataclass(frozen=True)
class _Expr:
    run: Callable[[Env], Any] | None  # its value in one combination (None: a set variable read plainly)
    literal: Any = NOT_LITERAL
    var: str | None = None  # a tracked variable read plainly
    kind: str = ""  # that variable's kind
    set_var: str | None = None  # a set-of-text variable read plainly


@dataclass
class _Binding:
    node: Node
    lets: dict[str, _Binding]


def _literal(value: Any) -> _Expr:
    return _Expr(lambda env: value, literal=value)


def _get(key: Key) -> Callable[[Env], Any]:
    return lambda env: env[key]


_CUSTOMER_KEYS = {
    (f"customer.{role}", key): f"customer.{role}.{key}"
    for role in ("primary", "secondary")
    for key in ("status", "id", "credit-score")
}
_CONSTANTS = {"true": True, "false": False, "nil": None}
_ORDER = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}
_SIGN = {"zero?": operator.eq, "pos?": operator.gt, "neg?": operator.lt}


class Reader:
    """Reads one criteria's tree into a function of a combination, registering every part it depends on."""

    def __init__(self, text: str):
        self.text = text
        self.dims: dict[Key, Dim] = {}
        self.forms: dict[str, Callable[[Node, list[Node], dict[str, _Binding]], _Expr | None]] = {
            "and": lambda n, a, lets: self.logic(a, lets, True),
            "or": lambda n, a, lets: self.logic(a, lets, False),
            "not": self.negation,
            "boolean": self.boolean,
            "if": self.branch,
            "when": self.branch,
            "cond": self.cond,
            "let": self.let,
            "=": lambda n, a, lets: self.equal(a, lets, False),
            "not=": lambda n, a, lets: self.equal(a, lets, True),
            **{name: functools.partial(self.ordered, op) for name, op in _ORDER.items()},
            **{name: functools.partial(self.signed, op) for name, op in _SIGN.items()},
            "nil?": lambda n, a, lets: self.nil_test(a, lets, True),
            "some?": lambda n, a, lets: self.nil_test(a, lets, False),
            "contains?": self.contains,
            "some": self.some,
        }

    def add(self, key: Key, kind: str, variable: str, points: Iterable[Any] = (), reads: Iterable[str] = ()) -> None:
        old = self.dims.get(key)
        points, reads = frozenset(points), frozenset(reads)
        self.dims[key] = (
            Dim(kind, variable, old.points | points, old.reads | reads) if old else Dim(kind, variable, points, reads)
        )

    def track(self, part: _Expr, points: Iterable[Any] = ()) -> None:
        assert part.var is not None
        role = part.var.split(".")
        reads = {part.var, ".".join(role[:2])} if part.var.startswith("customer.") else {part.var}
        self.add(part.var, part.kind, part.var, points, reads)

    # -------------------------------------------------------- values

    def read(self, node: Node, lets: dict[str, _Binding]) -> _Expr:
        """The part in a logical position (and, or, the criteria itself): what it gives in each combination."""
        plain = self.simple(node, lets)
        if plain is not None and plain.literal is not NOT_LITERAL:
            return _literal(plain.literal)
        if plain is not None and plain.var is not None:
            self.track(plain)
            return plain
        if node.kind == "symbol" and node.value in lets:
            binding = lets[node.value]
            return self.read(binding.node, binding.lets)
        head = node.items[0].value if node.kind == "call" and node.items and node.items[0].kind == "symbol" else ""
        form = self.forms.get(head)
        built = form(node, list(node.items[1:]), lets) if form else None
        return built if built is not None else self.opaque(node, lets, boolean=head.endswith("?"))

    def simple(self, node: Node, lets: dict[str, _Binding]) -> _Expr | None:
        """A literal or a variable read plainly (registering nothing), or None."""
        kind = node.kind
        if kind in ("number", "string"):
            return _literal(node.value)
        if kind == "keyword":
            return _literal(("keyword", node.value))
        if kind in ("vector", "set"):
            items = [self.simple(item, lets) for item in node.items]
            if any(i is None or i.literal is NOT_LITERAL for i in items):
                return None
            values = [i.literal for i in items if i is not None]
            return _literal(frozenset(values) if kind == "set" else tuple(values))
        if kind == "symbol":
            return self.symbol(node.value, lets)
        if kind == "call" and len(node.items) >= 2 and node.items[0].kind == "symbol":
            head, args = node.items[0].value, node.items[1:]
            if head == "date" and len(args) == 1 and args[0].kind == "string":
                day = parse_date(args[0].value)
                return _literal(day) if day is not None else None
            if head == "->" and len(args) == 2 and args[0].kind == "symbol" and args[1].kind == "keyword":
                name = _CUSTOMER_KEYS.get((args[0].value, args[1].value))
                if name is not None and args[0].value not in lets:
                    return _Expr(_get(name), var=name, kind=TRACKED[BY_NAME[name].type])
        return None

    def symbol(self, name: str, lets: dict[str, _Binding]) -> _Expr | None:
        if name in lets:
            binding = lets[name]
            return self.simple(binding.node, binding.lets)
        if name in _CONSTANTS:
            return _literal(_CONSTANTS[name])
        spec = BY_NAME.get(name)
        if spec is not None and spec.type in TRACKED:
            return _Expr(_get(name), var=name, kind=TRACKED[spec.type])
        if spec is not None and spec.type == "set-of-text":
            return _Expr(None, set_var=name)
        return None

    def opaque(self, node: Node, lets: dict[str, _Binding], boolean: bool) -> _Expr:
        text = render(node, lets)
        key = ("opaque", text if text is not None else f"{self.text}@{node.line}:{node.column}:{node.kind}")
        self.add(key, "opaque-bool" if boolean else "opaque", "", reads=_reads(node, lets))
        return _Expr(_get(key))

    # -------------------------------------------------------- logic

    def logic(self, args: list[Node], lets: dict[str, _Binding], is_and: bool) -> _Expr:
        parts = [run for run in (self.read(a, lets).run for a in args) if run is not None]
        if not parts:
            return _literal(True if is_and else None)

        def run(env: Env) -> Any:
            value: Any = True
            for part in parts:
                value = part(env)
                if (value is None or value is False) == is_and:
                    return value
            return value

        return _Expr(run)

    def negation(self, node: Node, args: list[Node], lets: dict[str, _Binding]) -> _Expr | None:
        part = self.read(args[0], lets).run if len(args) == 1 else None
        return _Expr(lambda env: not truthy(part(env))) if part else None

    def boolean(self, node: Node, args: list[Node], lets: dict[str, _Binding]) -> _Expr | None:
        part = self.read(args[0], lets).run if len(args) == 1 else None
        return _Expr(lambda env: truthy(part(env))) if part else None

    def branch(self, node: Node, args: list[Node], lets: dict[str, _Binding]) -> _Expr | None:
        if len(args) not in (2, 3):
            return None
        test, then = self.read(args[0], lets).run, self.read(args[1], lets).run
        otherwise = self.read(args[2], lets).run if len(args) == 3 else (lambda env: None)
        if test is None or then is None or otherwise is None:
            return None
        return _Expr(lambda env: then(env) if truthy(test(env)) else otherwise(env))

    def cond(self, node: Node, args: list[Node], lets: dict[str, _Binding]) -> _Expr | None:
        if not args or len(args) % 2:
            return None
        pairs = []
        for test_node, value_node in zip(args[0::2], args[1::2], strict=True):
            always = test_node.kind == "keyword" or (test_node.kind == "symbol" and test_node.value == "true")
            test = (lambda env: True) if always else self.read(test_node, lets).run
            value = self.read(value_node, lets).run
            if test is None or value is None:
                return None
            pairs.append((test, value))
            if always:
                break

        def run(env: Env) -> Any:
            for test, value in pairs:
                if truthy(test(env)):
                    return value(env)
            return None

        return _Expr(run)

    def let(self, node: Node, args: list[Node], lets: dict[str, _Binding]) -> _Expr | None:
        if len(args) != 2 or args[0].kind != "vector" or len(args[0].items) % 2:
            return None
        inner = dict(lets)
        items = args[0].items
        for name, value in zip(items[0::2], items[1::2], strict=True):
            if name.kind != "symbol":
                return None
            inner[name.value] = _Binding(value, dict(inner))  # each value sees the names before it
        return self.read(args[1], inner)

    # -------------------------------------------------------- comparisons of one variable with literals

    def operands(self, args: list[Node], lets: dict[str, _Binding], kinds: set[str]) -> list[_Expr] | None:
        """The arguments when each is a literal or one same variable of one of `kinds`; the variable tracked."""
        parts = [self.simple(a, lets) for a in args]
        if any(p is None or p.set_var is not None for p in parts):
            return None
        found = [p for p in parts if p is not None]
        variables = {p.var for p in found if p.var is not None}
        if len(variables) > 1 or any(p.var is not None and p.kind not in kinds for p in found):
            return None
        if variables:
            variable = next(p for p in found if p.var is not None)
            self.track(variable, [p.literal for p in found if p.var is None])
        return found

    def equal(self, args: list[Node], lets: dict[str, _Binding], negate: bool) -> _Expr | None:
        parts = self.operands(args, lets, {"int", "dec", "date", "text", "bool"})
        if parts is None:
            return None
        runs = [p.run for p in parts if p.run is not None]

        def run(env: Env) -> bool:
            values = [r(env) for r in runs]
            return all(same_value(a, b) for a, b in itertools.pairwise(values)) != negate

        return _constant_or(run, parts)

    def ordered(self, op: Callable[[Any, Any], bool], node: Node, args: list[Node], lets: dict[str, _Binding]) -> Any:
        return self.order(args, lets, op)

    def signed(self, op: Callable[[Any, Any], bool], node: Node, args: list[Node], lets: dict[str, _Binding]) -> Any:
        return self.sign(args, lets, op)

    def order(self, args: list[Node], lets: dict[str, _Binding], op: Callable[[Any, Any], bool]) -> _Expr | None:
        parts = self.operands(args, lets, {"int", "dec", "date"})
        if parts is None or any(
            p.var is None and not (is_number(p.literal) or isinstance(p.literal, date)) for p in parts
        ):
            return None
        runs = [p.run for p in parts if p.run is not None]

        def run(env: Env) -> bool:  # Python's chain, as compiled: it stops at the first false pair
            values = [r(env) for r in runs]
            for a, b in itertools.pairwise(values):
                if a is None or b is None:
                    raise FAILED
                if not op(a, b):
                    return False
            return True

        return _constant_or(run, parts)

    def sign(self, args: list[Node], lets: dict[str, _Binding], op: Callable[[Any, Any], bool]) -> _Expr | None:
        parts = self.operands(args, lets, {"int", "dec"}) if len(args) == 1 else None
        if parts is None or (parts[0].var is None and not is_number(parts[0].literal)):
            return None
        if parts[0].var is not None:
            self.track(parts[0], [0])
        part = parts[0].run
        assert part is not None

        def run(env: Env) -> bool:
            value = part(env)
            if value is None:
                raise FAILED
            return bool(op(value, 0))

        return _constant_or(run, parts)

    def nil_test(self, args: list[Node], lets: dict[str, _Binding], is_nil: bool) -> _Expr | None:
        parts = self.operands(args, lets, {"int", "dec", "date", "text", "bool"}) if len(args) == 1 else None
        if parts is None:
            return None
        part = parts[0].run
        assert part is not None
        return _constant_or(lambda env: (part(env) is None) == is_nil, parts)

    def contains(self, node: Node, args: list[Node], lets: dict[str, _Binding]) -> _Expr | None:
        if len(args) != 2:
            return None
        collection, item = self.simple(args[0], lets), self.simple(args[1], lets)
        if collection is None or item is None:
            return None
        if collection.set_var is not None and isinstance(item.literal, str):
            key = ("in", collection.set_var, item.literal)
            self.add(key, "member", collection.set_var, reads=[collection.set_var])
            return _Expr(_get(key))
        if isinstance(collection.literal, frozenset) and item.set_var is None:
            elements = collection.literal
            if item.var is None:
                return _literal(any(same_value(item.literal, e) for e in elements))
            self.track(item, elements)
            part = item.run
            assert part is not None
            return _Expr(lambda env: any(same_value(part(env), e) for e in elements))
        return None

    def some(self, node: Node, args: list[Node], lets: dict[str, _Binding]) -> _Expr | None:
        if len(args) != 2:
            return None
        titles, collection = self.simple(args[0], lets), self.simple(args[1], lets)
        if titles is None or collection is None or collection.set_var is None:
            return None
        if not isinstance(titles.literal, frozenset):
            return None
        keys = [("in", collection.set_var, t) for t in sorted(t for t in titles.literal if isinstance(t, str))]
        for key in keys:
            self.add(key, "member", collection.set_var, reads=[collection.set_var])
        return _Expr(lambda env: next((key[2] for key in keys if env[key]), None))


def _constant_or(run: Callable[[Env], Any], parts: list[_Expr]) -> _Expr:
    """A comparison of literals alone is worked out now (a failing one stays a function that fails)."""
    if any(p.var is not None for p in parts):
        return _Expr(run)
    try:
        return _literal(run({}))
    except Failed:
        return _Expr(run)


def render(node: Node, lets: dict[str, _Binding]) -> str | None:
    """The part as canonical text (spacing and comments gone), None when it names a let name bound outside it."""
    if node.kind == "symbol":
        return None if node.value in lets else node.value
    if node.kind in ("call", "vector", "set"):
        items = [render(item, lets) for item in node.items]
        if any(i is None for i in items):
            return None
        opening, closing = {"call": ("(", ")"), "vector": ("[", "]"), "set": ("#{", "}")}[node.kind]
        return opening + " ".join(i for i in items if i is not None) + closing
    if node.kind == "string":
        return json.dumps(node.value)
    if node.kind == "regex":
        return "#" + json.dumps(node.value)
    if node.kind == "keyword":
        return ":" + node.value
    return str(node.value)


def _reads(node: Node, lets: dict[str, _Binding], seen: dict[int, frozenset[str]] | None = None) -> frozenset[str]:
    """The catalogue variables a part reads, through the let names it uses."""
    seen = {} if seen is None else seen
    if node.kind == "symbol":
        if node.value in lets:
            binding = lets[node.value]
            if id(binding) not in seen:
                seen[id(binding)] = frozenset()
                seen[id(binding)] = _reads(binding.node, binding.lets, seen)
            return seen[id(binding)]
        return frozenset({node.value}) if node.value in BY_NAME else frozenset()
    if node.kind not in ("call", "vector", "set"):
        return frozenset()
    found: set[str] = set()
    if node.kind == "call" and node.items and node.items[0].kind == "symbol":
        found |= {"custom-field": {"custom-fields"}, "u/today": {"current-utc-date"}}.get(node.items[0].value, set())
    for item in node.items:
        found |= _reads(item, lets, seen)
    return frozenset(found)
