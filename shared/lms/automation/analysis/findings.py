"""The rulebook analysis, each kind of finding (lms.automation.analysis): cycles, conflicts, shadowed rules,
never-true and always-true criteria, unknown labels."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from ...contract import ChangeDueDateAction, CustomerToolsAction, LoanSettingsAction, Rule
from ...contract.analysis import Finding
from ...errors import Invalid
from ...labels import Labels
from ...rules.literals import LABEL_VARIABLES, label_literals
from ..warnings import label_warnings
from .entries import Entry, listed, new_finding
from .questions import can_both_match, can_trigger, implies, made_false, relevant_writes
from .sets import FieldKey
from .writes import written_variables


def verdicts(entries: list[Entry]) -> Iterator[Finding]:
    for e in entries:
        c = e.criteria
        if c is None or c.verdict is None:
            continue
        variables = c.tracked or list(c.variables)
        if c.verdict == "never":
            why = (
                "the criteria compares literals alone and is false: it matches no loan"
                if not variables
                else f"no values of {listed(variables)} make the criteria true: it matches no loan"
            )
            yield new_finding("never-true", [e], variables, why)
        else:
            why = (
                "the criteria compares literals alone and is true: it matches every loan"
                if not variables
                else f"every value of {listed(variables)} makes the criteria true: it matches every loan"
                + (" on which it can be evaluated (its variables have values)" if c.fails else "")
            )
            yield new_finding("always-true", [e], variables, why)


_LABEL_READS = frozenset(LABEL_VARIABLES) | {"customer.primary", "customer.secondary"}


def unknown_labels(entries: list[Entry], labels: Labels) -> Iterator[Finding]:
    """lms.automation.warnings' label warnings, one finding each (a criteria that reads no label variable has none)."""
    titles = _titles(labels)
    for e in entries:
        if e.criteria is None or not _LABEL_READS & set(e.criteria.variables):
            continue
        for variable, why in _label_warnings(labels, titles, e.rule.criteria):
            yield new_finding("unknown-label", [e], [variable], why)


def _titles(labels: Labels) -> tuple[Any, ...]:
    """Every title of the tenant's labels: what the label warnings of a criteria depend on (their cache key)."""
    return (
        tuple((s.title, tuple(sub.title for sub in s.sub_statuses)) for s in labels.loan_statuses.values()),
        tuple(s.title for s in labels.customer_statuses),
        tuple((p.title, tuple(p.sub_portfolios)) for p in labels.portfolios.values()),
        tuple(c.title for c in labels.checklist.values()),
    )


_LABEL_FINDINGS: dict[tuple[tuple[Any, ...], str], list[tuple[str, str]]] = {}


def _label_warnings(labels: Labels, titles: tuple[Any, ...], criteria: str) -> list[tuple[str, str]]:
    """Each warning's variable and words, kept per criteria and titles (a criteria's reading is the costly part)."""
    key = (titles, criteria)
    if key not in _LABEL_FINDINGS:
        if len(_LABEL_FINDINGS) >= 4096:
            _LABEL_FINDINGS.clear()
        warnings = label_warnings(labels, criteria)
        variables = {(lit.line, lit.column): lit.variable for lit in label_literals(criteria)} if warnings else {}
        _LABEL_FINDINGS[key] = [
            (variables.get((w.line, w.column), ""), w.message + (f" ({w.hint})" if w.hint else "")) for w in warnings
        ]
    return _LABEL_FINDINGS[key]


def conflicts(entries: list[Entry]) -> Iterator[Finding]:
    """Pairs that set one field differently, indexed by field first; each pair once, naming every such field."""
    by_field: dict[FieldKey, list[Entry]] = defaultdict(list)
    for e in entries:
        if e.runs:
            for key in e.sets:
                by_field[key].append(e)
    fields: dict[tuple[int, int], list[FieldKey]] = defaultdict(list)
    for key, setters in by_field.items():
        for a, b in itertools.combinations(setters, 2):
            if a.population == b.population and a.sets[key].value != b.sets[key].value:
                fields[(a.position, b.position)].append(key)
    by_position = {e.position: e for e in entries}
    for (i, j), keys in sorted(fields.items()):
        a, b = by_position[i], by_position[j]
        assert a.criteria is not None and b.criteria is not None
        if not can_both_match(a.criteria.text, b.criteria.text):
            continue
        keys = sorted(keys, key=repr)
        differences = "; ".join(f"{a.name} {a.sets[k].words}, {b.name} {b.sets[k].words}" for k in keys)
        why = (
            f"both can match the same loan and set it differently: {differences}. "
            f"{b.name} runs later, so its change wins when both match, and a loan may go back and forth between them"
        )
        yield new_finding("conflict", [a, b], [a.sets[k].variable for k in keys], why)


