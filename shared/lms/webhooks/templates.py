"""`[[v('variable-name')]]` in a webhook's URL, header values and body: the rule variables' values, as
LoanPro templates insert them. Plain text substitution, never evaluation: a template is scanned for
placeholders and nothing else.

How a value is written: money and other decimals exactly ("1234.50"), dates as YYYY-MM-DD, true/false,
lists joined with commas, nothing for a missing value. In a URL the value is percent-encoded; in the
body it is escaped for a JSON string (a value can never close the string it is placed in); in a header
line breaks are removed.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal
from urllib.parse import quote

PLACEHOLDER = re.compile(r"""\[\[\s*v\(\s*(?:'([^'\]]*)'|"([^"\]]*)")\s*\)\s*\]\]""")
Where = Literal["url", "header", "body"]


def names(text: str | None) -> list[str]:
    """The variable names a template uses, in order of first use."""
    found: dict[str, None] = {}
    for match in PLACEHOLDER.finditer(text or ""):
        found[match.group(1) if match.group(1) is not None else match.group(2)] = None
    return list(found)


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(text_of(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    return str(value)


def render(text: str, variables: dict[str, Any], where: Where) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1) if match.group(1) is not None else match.group(2)
        raw = text_of(variables.get(name))
        if where == "url":
            return quote(raw, safe="")
        if where == "body":
            return json.dumps(raw)[1:-1]
        return re.sub(r"[\r\n\x00]", " ", raw)

    return PLACEHOLDER.sub(value, text)
