"""Checking and compiling a read rule in one pass: every node is typed against the variable
catalogue and the function whitelist, every error is collected with its line, column and a hint,
and the Python AST of the rule is built from the checked nodes alone.

Nothing of the rule's text reaches Python's compiler: names become dict keys and strings become
constants of an AST this module builds, with the helpers' calls made plain Python where the types
are known (lms.rules.inline). The result is one plain function of the loan's context and the
production call around it (lms.rules.codegen), as fast as a hand-written lambda, that can reach
only the helpers of runtime.NAMESPACE and their kin."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import codegen, forms, functions, inline, runtime, strings
from .catalogue import BY_NAME
from .errors import RuleError
from .forms import STRING_ALIASES
from .reader import Node
from .typesystem import (
    ANY,
    BOOL,
    CATALOGUE_TYPES,
    DEC,
    ELEMENTS,
    INT,
    KW,
    NIL,
    NUM,
    SET,
    TEXT,
    VEC,
    Type,
    Typed,
    describe,
    plural,
    short,
    suggest,
)

# ---------------------------------------------------------------- what a rule may call

_FORBIDDEN = {
    "c",  # the compiled function's own argument (the whole context): never a name a rule may read
    "import",
    "require",
    "eval",
    "exec",
    "compile",
    "fn",
    "fn/a",
    "defn",
    "defn/a",
    "defmacro",
    "defreader",
    "setv",
    "setx",
    "do",
    "py",
    "pys",
    "eval-when-compile",
    "eval-and-compile",
    "quote",
    "quasiquote",
    "unquote",
    "unquote-splice",
    "for",
    "while",
    "loop",
    "lfor",
    "sfor",
    "dfor",
    "gfor",
    "with",
    "try",
    "raise",
    "global",
    "nonlocal",
    "del",
    "getattr",
    "setattr",
    "hasattr",
    "open",
    "print",
    "input",
    "breakpoint",
    "__import__",
    "globals",
    "locals",
    "vars",
    "dir",
    "type",
    "object",
    "class",
    "defclass",
    "lambda",
    "yield",
    "await",
    "assert",
    "annotate",
    "unpack-iterable",
    "unpack-mapping",
    "get",
    "cut",
    "import-from",
}
_WRITE_NAMES = ("loan-status", "status-days-past-due")  # examples in hints
FUNCTIONS: dict[str, functions.Function] = {**functions.FUNCTIONS, **forms.FUNCTIONS}
SPECIAL = {**functions.SPECIAL, **forms.SPECIAL}
FUNCTION_NAMES = tuple(sorted(set(FUNCTIONS) | set(SPECIAL)))
_NAMESPACE = {**runtime.NAMESPACE, **strings.NAMESPACE, **inline.NAMESPACE}


class _Compiler:
    def __init__(self, fast: bool = True) -> None:
        self.fast = fast  # helpers' fast paths (lms.rules.inline); without them, the helpers' calls only
        self.errors: list[RuleError] = []
        self.constants: dict[str, Any] = {}
        self.variables: dict[str, None] = {}
        self.temps = 0
        self.locals: dict[str, Typed] = {}  # the let names in scope: how each is read, its type

    # -------------------------------------------------------- plumbing

    def fail(self, code: str, node: Node, message: str, hint: str | None = None) -> Typed:
        self.errors.append(RuleError(code, message, node.line, node.column, hint))
        return Typed(ast.Constant(None), Type({ANY}), node)

    def constant(self, value: Any) -> ast.expr:
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return ast.Name(name, ast.Load())

    def read_variable(self, name: str) -> ast.expr:
        name = BY_NAME[name].name  # the catalogue's interned string, the context's key
        self.variables.setdefault(name, None)
        return ast.Subscript(ast.Name("c", ast.Load()), ast.Constant(name), ast.Load())

    def temp(self) -> str:
        self.temps += 1
        return f"_t{self.temps}"

    def truthy(self, value: Typed) -> ast.expr:
        """A Python test that is true exactly when Clojure's is (only nil and false are falsy)."""
        if value.type <= {BOOL, NIL}:
            return value.code
        name = self.temp()
        return inline.truthy(name, value.code)

    def known(self, name: str) -> tuple[functions.Function | None, bool]:
        """The function of that name, and whether it is a special form (for some and every?)."""
        return FUNCTIONS.get(name), name in SPECIAL

    def let_name(self, node: Node) -> bool:
        """Whether `node` may be a let name: a plain name that hides no variable, function or literal."""
        if node.kind != "symbol":
            return not self.fail(
                "not-allowed",
                node,
                "a let name is a plain name, like days: destructuring is not part of the rule language",
                "(let [days status-days-past-due] (> days 30))",
            )
        name = node.value
        hidden = (
            "a variable"
            if name in BY_NAME
            else "a function"
            if name in FUNCTIONS or name in SPECIAL or name in STRING_ALIASES
            else "a literal"
            if name in ("true", "false", "nil")
            else None
        )
        if hidden is not None:
            return not self.fail(
                "not-allowed",
                node,
                f"{short(name)} is {hidden}: a let name cannot hide it",
                "choose another name, like days or amount",
            )
        if name in _FORBIDDEN or name.startswith("__") or name.startswith("hy.") or name == "&":
            return not self.fail("not-allowed", node, f"{short(name)} is not part of the rule language")
        if "." in name or "/" in name:
            return not self.fail("not-allowed", node, f"{short(name)}: a let name has no . or /")
        return True

    def regex(self, fn: str, node: Node) -> tuple[ast.expr, int] | None:
        """A regex literal compiled once, now, by RE2 (linear time: no pattern can backtrack): the constant
        that holds it and its number of groups; None, with the error at the literal, when RE2 refuses it."""
        if node.kind != "regex":
            hint = f'write the pattern as a regex literal: #"{node.value}"' if node.kind == "string" else None
            self.fail("type", node, f'{fn} needs a regex literal written in place, like #"^7[0-9]"', hint)
            if node.kind not in ("string", "number", "keyword", "symbol"):
                self.expr(node)
            return None
        try:
            compiled = strings.compile_regex(node.value)
        except strings.RegexRefused as refused:
            self.fail("literal", node, str(refused), refused.hint)
            return None
        return self.constant(compiled), compiled.groups

    def who(self, value: Typed) -> str:
        """How an error names the value it is about."""
        node = value.node
        if node.kind == "symbol" and (node.value in BY_NAME or node.value not in ("true", "false", "nil")):
            return f"{node.value} is {describe(value.type)}"
        if node.kind == "symbol" and node.value in ("true", "false", "nil"):
            return "nil is no value" if node.value == "nil" else f"{node.value} is {describe(value.type)}"
        if node.kind in ("number", "string", "keyword"):
            shown = (
                f'"{node.value}"'
                if node.kind == "string"
                else (f":{node.value}" if node.kind == "keyword" else str(node.value))
            )
            return f"{shown} is {describe(value.type)}"
        if node.kind in ("vector", "set"):
            return f"{'[...]' if node.kind == 'vector' else '#{...}'} is {describe(value.type)}"
        if node.kind == "call" and node.items and node.items[0].kind == "symbol":
            return f"({node.items[0].value} ...) gives {describe(value.type)}"
        return f"this is {describe(value.type)}"

    # -------------------------------------------------------- nodes

    def expr(self, node: Node) -> Typed:
        kind = node.kind
        if kind == "number":
            if isinstance(node.value, int):
                return Typed(ast.Constant(node.value), Type({INT}), node)
            return Typed(self.constant(node.value), Type({DEC}), node)
        if kind == "string":
            return Typed(ast.Constant(node.value), Type({TEXT}), node, literal=node.value)
        if kind == "keyword":
            return Typed(self.constant(runtime.Keyword(node.value)), Type({KW}), node)
        if kind == "symbol":
            return self.symbol(node)
        if kind in ("vector", "set"):
            return self.collection(node)
        if kind == "regex":
            return self.fail(
                "not-allowed",
                node,
                'a regex #"..." is only the pattern of re-find, re-matches or clojure.string/split',
                'clojure.string/replace takes the text to find, like (clojure.string/replace s "-" " ")',
            )
        return self.call(node)

    def symbol(self, node: Node) -> Typed:
        name = node.value
        local = self.locals.get(name)
        if local is not None:
            return Typed(local.code, local.type, node, elements=local.elements)
        if name in ("true", "false"):
            return Typed(ast.Constant(name == "true"), Type({BOOL}), node)
        if name == "nil":
            return Typed(ast.Constant(None), Type({NIL}), node)
        spec = BY_NAME.get(name)
        if spec is not None:
            kind = CATALOGUE_TYPES[spec.type]
            return Typed(self.read_variable(name), Type({kind}), node, elements=ELEMENTS.get(name, Type({ANY})))
        if name in FUNCTIONS or name in SPECIAL or name in STRING_ALIASES:
            return self.fail("not-allowed", node, f"{name} is a function: call it as ({name} ...)")
        if name in _FORBIDDEN or name.startswith("__") or name.startswith("hy."):
            return self.fail(
                "not-allowed",
                node,
                f"{short(name)} is not part of the rule language",
                "rules read the variables of GET /variables only",
            )
        if "." in name:
            return self.fail(
                "not-allowed",
                node,
                f"{short(name)}: dotted names are only the customer variables; "
                "attribute access is not part of the rule language",
                suggest(name, _VARIABLE_NAMES),
            )
        return self.fail("unknown-name", node, f"unknown variable {short(name)}", suggest(name, _VARIABLE_NAMES))

    def collection(self, node: Node) -> Typed:
        values: list[Any] = []
        types_: set[str] = set()
        for item in node.items:
            if item.kind in ("number", "string") or (item.kind == "symbol" and item.value in ("true", "false", "nil")):
                typed = self.expr(item)
                values.append(
                    item.value if item.kind != "symbol" else {"true": True, "false": False, "nil": None}[item.value]
                )
                types_ |= typed.type
            elif item.kind == "keyword":
                values.append(runtime.Keyword(item.value))
                types_.add(KW)
            else:
                self.fail(
                    "literal",
                    item,
                    f"a {node.kind} in a rule holds only literal values (numbers, text, keywords)",
                    "variables and calls cannot go inside [...] or #{...}",
                )
        elements = Type(types_) or Type({ANY})
        if node.kind == "set":
            if len({(type(v) is bool, v) for v in values}) != len(values):
                return self.fail("literal", node, "this set lists a value twice")
            if BOOL in elements and elements & NUM:
                return self.fail(
                    "literal",
                    node,
                    "a set cannot hold both true/false and numbers",
                    "in Python, as in Java's equals, true is 1: keep them in separate sets",
                )
            return Typed(self.constant(frozenset(values)), Type({SET}), node, elements=elements)
        return Typed(self.constant(tuple(values)), Type({VEC}), node, elements=elements)

    def call(self, node: Node) -> Typed:
        if not node.items:
            return self.fail(
                "not-allowed", node, "() is empty: write a function and its arguments, like (> status-days-past-due 30)"
            )
        head, args = node.items[0], list(node.items[1:])
        if head.kind != "symbol":
            if head.kind == "keyword":
                return self.fail("not-allowed", head, f"keywords cannot be called: write (-> map :{head.value})")
            return self.fail("not-allowed", head, "a (...) form must start with a function name")
        if head.value in self.locals:
            return self.fail(
                "not-allowed", head, f"{head.value} is a let name, not a function: write it without brackets"
            )
        name = STRING_ALIASES.get(head.value, head.value)
        if name in SPECIAL:
            return SPECIAL[name](self, node, args)
        function = FUNCTIONS.get(name)
        if function is None:
            return self.unknown_function(head)
        low, high = function.arity
        if len(args) < low or (high is not None and len(args) > high):
            return self.fail("arity", head, f"{head.value} takes {_arity(low, high)}, got {len(args)}", function.usage)
        return function.build(self, node, [self.expr(a) for a in args])

    def unknown_function(self, head: Node) -> Typed:
        name = head.value
        if name.startswith(("clojure.string/", "str/")):
            known = [f for f in FUNCTION_NAMES if f.startswith("clojure.string/")]
            return self.fail(
                "unknown-name",
                head,
                f"unknown function {short(name)}",
                suggest("clojure.string/" + name.split("/", 1)[1], known) or f"the text functions: {', '.join(known)}",
            )
        if name == "." or "." in name:
            return self.fail(
                "not-allowed",
                head,
                "attribute access is not part of the rule language",
                "rules read variables and call the listed functions only",
            )
        if name.startswith("__") or name in _FORBIDDEN or name.startswith("hy.") or name.startswith("py"):
            return self.fail(
                "not-allowed",
                head,
                f"{short(name)} is not part of the rule language",
                "rules can only compare and compute values: see GET /variables and the function list",
            )
        if name in BY_NAME:
            return self.fail("not-allowed", head, f"{name} is a variable, not a function: write it without brackets")
        return self.fail("unknown-name", head, f"unknown function {short(name)}", suggest(name, FUNCTION_NAMES))


