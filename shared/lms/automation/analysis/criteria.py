"""The rulebook analysis, a criteria as it knows it (lms.automation.analysis): read, compiled and decided over every
combination of its parts' regions once per text (cached: it does not depend on the tenant)."""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ...rules.compiler import compile_tree
from ...rules.errors import RuleInvalid
from ...rules.reader import read
from .reading import Dim, Reader, render
from .values import Env, Failed, Key, domain_of, meet

MAX_COMBINATIONS = 4096  # value combinations tried to answer one question; past it the answer is unknown


@dataclass(frozen=True)
class Criteria:
    """One criteria as the analysis knows it (cached per text: it does not depend on the tenant)."""

    text: str
    key: str  # the criteria's canonical text: equal for criteria that differ only in spacing and comments
    variables: tuple[str, ...]  # what the compiled rule reads
    test: Callable[[Env], Any]
    dims: dict[Key, Dim]
    understood: bool  # every variable it reads is in a part (else a change to one is not seen)
    verdict: str | None  # "never", "always" or None (neither, or unknown)
    fails: bool  # some combination fails (a nil where a number is needed)
    projection: dict[Key, tuple[Any, ...]] | None  # per tracked part, the regions some match has; None: unknown
    keys: tuple[Key, ...]  # its parts, in the order of each model's regions
    models: frozenset[tuple[Any, ...]] | None  # the region combinations it matches on; None: unknown
    touches: frozenset[str]  # every variable a part of it is about or reads

    @property
    def exact(self) -> bool:
        """Nothing opaque: every combination's answer is the rule's."""
        return self.understood and all(not d.kind.startswith("opaque") for d in self.dims.values())

    @property
    def tracked(self) -> list[str]:
        return sorted({d.variable for d in self.dims.values() if d.variable})


def _true(test: Callable[[Env], Any], env: Env) -> bool:
    try:
        return test(env) is True
    except Failed:
        return False


def _space(dims: dict[Key, Dim]) -> tuple[list[Key], list[tuple[tuple[Any, Any], ...]], int]:
    keys = list(dims)
    domains = [domain_of(dims[k].kind, dims[k].points) for k in keys]
    return keys, domains, math.prod(len(d) for d in domains)


@functools.lru_cache(maxsize=4096)
def criteria_of(text: str) -> Criteria | None:
    """The criteria read and compiled once per text; None when it does not compile (the save refuses it)."""
    try:
        tree = read(text)
    except RuleInvalid:
        return None
    compiled, errors = compile_tree(tree, criteria=True)
    if errors or compiled is None:
        return None
    reader = Reader(text)
    test = reader.read(tree, {}).run
    assert test is not None
    dims = reader.dims
    covered = set().union(*(d.reads for d in dims.values()))
    understood = set(compiled.variables) <= covered
    keys, domains, size = _space(dims)
    verdict, fails, projection, models = None, False, None, None
    if size <= MAX_COMBINATIONS:
        matched: set[tuple[Any, ...]] = set()
        unmatched = 0
        for pairs in itertools.product(*domains):
            try:
                outcome = test(dict(zip(keys, (value for value, _ in pairs), strict=True)))
            except Failed:
                fails = True
                continue
            if outcome is True:
                matched.add(tuple(region for _, region in pairs))
            else:
                unmatched += 1
        verdict = "never" if not matched else "always" if not unmatched else None
        models = frozenset(matched)
        projection = {
            key: tuple({model[i] for model in matched})
            for i, key in enumerate(keys)
            if not dims[key].kind.startswith("opaque")
        }
    key = render(tree, {}) or text
    touches = frozenset(v for d in dims.values() for v in (d.reads | {d.variable}) if v)
    return Criteria(
        text, key, compiled.variables, test, dims, understood, verdict, fails, projection, tuple(keys), models, touches
    )


@functools.lru_cache(maxsize=65536)
def side(text: str, shared: tuple[Key, ...]) -> frozenset[tuple[Any, ...]] | None:
    """The criteria's models cut down to some of its parts."""
    criteria = criteria_of(text)
    if criteria is None or criteria.models is None:
        return None
    at = [criteria.keys.index(k) for k in shared]
    return frozenset(tuple(model[i] for i in at) for model in criteria.models)


def compatible(left: frozenset[tuple[Any, ...]], right: Iterable[tuple[Any, ...]], kinds: list[str]) -> bool:
    """Whether a combination of regions of one side shares a value, part by part, with one of the other's: a
    criteria is the same on all of a region, so then both hold together."""
    right = set(right)
    if left & right:
        return True
    return any(all(meet(k, x, y) for k, x, y in zip(kinds, one, other, strict=True)) for one in left for other in right)


def apart(a: Criteria, b: Criteria) -> bool:
    """Some part no match of a shares a region with any match of b: they never both match (cheap, not complete)."""
    if a.projection is None or b.projection is None:
        return False
    for key in a.projection.keys() & b.projection.keys():
        kind = a.dims[key].kind
        if not any(meet(kind, ra, rb) for ra in a.projection[key] for rb in b.projection[key]):
            return True
    return False
