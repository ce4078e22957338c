"""The rule language (docs/rules.md#syntax): read with hy's reader, checked against a whitelist,
the variable catalogue and a type table, compiled once per rule text into a plain function.

    rule = compile_rule('(and (> status-days-past-due 30) (= loan-status "Open"))')
    rule.run(context)  # RuleResult(matched=True, error=None)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import DivisionByZero, InvalidOperation, Overflow
from typing import Any

from .compiler import FUNCTION_NAMES, compile_tree, describe
from .errors import RuleError, RuleInvalid
from .reader import read
from .runtime import MATCHED, NOT_MATCHED, RuleResult, RuleRuntimeError

__all__ = [
    "CompiledRule",
    "FUNCTION_NAMES",
    "RuleResult",
    "RuleError",
    "RuleInvalid",
    "RuleRuntimeError",
    "Validation",
    "compile_rule",
    "validate",
]


@dataclass(frozen=True)
class CompiledRule:
    text: str
    test: Callable[[Mapping[str, Any]], Any]  # the compiled function; raises on a runtime error
    variables: tuple[str, ...]  # the catalogue variables it reads, in reading order
    result: str  # what it gives, in words ("true or false", "a number"...)

    def run(self, context: Mapping[str, Any]) -> RuleResult:
        """Matched only when the criteria gives true; a runtime error is no match, with the reason.

        What runs is this, compiled with the rule inside (lms.rules.codegen): compile_rule gives each rule a
        class of its own whose `run` is the compiled one, so that `rule.run(context)` is one call of one
        function returning a shared result, as fast as a hand-written lambda. When anything raises there, it
        comes here (failed), where test gives the exact value or error."""
        try:
            return MATCHED if self.test(context) is True else NOT_MATCHED
        except Exception as error:  # one rule on one loan: recorded, never raised to the batch
            return RuleResult(False, runtime_error_message(error, self.variables, context))

    failed = run  # the compiled run's way out when anything raises: test, then the error's reason

    def value(self, context: Mapping[str, Any]) -> Any:
        return self.test(context)


def runtime_error_message(error: Exception, variables: tuple[str, ...], context: Mapping[str, Any]) -> str:
    if isinstance(error, RuleRuntimeError):
        return str(error)
    if isinstance(error, (ZeroDivisionError, DivisionByZero)):
        return "division by zero"
    if isinstance(error, Overflow):
        return "a number grew too large"
    if isinstance(error, KeyError):
        return f"the loan's context has no {error.args[0]}"
    if isinstance(error, (TypeError, AttributeError, InvalidOperation)):
        nil = [name for name in variables if _read(context, name) is None]
        if nil:
            return f"{', '.join(nil)} {'is' if len(nil) == 1 else 'are'} nil where a value is needed"
    return f"the rule could not be evaluated ({type(error).__name__})"


def _read(context: Mapping[str, Any], name: str) -> Any:
    """A variable's value, read as the rule reads it (c[name]): a loan's context then computes that variable's
    group only, where get() computes every group (the 24-month history reads the loan's transactions)."""
    try:
        return context[name]
    except KeyError:
        return None


@functools.lru_cache(maxsize=2048)
def compile_rule(text: str, *, criteria: bool = True) -> CompiledRule:
    """Reads, checks and compiles; RuleInvalid lists every error found. Cached per text, so each
    rule version is compiled once per process."""
    compiled, errors = compile_tree(read(text), criteria=criteria)
    if errors:
        raise RuleInvalid(errors)
    assert compiled is not None
    own = type("CompiledRule", (CompiledRule,), {"__slots__": (), "run": compiled.run})
    return own(text, compiled.function, compiled.variables, describe(compiled.type))


@dataclass(frozen=True)
class Validation:
    valid: bool
    errors: list[RuleError]
    variables: list[str]


def validate(text: str, *, criteria: bool = True) -> Validation:
    try:
        rule = compile_rule(text, criteria=criteria)
    except RuleInvalid as invalid:
        return Validation(False, invalid.errors, [])
    return Validation(True, [], list(rule.variables))