def _arity(low: int, high: int | None) -> str:
    if high == low:
        return plural(low)
    if high is None:
        return f"at least {plural(low)}"
    return f"{low} to {high} arguments"


_VARIABLE_NAMES = sorted(set(BY_NAME) | {"true", "false", "nil"})


# ---------------------------------------------------------------- the compiled rule


@dataclass(frozen=True)
class Compiled:
    function: Callable[[Any], Any]
    run: Callable[[Any, Any], Any]  # run(rule, context): lms.rules.CompiledRule.run with the rule compiled in
    type: Type
    variables: tuple[str, ...]


def compile_tree(node: Node, *, criteria: bool, fast: bool = True) -> tuple[Compiled | None, list[RuleError]]:
    """Checks the tree; when it holds, builds and compiles it into one function of the context, and the
    production call around it (lms.rules.codegen). `fast=False` leaves every helper's call as written: the
    exact rule a fast path's error falls back to, and what tests compare the fast paths with."""
    compiler = _Compiler(fast)
    typed = compiler.expr(node)
    if (
        criteria
        and not compiler.errors
        and not typed.dynamic
        and not (typed.type & {BOOL} and typed.type <= {BOOL, NIL})
    ):
        compiler.fail(
            "not-boolean",
            node,
            f"the criteria gives {describe(typed.type)}; it must give true or false",
            "compare the value, like (> status-days-past-due 30)",
        )
    if compiler.errors:
        return None, compiler.errors
    exact = codegen.Exact(lambda: _exact(node)) if fast else None
    boolean = not typed.dynamic and typed.type <= {BOOL, NIL}
    rule, run = codegen.functions(typed.code, boolean, {**_NAMESPACE, **compiler.constants}, exact)
    return Compiled(rule, run, typed.type, tuple(compiler.variables)), []


def _exact(node: Node) -> Callable[[Any], Any]:
    compiled, _ = compile_tree(node, criteria=False, fast=False)
    assert compiled is not None  # it compiled with the fast paths
    return compiled.function
