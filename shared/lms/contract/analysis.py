"""The rulebook analysis (lms.automation.analysis): what a tenant's rules show about each other without any loan."""

from __future__ import annotations

from typing import Literal

from .base import Entity, SafeText

FindingKind = Literal["cycle", "conflict", "never-true", "always-true", "shadowed", "unknown-label", "failing-example"]


class Finding(Entity):
    """One thing the analysis found: the rules it is about (in the tenant order), the rule variables involved (or,
    for a loan setting no variable shows, the action option, like creditBureau) and why, in words."""

    kind: FindingKind
    rule_ids: list[str]
    variables: list[str]
    # quotes rule names and literals: made safe (lms.text.safe) like every text about what a tenant wrote
    why: SafeText


class RulebookAnalysis(Entity):
    findings: list[Finding]
    rules: int  # how many rules were analysed
