"""Text from tenants, and text about it.

`strict(value)` is the rule for every name and title a user writes (statuses, portfolios, checklist
items, customer names, rule and webhook names, custom field names...): normalised to NFC, trimmed, and
refused (ValueError, which the contract turns into a 422) when it holds a control character (C0, DEL,
C1: NUL, tab, CR/LF, ESC...), a lone surrogate or a line/paragraph separator (U+2028, U+2029).
`strict(value, multiline=True)` is the same for free text that may run over lines (custom field
values): tab, LF and CR are allowed there. `check(value, multiline=True)` refuses the same characters
and changes nothing (rule criteria and webhook templates, whose positions error messages point at).

`safe(value)` is the one place where text that may hold anything (an error message quoting a rule's
literal, a stored value written before these rules) is made fit for the audit log, a log line or an
error message: every control character, lone surrogate and separator becomes a visible escape
(`\\x1b`, `\\ud800`, `\\u2028`), and a long text is cut. `json_safe` does the same to a JSON text
(what the loggers write).
"""

from __future__ import annotations

import re
import unicodedata

_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NOT_MULTILINE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NOT_JSON_SAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")  # json.dumps escapes C0 itself


def describe(character: str) -> str:
    """A character as a person can read it in a message: U+001B (ESCAPE)."""
    code = ord(character)
    if 0xD800 <= code <= 0xDFFF:
        return f"U+{code:04X} (a lone surrogate)"
    name = unicodedata.name(character, "") or {0x85: "NEXT LINE"}.get(code, "a control character")
    return f"U+{code:04X} ({name})"


def check(value: str, *, multiline: bool = False) -> str:
    """`value` unchanged, or ValueError naming the first character it may not hold."""
    forbidden = (_NOT_MULTILINE_TEXT if multiline else _NOT_TEXT).search(value)
    if forbidden:
        raise ValueError(f"text may not contain {describe(forbidden.group())}")
    return value


def strict(value: str, *, multiline: bool = False) -> str:
    return unicodedata.normalize("NFC", check(value, multiline=multiline)).strip()


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe(value: object, limit: int = 1000) -> str:
    text = _NOT_TEXT.sub(_escape, value if isinstance(value, str) else str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_safe(text: str) -> str:
    """A JSON text with C1 controls, separators and lone surrogates written as \\u escapes (still the same JSON)."""
    return _NOT_JSON_SAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
