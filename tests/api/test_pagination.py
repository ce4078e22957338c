"""Lists paginate with ?limit= (default 50, max 500) and ?cursor=; answers carry items and
nextCursor; walking the pages yields every item exactly once and ends with nextCursor null."""

from __future__ import annotations

import pytest

from tests.api.helpers import LIST_PATHS, assert_error, walk
from tests.conftest import make_customer, make_loan

N = 7


def _fill(api, path: str) -> str:
    """Creates N items reachable at path (beyond any defaults) and returns the list path."""
    if path == "/customers":
        for i in range(N):
            make_customer(api, firstName=f"C{i}")
    elif path == "/loans":
        for _ in range(N):
            make_loan(api)
    elif path == "/customer-loans":
        owner = make_customer(api)
        for _ in range(N):
            make_loan(api, [(owner["id"], "primary")])
        return f"/customers/{owner['id']}/loans"
    elif path == "/loan-statuses":
        for i in range(N):
            assert api.post(path, {"title": f"S{i}"}).status == 201
    else:
        for i in range(N):
            assert api.post(path, {"title": f"T{i}"}).status == 201
    return path


def _key(item: dict) -> str:
    return item["id"] if "id" in item else item["loan"]["id"]


@pytest.mark.parametrize("limit", [1, 2, 3])
@pytest.mark.parametrize("kind", [*LIST_PATHS, "/customer-loans"])
def test_walking_pages_yields_every_item_exactly_once(api, kind, limit):
    """Given more items than the limit, when pages are walked with limit and nextCursor, then every
    item appears exactly once, no page exceeds limit, and the last page has nextCursor null."""
    path = _fill(api, kind)
    everything = api.get(path, query={"limit": 500}).json
    assert everything["nextCursor"] is None
    expected = [_key(i) for i in everything["items"]]
    assert len(expected) >= N

    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        got = api.get(path, query=query)
        assert got.status == 200, got
        assert set(got.json) == {"items", "nextCursor"}
        assert len(got.json["items"]) <= limit
        seen += [_key(i) for i in got.json["items"]]
        cursor = got.json["nextCursor"]
        pages += 1
        assert pages <= len(expected) + 2, "pagination does not end"
        if cursor is None:
            break
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))
    assert pages >= len(expected) // limit


def test_the_default_page_size_is_50(api):
    """Given 51 checklist items, when listed without a limit, then 50 items and a nextCursor."""
    for i in range(51):
        assert api.post("/checklist-items", {"title": f"Item {i}"}).status == 201
    got = api.get("/checklist-items")
    assert got.status == 200
    assert len(got.json["items"]) == 50
    assert got.json["nextCursor"]
    rest = api.get("/checklist-items", query={"cursor": got.json["nextCursor"]})
    assert len(rest.json["items"]) == 1 and rest.json["nextCursor"] is None


@pytest.mark.parametrize("limit", ["1", "500"])
def test_the_limit_bounds_are_inclusive(api, limit):
    """Given limit 1 or 500, then 200."""
    assert api.get("/customer-statuses", query={"limit": limit}).status == 200


@pytest.mark.parametrize("kind", ["/customers", "/loans", "/checklist-items", "/customer-statuses"])
def test_another_tenants_cursor_never_returns_its_items(api, other_api, kind):
    """Given tenant A's nextCursor, when tenant B uses it, then B sees only B's own items (or a 400)."""
    path = _fill(api, kind)
    _fill(other_api, kind)
    a_ids = {_key(i) for i in walk(api, path)}
    b_ids = {_key(i) for i in walk(other_api, path)}
    first = api.get(path, query={"limit": 2})
    cursor = first.json["nextCursor"]
    assert cursor
    got = other_api.get(path, query={"limit": 500, "cursor": cursor})
    if got.status == 400:
        assert_error(got, 400)
        return
    assert got.status == 200, got
    ids = {_key(i) for i in got.json["items"]}
    assert not (ids & a_ids)
    assert ids <= b_ids
