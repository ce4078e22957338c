"""Rule tests (docs/rules.md#rule-tests): a rule's examples, each a set of variable values and whether the
criteria must match them. They run on every save (a failing example refuses the save, named) and in the
rulebook analysis.

An example gives a value for every variable the criteria reads, as the audit log and the API show them:
numbers for days and counts, decimal numbers or strings for money ("12.50"), ISO dates, true/false, lists of
titles for the set variables, null for nil. Nothing else of the loan is read.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..contract import RuleExample
from ..errors import Invalid
from ..rules import RuleInvalid, compile_rule
from ..rules.catalogue import BY_NAME


class ExampleValueError(ValueError):
    """An example's value that is not of its variable's type."""


def _number(value: Any, integral: bool) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise ExampleValueError("a number" if integral else 'a decimal number or a string such as "12.50"')
    try:
        number = Decimal(value) if not isinstance(value, int) else value
    except InvalidOperation:
        raise ExampleValueError("a number") from None
    if isinstance(number, Decimal) and not number.is_finite():
        raise ExampleValueError("a finite number")
    if integral:
        if isinstance(number, Decimal):
            if number != number.to_integral_value():
                raise ExampleValueError("a whole number")
            return int(number)
        return number
    return Decimal(number) if isinstance(number, int) else number


def _date(value: Any) -> date:
    if not isinstance(value, str) or len(value) != 10:
        raise ExampleValueError("an ISO date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ExampleValueError("an ISO date (YYYY-MM-DD)") from None


def _plain(value: Any) -> Any:
    """A value of a variable with no fixed type (a map, a custom field): JSON as given, numbers exact."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float):  # never from the API (its parser reads decimals exactly); from Python callers
        return Decimal(str(value))
    return value


def value_of(name: str, value: Any) -> Any:
    """The example's JSON value as the rule sees that variable's value."""
    if value is None:
        return None
    spec = BY_NAME.get(name)
    kind = spec.type if spec else ""
    if kind == "int":
        return _number(value, integral=True)
    if kind in ("money", "decimal"):
        return _number(value, integral=False)
    if kind == "date":
        return _date(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ExampleValueError("true or false")
        return value
    if kind == "text":
        if not isinstance(value, str):
            raise ExampleValueError("a string")
        return value
    if kind == "set-of-text":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ExampleValueError("a list of strings")
        return frozenset(value)
    return _plain(value)


def failures(criteria: str, examples: list[RuleExample]) -> list[dict[str, str]]:
    """Each failing example: {"field", "example", "message"}; empty when every example holds (or the criteria
    does not compile: the save reports that first)."""
    try:
        rule = compile_rule(criteria)
    except RuleInvalid:
        return []
    found = []
    for index, example in enumerate(examples):
        field = f"examples[{index}]"
        missing = [v for v in rule.variables if v not in example.variables]
        if missing:
            found.append(
                {
                    "field": f"{field}.variables",
                    "example": example.name,
                    "message": f"gives no value for {', '.join(missing)}, which the criteria reads",
                }
            )
            continue
        context, wrong = {}, None
        for name in rule.variables:
            try:
                context[name] = value_of(name, example.variables[name])
            except ExampleValueError as error:
                wrong = {
                    "field": f"{field}.variables.{name}",
                    "example": example.name,
                    "message": f"{name} must be {error}",
                }
                break
        if wrong:
            found.append(wrong)
            continue
        outcome = rule.run(context)
        if outcome.error:
            found.append({"field": field, "example": example.name, "message": f"the criteria failed: {outcome.error}"})
        elif outcome.matched != example.matches:
            said = "match" if example.matches else "not match"
            got = "matched" if outcome.matched else "did not match"
            found.append({"field": field, "example": example.name, "message": f"must {said}, but the criteria {got}"})
    return found


def check(criteria: str, examples: list[RuleExample]) -> None:
    """422 naming every failing example (the first in the message)."""
    failed = failures(criteria, examples)
    if failed:
        first = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise Invalid(
            f"example {first['example']!r} fails: {first['message']}{more}",
            [{"field": f["field"], "message": f"{f['example']}: {f['message']}"} for f in failed],
        )
