"""The rulebook analysis: what a tenant's rules show about each other from their text and actions alone, with no
loan. It finds rules that keep making each other match (cycles), rules that can match the same loan and set a field
differently (conflicts), criteria no loan or every loan matches, rules an earlier rule always pre-empts, and titles
the tenant has no label for (lms.automation.warnings).

How a criteria is reasoned about: it is read into comparisons of one variable with literals (=, not=, <, >, <=, >=,
zero?, pos?, neg?, nil?, some?, contains? of a set literal, contains? and some of a set variable), joined by and,
or, not, if, when, cond, boolean and let. Anything else (arithmetic, two variables compared, text functions, custom
fields...) is an opaque part that may be true or false. The literals a variable is compared with cut its values into
a few regions (below, at and between them, and nil); one value per region, in every combination, decides the
criteria exactly over what it tracks, as the compiled rule would (a nil compared with < fails, and fails to match).
The combinations a criteria matches on (its models) are found once per text; questions about two rules compare
models, region by region. A criteria of more than MAX_COMBINATIONS combinations is unknown: it is reported neither
never-true nor always-true, makes no edge of a cycle and shadows nothing, but it may match whatever another rule
matches (a conflict is reported unless two criteria are provably disjoint, as for any two rules).

Which rules take part: every rule is checked for never-true, always-true and unknown labels. Inactive rules take no
part in cycles, conflicts and shadowing (they never run); shadow rules (mode "shadow") change no loan, so they write
nothing: they are in no cycle or conflict and shadow nothing. Preactivation rules run only on loans not yet
activated and the others only on activated loans, so the two never conflict, and one reaches the other only through
an action that activates or inactivates the loan.

What an action writes is the table ACTION_WRITES describes (docs/rules.md#actions, lms.automation.actions): per
variable, set to the values the action names, lowered or raised (never the other way), or changed in a way not
known statically; a set variable's titles may also be only removed.
"""

from __future__ import annotations

from typing import Any

from ...contract import Rule
from ...contract.analysis import Finding, RulebookAnalysis
from ...labels import Labels
from .criteria import MAX_COMBINATIONS
from .entries import rule_entries
from .findings import conflicts, cycles, shadowed, unknown_labels, verdicts
from .sets import FieldKey
from .values import Env, Key
from .writes import (
    ACTION_WRITES,
    ANY,
    BALANCES,
    BANKRUPTCY_FIELDS,
    CUSTOMER,
    DELINQUENCY,
    DROP,
    LEDGER,
    LOWER,
    PAST_DUE,
    RAISE,
    SCHEDULE,
    Effect,
    Target,
)

__all__ = [
    "ACTION_WRITES",
    "ANY",
    "BALANCES",
    "BANKRUPTCY_FIELDS",
    "CUSTOMER",
    "DELINQUENCY",
    "DROP",
    "KINDS",
    "LEDGER",
    "LOWER",
    "MAX_COMBINATIONS",
    "PAST_DUE",
    "RAISE",
    "SCHEDULE",
    "Effect",
    "Env",
    "FieldKey",
    "Key",
    "Target",
    "analyse",
    "introduced",
    "report",
]

KINDS = ("cycle", "conflict", "shadowed", "never-true", "always-true", "unknown-label")  # the order findings come in


def analyse(rules: list[Rule], labels: Labels) -> list[Finding]:
    """Every finding about the tenant's rules (given in the tenant order), in a fixed order: by the first rule each
    names, then by kind (KINDS), rules and variables. A rule whose criteria does not compile is only left out."""
    entries = rule_entries(rules, labels)
    findings = [
        *cycles(entries),
        *conflicts(entries),
        *shadowed(entries, labels),
        *verdicts(entries),
        *unknown_labels(entries, labels),
    ]
    position = {e.rule.id: e.position for e in entries}

    def order(f: Finding) -> tuple[Any, ...]:
        places = tuple(position.get(i, -1) for i in f.rule_ids)
        return (min(places, default=-1), KINDS.index(f.kind), places, f.variables, f.why)

    return sorted(findings, key=order)


def _identity(finding: Finding) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    return finding.kind, tuple(sorted(finding.rule_ids)), tuple(sorted(finding.variables))


def introduced(before: list[Rule], after: list[Rule], labels: Labels) -> list[Finding]:
    """The findings of `after` that `before` did not have (the same kind, rules and variables): what a save adds."""
    known = {_identity(f) for f in analyse(before, labels)}
    return [f for f in analyse(after, labels) if _identity(f) not in known]


def report(rules: list[Rule], labels: Labels) -> RulebookAnalysis:
    """GET /rules/analysis: every finding, and how many rules were analysed."""
    return RulebookAnalysis(findings=analyse(rules, labels), rules=len(rules))
