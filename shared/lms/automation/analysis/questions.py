"""The rulebook analysis, questions about two rules (lms.automation.analysis), cached: they are pure."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from typing import Any

from .criteria import Criteria, apart, compatible, criteria_of, side
from .entries import Entry
from .values import domain_of, meet
from .writes import Effect, Target, frozen_writes, region_moves, written_variables


def relevant_writes(writer: Entry, criteria: Criteria) -> tuple[tuple[Target, Effect], ...]:
    """The writes about a variable the criteria reads: all that matters to it (and a shared cache key)."""
    variables = writer.written & criteria.touches
    known = writer.relevant.get(variables)
    if known is None:
        known = writer.relevant[variables] = frozen_writes(
            {t: e for t, e in writer.writes.items() if (t if isinstance(t, str) else t[1]) in variables}
        )
    return known


@functools.lru_cache(maxsize=65536)
def can_both_match(text_a: str, text_b: str) -> bool:
    """Not provably disjoint: some loan may match both (unknown counts as may)."""
    a, b = criteria_of(text_a), criteria_of(text_b)
    if a is None or b is None or a.verdict == "never" or b.verdict == "never":
        return False
    if apart(a, b):
        return False
    shared = tuple(k for k in a.keys if k in b.dims)
    left, right = side(text_a, shared), side(text_b, shared)
    return left is None or right is None or compatible(left, right, [a.dims[k].kind for k in shared])


@functools.lru_cache(maxsize=4096)
def _indexed(text: str) -> tuple[list[tuple[tuple[Any, Any], ...]], frozenset[tuple[int, ...]]]:
    """The criteria's domains, and its models as region indices."""
    criteria = criteria_of(text)
    assert criteria is not None
    domains = [domain_of(criteria.dims[k].kind, criteria.dims[k].points) for k in criteria.keys]
    where = [{region: i for i, (_, region) in enumerate(domain)} for domain in domains]
    assert criteria.models is not None
    return domains, frozenset(tuple(w[r] for w, r in zip(where, m, strict=True)) for m in criteria.models)


def _changes(
    criteria: Criteria, writes_b: tuple[tuple[Target, Effect], ...], matching: bool | None
) -> Iterator[tuple[Any, ...]]:
    """The region combinations on which the criteria matches (or does not; None: either) and, after the writes, may
    match: worked on regions alone (the criteria is the same on all of one), its models looked up, never evaluated."""
    writes = dict(writes_b)
    written = written_variables(writes)
    domains, models = _indexed(criteria.text)
    moves = [
        (i, m) for i, m in enumerate(region_moves(criteria.dims[k], k, writes, written) for k in criteria.keys) if m
    ]
    if not moves and matching is not None:
        return
    for before in itertools.product(*(range(len(d)) for d in domains)):
        if matching is not None and (before in models) != matching:
            continue
        after = list(before)
        for choice in itertools.product(*(m[before[i]] for i, m in moves)):
            for (i, _), c in zip(moves, choice, strict=True):
                after[i] = c
            if tuple(after) in models:
                yield tuple(domains[i][r][1] for i, r in enumerate(before))
                break


@functools.lru_cache(maxsize=65536)
def _flips(
    text_b: str, writes_b: tuple[tuple[Target, Effect], ...], unmatched: bool
) -> frozenset[tuple[Any, ...]] | None:
    """The region combinations of B's parts where B does not match (unmatched false: where it may or may not) and
    the writes can make it match; None when B's models are unknown."""
    b = criteria_of(text_b)
    if b is None or b.models is None:
        return None
    return frozenset(_changes(b, writes_b, matching=False if unmatched else None))


def can_trigger(text_a: str, writes_b: tuple[tuple[Target, Effect], ...], text_b: str, starts: bool) -> bool:
    """Some loan A matches and B does not becomes, after A's writes (those about what B reads), one B matches (when
    A's change `starts` B running on the loan, by activating or inactivating it, B only has to match after): a
    witness is needed, unknown is no. A's models and B's flips are each found once; a pair only compares them."""
    a, b = criteria_of(text_a), criteria_of(text_b)
    if a is None or b is None or a.models is None:
        return False
    flips = _flips(text_b, writes_b, not starts)
    if not flips:
        return False
    shared = tuple(k for k in a.keys if k in b.dims)
    left = side(text_a, shared)
    at = [b.keys.index(k) for k in shared]
    right = {tuple(flip[i] for i in at) for flip in flips}
    return left is not None and compatible(left, right, [a.dims[k].kind for k in shared])


@functools.lru_cache(maxsize=65536)
def implies(text_b: str, text_a: str) -> bool:
    """Every loan B matches, A matches (provably), A reading nothing B does not: each region combination of A's
    parts that meets one of B's models must be one of A's models."""
    a, b = criteria_of(text_a), criteria_of(text_b)
    if a is None or b is None or a.models is None or b.models is None or not set(a.keys) <= set(b.keys):
        return False
    at = [b.keys.index(k) for k in a.keys]
    domains = [(a.dims[k].kind, domain_of(a.dims[k].kind, a.dims[k].points)) for k in a.keys]
    for model in b.models:
        options = [
            [r for _, r in domain if meet(kind, r, model[i])] for (kind, domain), i in zip(domains, at, strict=True)
        ]
        if any(combination not in a.models for combination in itertools.product(*options)):
            return False
    return True


@functools.lru_cache(maxsize=65536)
def made_false(text_b: str, writes_b: tuple[tuple[Target, Effect], ...]) -> bool:
    """After the writes, no loan B matched still matches (provably)."""
    b = criteria_of(text_b)
    if (
        b is None
        or b.models is None
        or not any(region_moves(b.dims[k], k, dict(writes_b), written_variables(dict(writes_b))) for k in b.keys)
    ):
        return False
    return next(_changes(b, writes_b, matching=True), None) is None