def _reached(e: Entry) -> set[str]:
    """The loans whose rules A's change can make run: its own kind, or the other after (in)activation."""
    if ("loan-archived" in e.writes) or not e.writes:
        return set()
    reached = {e.population}
    active = e.writes.get("loan-active")
    if active is not None and active[0] == "set":
        reached |= {"activated" if value else "preactivation" for value in active[1]}
    return reached


def cycles(entries: list[Entry]) -> Iterator[Finding]:
    """Strongly connected components of two rules or more of the graph "A's change can make B match", found by
    Tarjan's algorithm over the coarse graph "A writes what B reads", each coarse edge checked only when the search
    needs it (an edge to a finished component, or one that cannot lower a low-link, changes nothing)."""
    writers = [e for e in entries if e.runs and e.writes]
    readers: dict[str, list[Entry]] = defaultdict(list)
    for e in writers:
        for variable in e.reads:
            readers[variable].append(e)
    coarse: dict[int, list[int]] = {}
    for a in writers:
        reached = _reached(a)
        successors = {b.position for v in a.written for b in readers.get(v, ()) if b.population == a.population}
        if a.population not in reached:  # it archives the loan: no rule runs on it again
            successors = set()
        successors |= {b.position for b in writers if b.population in reached - {a.population}}  # it starts them
        coarse[a.position] = sorted(successors - {a.position})
    by_position = {e.position: e for e in entries}
    checked: dict[tuple[int, int], bool] = {}

    def edge(i: int, j: int) -> bool:
        if (i, j) not in checked:
            a, b = by_position[i], by_position[j]
            assert a.criteria is not None and b.criteria is not None
            starts = a.population != b.population
            checked[(i, j)] = can_trigger(a.criteria.text, relevant_writes(a, b.criteria), b.criteria.text, starts)
        return checked[(i, j)]

    for component in _components(sorted(coarse), coarse, edge):
        if len(component) < 2:
            continue
        inside = set(component)
        steps = []
        for i in component:  # each rule's first edge into the component (every member has one)
            j = next(j for j in coarse[i] if j in inside and edge(i, j))
            a, b = by_position[i], by_position[j]
            starts = {"loan-active"} if a.population != b.population else set()  # it (in)activates the loan
            steps.append((a, b, (a.written & b.reads) | starts))
        why = "; ".join(f"{a.name} changes {listed(sorted(v))}, which can make {b.name} match" for a, b, v in steps)
        why += ": each can make the next apply again, in a cascade or the next run"
        variables: set[str] = set().union(*(v for _, _, v in steps))
        yield new_finding("cycle", [by_position[i] for i in component], variables, why)


def _components(
    nodes: list[int], successors: dict[int, list[int]], edge: Callable[[int, int], bool]
) -> list[list[int]]:
    """Tarjan's strongly connected components of the edges among `successors` that `edge` confirms, iteratively;
    each sorted, in a fixed order."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    found: list[list[int]] = []

    def visit(node: int) -> tuple[int, Iterator[int]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        return node, iter(successors.get(node, ()))

    for root in nodes:
        if root in index:
            continue
        work = [visit(root)]
        while work:
            node, rest = work[-1]
            for successor in rest:
                if successor not in index:
                    if edge(node, successor):
                        work.append(visit(successor))
                        break
                elif successor in on_stack and index[successor] < low[node] and edge(node, successor):
                    low[node] = index[successor]
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    found.append(_pop_component(stack, on_stack, node))
    return sorted(found)


def _pop_component(stack: list[int], on_stack: set[int], root: int) -> list[int]:
    component = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == root:
            return sorted(component)


def _certain(rule: Rule, labels: Labels) -> bool:
    """Whether the rule's actions always apply once it matches (none can fail on a loan, as the labels stand)."""
    for action in rule.actions:
        if isinstance(action, ChangeDueDateAction):
            return False
        if isinstance(action, CustomerToolsAction) and action.apply_role is not None:
            return False
        if isinstance(action, LoanSettingsAction):
            if action.add_sub_portfolios or (action.loan_sub_status and not action.loan_status):
                return False
            if action.loan_status:
                try:
                    labels.loan_status(action.loan_status, action.loan_sub_status)
                except Invalid:
                    return False
    return True


