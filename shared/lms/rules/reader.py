"""Reading rule text into a small tree of plain nodes, with hy's reader and limits on both sides.

Before hy sees the text: its length, bracket nesting and `#` dispatch are checked by a scan that
knows strings and comments (hy's reader slows sharply with depth, and `#` reaches reader macros).
After reading: exactly one form, at most MAX_NODES nodes, and only the literals the language has.
hy's models become `Node`s here, so nothing downstream ever touches a hy object."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import RuleError, RuleInvalid

MAX_CHARS = 4_000
MAX_DEPTH = 32
MAX_NODES = 500
MAX_DIGITS_BEFORE_POINT = 18
MAX_DIGITS_AFTER_POINT = 10
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}


# Letters of other scripts that look like ASCII ones (Cyrillic, Greek): what a hint suggests instead.
_LOOKALIKES = dict(zip("аеорсухіјѕԁһкмтвοαικνρτυχ", "aeopcyxijsdhkmtboaikvptux", strict=True))


@dataclass(frozen=True, slots=True)
class Node:
    kind: str  # number, string, regex, keyword, symbol, call, vector, set
    value: Any  # int | Decimal | str for atoms (a regex: its pattern as written); a tuple of Nodes for a call,
    # a vector or a set
    line: int
    column: int

    @property
    def items(self) -> tuple[Node, ...]:
        return self.value


def read(text: str) -> Node:
    """The one form of `text` as a Node tree; RuleInvalid with every reason found otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise RuleInvalid(
            [RuleError("empty", "the rule is empty: write one expression, like (> status-days-past-due 30)", 1, 1)]
        )
    if len(text) > MAX_CHARS:
        line, column = _position(text, MAX_CHARS)
        raise RuleInvalid(
            [
                RuleError(
                    "too-long",
                    f"the rule is {len(text):,} characters long; at most {MAX_CHARS:,} are allowed",
                    line,
                    column,
                    "split it into several rules",
                )
            ]
        )
    regexes = _scan(text)
    form = _read_one(_mask(text, regexes) if regexes else text)
    converter = _Converter(text, {_position(text, at + 1): (at, pattern) for at, pattern in regexes})
    node = converter.convert(form)
    if converter.errors:
        raise RuleInvalid(converter.errors)
    return node


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _scan(text: str) -> list[tuple[int, str]]:  # noqa: C901 - one pass over the characters: a branch per kind
    """Brackets, strings, comments and `#` checked in one pass, before hy reads anything. Gives the
    regex literals #"..." found: where each `#` is, and its pattern exactly as written."""
    stack: list[tuple[str, int]] = []
    regexes: list[tuple[int, str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#" and text[i + 1 : i + 2] == '"':
            regexes.append(_regex(text, i))
            i += len(regexes[-1][1]) + 3
            continue
        if c == '"':
            start = i
            if i and (text[i - 1].isalnum() or text[i - 1] in "_-"):
                # f"{...}", b"", r"" and the like: hy reads f-string holes as code, past this scan.
                prefix_start = i
                while prefix_start and (text[prefix_start - 1].isalnum() or text[prefix_start - 1] in "_-"):
                    prefix_start -= 1
                raise _invalid(
                    text,
                    prefix_start,
                    "literal",
                    f'{text[prefix_start:i]}"..." strings are not part of the rule language',
                    'write text as plain "..."',
                )
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            if i >= n:
                raise _invalid(text, start, "syntax", 'this string is never closed: add a "')
        elif c == ";":
            while i < n and text[i] != "\n":
                i += 1
        elif c == "#":
            if text[i + 1 : i + 2] != "{":
                raise _invalid(
                    text,
                    i,
                    "dispatch",
                    '# may only start a set, like #{"Collections" "Bankruptcy"}, or a regex, like #"^7[0-9]"',
                    "reader macros, tuples and other # forms are not part of the rule language",
                )
        elif c in _OPENERS:
            stack.append((c, i))
            if len(stack) > MAX_DEPTH:
                raise _invalid(
                    text,
                    i,
                    "too-deep",
                    f"brackets are nested more than {MAX_DEPTH} deep",
                    "split the condition into simpler parts or several rules",
                )
        elif c in _CLOSERS:
            if not stack:
                raise _invalid(
                    text, i, "syntax", f"this {c} closes nothing", "remove it or add the matching opening bracket"
                )
            opener, at = stack.pop()
            if _OPENERS[opener] != c:
                line, column = _position(text, at)
                raise _invalid(
                    text,
                    i,
                    "syntax",
                    f"expected {_OPENERS[opener]} to close the {opener} at line {line}, column {column}, found {c}",
                )
        i += 1
    if stack:
        opener, at = stack[-1]
        raise _invalid(text, at, "syntax", f"this {opener} is never closed: add a {_OPENERS[opener]}")
    return regexes


def _regex(text: str, at: int) -> tuple[int, str]:
    """The regex literal whose `#` is at `at`: as in Clojure, its pattern is the text between the quotes
    exactly as written (a backslash keeps the character after it, so \\d is the pattern \\d and \\" a quote)."""
    if at and not (text[at - 1].isspace() or text[at - 1] in "([{"):
        raise _invalid(
            text, at, "dispatch", 'a regex #"..." must be apart from what comes before it', "put a space before the #"
        )
    i, n = at + 2, len(text)
    while i < n and text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    if i >= n:
        raise _invalid(text, at, "syntax", 'this regex is never closed: add a "')
    return at, text[at + 2 : i]


def _mask(text: str, regexes: list[tuple[int, str]]) -> str:
    """The text hy reads: each #"..." becomes a plain string of the same length and lines (its `#` a space,
    its pattern letters), so hy never sees the pattern and every position stays where it was."""
    out = list(text)
    for at, pattern in regexes:
        out[at] = " "
        for k, ch in enumerate(pattern, start=at + 2):
            out[k] = ch if ch in "\r\n" else "x"
    return "".join(out)


def _invalid(text: str, offset: int, code: str, message: str, hint: str | None = None) -> RuleInvalid:
    line, column = _position(text, offset)
    return RuleInvalid([RuleError(code, message, line, column, hint)])


def _read_one(text: str) -> Any:
    from hy.reader import HyReader, read_many
    from hy.reader.exceptions import LexException

    try:
        forms = iter(read_many(text, filename="<rule>", reader=HyReader()))
        first = next(forms, None)
        if first is None:
            raise RuleInvalid([RuleError("empty", "the rule has no expression, only comments or spaces", 1, 1)])
        second = next(forms, None)
    except LexException as error:
        message = str(getattr(error, "msg", "") or "the rule cannot be read").rstrip(".")
        raise RuleInvalid(
            [
                RuleError(
                    "syntax",
                    f"the rule cannot be read: {message}",
                    getattr(error, "lineno", 1) or 1,
                    getattr(error, "offset", 1) or 1,
                )
            ]
        ) from None
    if second is not None:
        raise RuleInvalid(
            [
                RuleError(
                    "one-form",
                    "a rule is one expression; this is a second one",
                    second.start_line,
                    second.start_column,
                    "combine the conditions with (and ...) or (or ...)",
                )
            ]
        )
    return first


class _Converter:
    """hy models -> Nodes; refuses the literals the language does not have."""

    def __init__(self, text: str, regexes: dict[tuple[int, int], tuple[int, str]] | None = None):
        self.text = text
        self.lines = text.split("\n")
        self.errors: list[RuleError] = []
        self.nodes = 0
        self.regexes = regexes or {}  # (line, column) of the string hy read for a #"...": where its # is, pattern

    def convert(self, model: Any, line: int = 1, column: int = 1) -> Node:  # noqa: C901 - a case per hy model type
        import hy.models as m

        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise RuleInvalid(
                [
                    RuleError(
                        "too-many-nodes",
                        f"the rule has more than {MAX_NODES} parts",
                        getattr(model, "start_line", line) or line,
                        getattr(model, "start_column", column) or column,
                        "split it into several rules",
                    )
                ]
            )
        line = getattr(model, "start_line", None) or line
        column = getattr(model, "start_column", None) or column
        if isinstance(model, m.Expression):
            dotted = self._dotted(model, line, column)
            if dotted is not None:
                return dotted
            return Node("call", tuple(self.convert(x, line, column) for x in model), line, column)
        if isinstance(model, m.List):
            return Node("vector", tuple(self.convert(x, line, column) for x in model), line, column)
        if isinstance(model, m.Set):
            return Node("set", tuple(self.convert(x, line, column) for x in model), line, column)
        if isinstance(model, m.Dict):
            return self._refuse(
                line, column, "maps {...} cannot be written in a rule", "use a set #{...} or a vector [...]"
            )
        if isinstance(model, m.Keyword):
            if not str(model.name).isascii():
                return self._not_ascii(str(model.name), "a keyword", line, column)
            return Node("keyword", str(model.name), line, column)
        if isinstance(model, m.Symbol):
            if not str(model).isascii():
                return self._not_ascii(str(model), "a name", line, column)
            return Node("symbol", str(model), line, column)
        if isinstance(model, m.FString):
            return self._refuse(
                line, column, "f-strings are not part of the rule language", "use (str ...) to join text"
            )
        if isinstance(model, m.String) and (line, column) in self.regexes:
            at, pattern = self.regexes[(line, column)]
            return Node("regex", pattern, *_position(self.text, at))
        if isinstance(model, m.String):
            return Node("string", str(model), line, column)
        if isinstance(model, m.Bytes):
            return self._refuse(line, column, "byte strings are not part of the rule language", 'write text as "..."')
        if isinstance(model, (m.Integer, m.Float)) and not self._source(model).isascii():
            return self._not_ascii(self._source(model) or str(model), "a number", line, column)
        if isinstance(model, m.Integer):
            return self._number(int(model), line, column)
        if isinstance(model, m.Float):
            return self._decimal(model, line, column)
        if isinstance(model, m.Complex):
            return self._refuse(line, column, "complex numbers are not part of the rule language")
        return self._refuse(line, column, f"{type(model).__name__.lower()} forms are not part of the rule language")

    def _dotted(self, model: Any, line: int, column: int) -> Node | None:
        """hy reads customer.primary.status as (. customer primary status), every part placed where
        the identifier starts; an explicit (. a b) has its `.` one column after the bracket."""
        import hy.models as m

        parts = list(model)
        if len(parts) < 3 or not all(isinstance(p, m.Symbol) for p in parts) or str(parts[0]) != ".":
            return None
        if (parts[0].start_line, parts[0].start_column) != (line, column):
            return None
        self.nodes += len(parts)
        return Node("symbol", ".".join(str(p) for p in parts[1:]), line, column)

    def _source(self, model: Any) -> str:
        if model.start_line != model.end_line:
            return ""
        return self.lines[model.start_line - 1][model.start_column - 1 : model.end_column]

    def _decimal(self, model: Any, line: int, column: int) -> Node:
        # hy reads 1.5 as a float; the exact value is in the source text.
        text = self._source(model).replace("_", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            return self._refuse(line, column, f"{text or 'this number'} is not a number a rule can use")
        if not value.is_finite():
            return self._refuse(line, column, f"{text} is not a number a rule can use", "rules have no NaN or infinity")
        return self._number(value, line, column)

    def _number(self, value: int | Decimal, line: int, column: int) -> Node:
        # adjusted() and the exponent need no arithmetic, so 1e999999999 cannot overflow here.
        if isinstance(value, Decimal):
            too_big = value != 0 and value.adjusted() >= MAX_DIGITS_BEFORE_POINT
            too_fine = int(value.as_tuple().exponent) < -MAX_DIGITS_AFTER_POINT
        else:
            too_big, too_fine = abs(value) >= 10**MAX_DIGITS_BEFORE_POINT, False
        if too_big or too_fine:
            return self._refuse(
                line,
                column,
                "this number is out of range",
                f"numbers in rules have at most {MAX_DIGITS_BEFORE_POINT} digits before the point "
                f"and {MAX_DIGITS_AFTER_POINT} after it",
            )
        return Node("number", value, line, column)

    def _not_ascii(self, text: str, what: str, line: int, column: int) -> Node:
        """Outside text in quotes, a rule is ASCII: Python would read ৪0 (Bengali 4, which looks like 8) or
        ３０ as a number, and a Cyrillic х in a name looks like x."""
        character = next(c for c in text if not c.isascii())
        plain = "".join(
            str(unicodedata.decimal(c))
            if not c.isascii() and unicodedata.decimal(c, None) is not None
            else _LOOKALIKES.get(c, c)
            for c in unicodedata.normalize("NFKC", text)
        )
        hint = (
            f"did you mean {plain}?"
            if plain.isascii()
            else (
                "numbers are written with the digits 0-9"
                if what == "a number"
                else "names are written in ASCII letters"
            )
        )
        kind = "not an ASCII digit" if character.isdigit() or unicodedata.category(character) == "Nd" else "not ASCII"
        return self._refuse(
            line,
            column,
            f"{character!r} ({unicodedata.name(character, 'unnamed character')}) in {what} is {kind}",
            hint,
        )

    def _refuse(self, line: int, column: int, message: str, hint: str | None = None) -> Node:
        self.errors.append(RuleError("literal", message, line, column, hint))
        return Node("symbol", "nil", line, column)
