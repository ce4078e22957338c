"""What a lender sees when a rule is wrong: a message, where (line and column, 1-based), and a hint."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RuleError:
    code: str  # too-long, too-deep, too-many-nodes, syntax, empty, one-form, dispatch, unknown-name,
    # not-allowed, arity, type, literal, not-boolean
    message: str
    line: int
    column: int
    hint: str | None = None

    def as_detail(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


class RuleInvalid(Exception):
    """The rule text was refused; `errors` says every reason found, in text order."""

    def __init__(self, errors: list[RuleError]):
        self.errors = sorted(errors, key=lambda e: (e.line, e.column))
        first = self.errors[0]
        super().__init__(f"line {first.line}, column {first.column}: {first.message}")
