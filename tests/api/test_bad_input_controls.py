"""Controls for test_bad_input: each target's valid body succeeds on a fresh tenant, so each refusal
there is caused by the one thing its case breaks."""

from __future__ import annotations

import pytest

from tests.api.helpers import World, store_state
from tests.api.test_bad_input import TARGETS


@pytest.mark.parametrize("target", TARGETS)
def test_the_valid_body_of_each_target_is_accepted(api, target):
    world = World(api)
    method, path, body = TARGETS[target]
    got = api.request(method, path(world), body(world))
    assert got.status in (200, 201, 202), got


def test_store_state_sees_every_kind_of_write(api):
    """The "nothing was written" check used by the refusal tests does see writes: a version bump,
    a new label, a new link."""
    world = World(api)
    for method, path, body in [
        ("PUT", f"/customers/{world.customer['id']}", {"firstName": "Augusta"}),
        ("PUT", f"/loans/{world.loan['id']}", {"customFields": {"note": "x"}}),
        ("POST", "/checklist-items", {"title": "Docs signed"}),
        (
            "PUT",
            f"/loans/{world.loan['id']}",
            {
                "customers": [
                    {"customerId": world.customer["id"], "role": "primary"},
                    {"customerId": world.customer2["id"], "role": "secondary"},
                ]
            },
        ),
        ("PUT", "/tenant", {"maintenanceHour": 4}),
    ]:
        before = store_state()
        got = api.request(method, path, body)
        assert got.status in (200, 201, 202), got
        assert store_state() != before, (method, path)
