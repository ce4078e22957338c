"""Refused pagination parameters (one shared moto account: nothing here writes): a limit out of
1..500 or not an integer answers 422, a cursor this API never issued answers 400."""

from __future__ import annotations

import base64
import json

import pytest

from tests.api.helpers import LIST_PATHS, assert_error


@pytest.mark.parametrize("limit", ["0", "501", "abc", "-1", "1.5", "", "1e2", "99999999999999999999"])
@pytest.mark.parametrize("path", [*LIST_PATHS, "/customers/{c}/loans"])
def test_an_out_of_range_or_non_numeric_limit_answers_422(shared_world, path, limit):
    """Given limit 0, 501 or not an integer, then 422 in the error shape."""
    path = path.replace("{c}", shared_world.customer["id"])
    assert_error(shared_world.api.get(path, query={"limit": limit}), 422)


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


GARBAGE = {
    "word": "garbage",
    "punctuation": "!!!@@@",
    "base64-of-wrong-shape": _b64({"x": 1}),
    "base64-of-number-key": _b64({"k": 5}),
    "base64-of-list": _b64([1, 2]),
    "base64-not-json": base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
    "very-long": "A" * 600,
}


@pytest.mark.parametrize("cursor", GARBAGE)
@pytest.mark.parametrize("path", [*LIST_PATHS, "/customers/{c}/loans"])
def test_a_garbage_cursor_answers_400(shared_world, path, cursor):
    """Given a cursor this API never returned, then 400 in the error shape (never 500)."""
    path = path.replace("{c}", shared_world.customer["id"])
    assert_error(shared_world.api.get(path, query={"cursor": GARBAGE[cursor]}), 400)