def _covers(a: Entry, b: Entry) -> bool:
    """A runs on every loan and in every run B runs in (loans opted out of A aside)."""
    if a.population != b.population or not b.triggers or not b.triggers <= a.triggers:
        return False
    if a.rule.add_to_new_loans:
        return True
    return not b.rule.add_to_new_loans and a.rule.created_at >= b.rule.created_at


def shadowed(entries: list[Entry], labels: Labels) -> Iterator[Finding]:
    """Later rules an earlier one always pre-empts: duplicates, then rules whose every match the earlier one matches
    first and changes so that they no longer match. One finding per shadowed rule, naming the first such rule."""
    reported: set[int] = set()
    yield from _duplicates(entries, reported)
    yield from _pre_empted(entries, labels, reported)


def _duplicates(entries: list[Entry], reported: set[int]) -> Iterator[Finding]:
    first: dict[tuple[Any, ...], Entry] = {}
    for e in entries:
        if not e.runs:
            continue
        assert e.criteria is not None
        rule = e.rule
        actions = json.dumps([x.model_dump(mode="json") for x in rule.actions], sort_keys=True)
        same = (
            e.criteria.key,
            actions,
            rule.eval_daily,
            rule.eval_real_time,
            rule.preactivation,
            rule.add_to_new_loans,
        )
        earlier = first.setdefault(same, e)
        if earlier is not e and _covers(earlier, e):
            reported.add(e.position)
            why = (
                f"same criteria, actions and settings as {earlier.name}, which runs first: "
                f"it can only repeat what {earlier.name} did (or match a loan opted out of it)"
            )
            yield new_finding("shadowed", [earlier, e], e.criteria.tracked or e.criteria.variables, why)


def _pre_empted(entries: list[Entry], labels: Labels, reported: set[int]) -> Iterator[Finding]:
    """B is pre-empted by an earlier A when A reads nothing B does not (and nothing opaque), every loan B matches A
    matches, A's actions cannot fail, set a variable B reads and leave B unmatched, and no rule between them that
    can run with B changes what B reads."""
    readers: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        if e.rule.active and e.criteria is not None and e.criteria.understood and e.criteria.verdict != "never":
            for variable in e.reads:
                readers[variable].append(e)
    for a in entries:
        if not (a.runs and a.criteria is not None and a.criteria.exact and _certain(a.rule, labels)):
            continue
        settled = written_variables(t for t, effect in a.writes.items() if effect[0] == "set")
        candidates = {b.position: b for v in settled for b in readers.get(v, ()) if b.position > a.position}
        for b in sorted(candidates.values(), key=lambda x: x.position):
            assert b.criteria is not None
            if b.position in reported or not _covers(a, b) or not set(a.criteria.dims) <= set(b.criteria.dims):
                continue
            if not implies(b.criteria.text, a.criteria.text) or not made_false(
                b.criteria.text, relevant_writes(a, b.criteria)
            ):
                continue
            if _rewritten_between(entries, a, b):
                continue
            reported.add(b.position)
            variables = sorted(a.written & b.reads)
            why = (
                f"every loan {b.name} matches, {a.name} matches first, and its change to {listed(variables)} "
                f"makes {b.name} no longer match: {b.name} can only apply to a loan opted out of {a.name}"
            )
            yield new_finding("shadowed", [a, b], variables, why)


def _rewritten_between(entries: list[Entry], a: Entry, b: Entry) -> bool:
    """A rule between A and B that can run with B may change what B reads."""
    return any(
        c.runs and c.population == b.population and c.triggers & b.triggers and c.written & b.reads
        for c in entries[a.position + 1 : b.position]
    )
