"""The rulebook analysis, the rules of one analysis (lms.automation.analysis): each rule with what the analysis
knows of it, and how a finding names them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from ...contract import Rule
from ...contract.analysis import Finding
from ...labels import Labels
from .criteria import Criteria, criteria_of
from .sets import FieldKey, Setting, rule_sets
from .writes import Effect, Target, rule_writes, written_variables


@dataclass
class Entry:
    position: int
    rule: Rule
    criteria: Criteria | None
    writes: dict[Target, Effect]
    written: frozenset[str]
    sets: dict[FieldKey, Setting]
    population: str  # "preactivation" or "activated": which loans it runs on
    triggers: frozenset[str]
    reads: frozenset[str] = field(default_factory=frozenset)
    relevant: dict[frozenset[str], tuple[tuple[Target, Effect], ...]] = field(default_factory=dict)  # relevant_writes's

    @property
    def runs(self) -> bool:
        """Active and live, with a criteria that compiles: it can change loans."""
        return self.rule.active and getattr(self.rule, "mode", "live") != "shadow" and self.criteria is not None

    @property
    def name(self) -> str:
        return json.dumps(self.rule.name, ensure_ascii=False)


def rule_entries(rules: list[Rule], labels: Labels) -> list[Entry]:
    entries = []
    for position, rule in enumerate(rules):
        criteria = criteria_of(rule.criteria)
        writes = rule_writes(rule, labels) if rule.active else {}
        live = getattr(rule, "mode", "live") != "shadow"
        pre = rule.preactivation
        triggers = (
            {"real-time"}
            if pre
            else {t for t, on in (("daily", rule.eval_daily), ("real-time", rule.eval_real_time)) if on}
        )
        reads: set[str] = set()
        if criteria is not None:
            reads = set(criteria.variables) | {d.variable for d in criteria.dims.values() if d.variable}
        entries.append(
            Entry(
                position,
                rule,
                criteria,
                writes,
                written_variables(writes),
                rule_sets(rule) if live and rule.active else {},
                "preactivation" if pre else "activated",
                frozenset(triggers),
                frozenset(reads),
            )
        )
    return entries


def new_finding(kind: str, entries: list[Entry], variables: Iterable[str], why: str) -> Finding:
    ordered = sorted(entries, key=lambda e: e.position)
    return Finding(kind=kind, rule_ids=[e.rule.id for e in ordered], variables=sorted(set(variables)), why=why)


def listed(names: Iterable[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
