"""Warnings about a criteria that is valid but names what the tenant does not have (docs/rules.md#label-warnings):
a loan status, sub-status, customer status, portfolio, sub-portfolio or checklist item title no label of the
tenant has. Such a rule saves (the label may be created next), but as written it can never match on it."""

from __future__ import annotations

from ..labels import Labels
from ..rules.errors import RuleError
from ..rules.literals import label_literals

SHOWN = 20  # titles listed in a warning's hint


def _titles(labels: Labels) -> dict[str, list[str]]:
    statuses = list(labels.loan_statuses.values())
    portfolios = list(labels.portfolios.values())
    return {
        "loan status": [s.title for s in statuses],
        "loan sub-status": sorted({sub.title for s in statuses for sub in s.sub_statuses}),
        "customer status": [s.title for s in labels.customer_statuses],
        "portfolio": [p.title for p in portfolios],
        "sub-portfolio": sorted({sub for p in portfolios for sub in p.sub_portfolios}),
        "checklist item": [c.title for c in labels.checklist.values()],
    }


def label_warnings(labels: Labels, criteria: str) -> list[RuleError]:
    """One warning per text literal compared with a label variable that is no title of that kind."""
    titles = _titles(labels)
    warnings = []
    for literal in label_literals(criteria):
        known = titles[literal.kind]
        named = literal.title if len(literal.title) <= 80 else literal.title[:80] + "..."
        if literal.title in known:
            continue
        alike = [t for t in known if t.casefold() == literal.title.casefold()]
        if alike:
            hint = f'did you mean "{alike[0]}"? = compares text exactly'
        else:
            shown = ", ".join(f'"{t}"' for t in known[:SHOWN]) + (", ..." if len(known) > SHOWN else "")
            hint = f"this tenant's {literal.kind} titles: {shown}" if known else f"this tenant has no {literal.kind}"
        warnings.append(
            RuleError(
                "unknown-label",
                f'no {literal.kind} of this tenant is titled "{named}": {literal.variable} never equals it',
                literal.line,
                literal.column,
                hint,
            )
        )
    return warnings
