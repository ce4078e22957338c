"""The Python functions a checked rule becomes (lms.rules.compiler builds the expression): `rule(c)`, its
value, and `run(self, c)`, the production call, which gives one of two shared RuleResults.

Both try the expression with the helpers' fast paths (lms.rules.inline; try costs nothing in Python 3.11
until something raises). When anything raises, `rule` gives what the same rule compiled with every helper's
call as written gives, value or error, and `run` goes the long way, through lms.rules.CompiledRule.failed
(test, and its error's reason): so a fast path need only agree with its helper where it gives a value. A
variable read twice is looked up once where the first reading always runs first (_Reads)."""

from __future__ import annotations

import ast
import types
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

from .inline import load as _name


class Exact:
    """The rule compiled with every helper's call as written: compiled the first time a fast path raises."""

    def __init__(self, build: Callable[[], Callable[[Any], Any]]):
        self.build = build
        self.function: Callable[[Any], Any] | None = None

    def __call__(self, context: Any) -> Any:
        if self.function is None:
            self.function = self.build()
        return self.function(context)


def functions(
    code: ast.expr, boolean: bool, namespace: dict[str, Any], exact: Exact | None
) -> tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]:
    """`rule` and `run` of the expression `code`, whose names are those of `namespace`. `boolean`: the criteria
    can only give true, false or nil, so it is tested as it is; any other value matches only when it is true.
    Without `exact`, `rule` raises what the expression raises (it is the exact one)."""
    rule_body: list[ast.stmt] = [ast.Return(code)]
    if exact is not None:
        code = _Reads(code).share(code)
        rule_body = [_try(ast.Return(code), ast.Return(ast.Call(_name("_exact"), [_name("c")], [])))]
    test = code if boolean else ast.Compare(code, [ast.Is()], [ast.Constant(True)])
    answer = ast.Return(ast.IfExp(test, _name("_MATCHED"), _name("_NOT_MATCHED")))
    failed = ast.Attribute(_name("self"), "failed", ast.Load())
    run_body: list[ast.stmt] = [_try(answer, ast.Return(ast.Call(failed, [_name("c")], [])))]
    # The tree holds only nodes built from checked forms: it is the whitelist's output.
    module = ast.Module([_function("rule", ["c"], rule_body), _function("run", ["self", "c"], run_body)], [])
    with warnings.catch_warnings():  # (some? 0) is `0 is not None`, a SyntaxWarning, and is still right
        warnings.simplefilter("ignore", SyntaxWarning)
        compiled = compile(ast.fix_missing_locations(module), "<rule>", "exec", dont_inherit=True)
    bodies = {k.co_name: k for k in compiled.co_consts if isinstance(k, types.CodeType)}
    # The names the rule's code reads, and no other (a rule's namespace is its own: its constants are in it).
    everything = {**namespace, "_exact": exact}
    used = {"__builtins__", *(name for body in bodies.values() for name in _names(body))}
    own = {name: everything[name] for name in used if name in everything}
    rule, run = (types.FunctionType(bodies[name], own, name) for name in ("rule", "run"))
    return rule, run


def _names(code: types.CodeType) -> set[str]:
    """The global (and attribute) names a code object reads, with those of the predicates it holds."""
    nested = (k for k in code.co_consts if isinstance(k, types.CodeType))
    return set(code.co_names).union(*map(_names, nested))


class _Reads:
    """A variable read again after a reading that always runs before it takes the value that reading named,
    (_v1 := c["x"]), instead of looking it up in the context again, as a hand-written function keeps a value
    in a local. What runs maybe (the operands of and and or after the first, an if's branches, a comparison
    chain's later pairs) names values for what follows inside it only; the predicates of some and every? are
    left as they are (their own scope)."""

    def __init__(self, code: ast.expr) -> None:
        self.named: dict[str, str] = {}
        self.reads = Counter(_variable(node) for node in ast.walk(code) if isinstance(node, ast.expr))
        self.names = 0

    def share(self, node: ast.expr) -> ast.expr:
        """`node`, which runs whenever what it is part of does, with its readings shared."""
        key = _variable(node)
        if key is not None:
            return self.read(node, key)
        if isinstance(node, ast.Lambda):
            return node
        if isinstance(node, ast.BoolOp):  # the first operand always runs, each of the others after it
            first = self.share(node.values[0])
            return ast.BoolOp(node.op, [first, *self.maybe(node.values[1:])])
        if isinstance(node, ast.IfExp):
            test = self.share(node.test)
            return ast.IfExp(test, *self.maybe([node.body]), *self.maybe([node.orelse]))
        if isinstance(node, ast.Compare):  # a chain stops at the first false pair
            left, first = self.share(node.left), self.share(node.comparators[0])
            return ast.Compare(left, node.ops, [first, *self.maybe(node.comparators[1:])])
        fields: dict[str, Any] = {}  # any other node: its operands all run, in the order of its fields
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.expr):
                value = self.share(value)
            elif isinstance(value, list):
                value = [self.share(v) if isinstance(v, ast.expr) else v for v in value]
            fields[field] = value
        return type(node)(**fields)

    def maybe(self, nodes: list[ast.expr]) -> list[ast.expr]:
        """Nodes that run maybe, each only after the one before it: what they name is theirs alone."""
        outside = dict(self.named)
        shared = [self.share(node) for node in nodes]
        self.named = outside
        return shared

    def read(self, node: ast.expr, key: str) -> ast.expr:
        if key in self.named:
            return _name(self.named[key])
        if self.reads[key] < 2:
            return node
        self.names += 1
        self.named[key] = f"_v{self.names}"
        return ast.NamedExpr(ast.Name(self.named[key], ast.Store()), node)


def _variable(node: ast.expr) -> str | None:
    """The catalogue name `node` reads, c["name"], if it is a variable's reading."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "c":
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
    return None


def _try(attempt: ast.stmt, otherwise: ast.stmt) -> ast.Try:
    """try: attempt / except Exception: otherwise."""
    return ast.Try([attempt], [ast.ExceptHandler(_name("_Exception"), None, [otherwise])], [], [])


def _function(name: str, parameters: list[str], body: list[ast.stmt]) -> ast.FunctionDef:
    arguments = ast.arguments(
        posonlyargs=[], args=[ast.arg(p) for p in parameters], kwonlyargs=[], kw_defaults=[], defaults=[]
    )
    return ast.FunctionDef(name=name, args=arguments, body=body, decorator_list=[])
