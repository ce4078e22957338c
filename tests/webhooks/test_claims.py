"""The delivery log's claims (lms.store.webhooks.claim): one delivery at a time makes an attempt, an
abandoned claim is taken over after the lease, a recorded attempt is never made again; and the usual
case, an attempt's first claim, costs one conditional write and no read."""

from __future__ import annotations

from lms.store import webhooks as store

LEASE = 180
NOW = 1_800_000_000


def _claim(now: int = NOW, number: int = 1) -> store.Claim:
    return store.claim("ten_claims", "whk_1", "msg_1", 1, number, now, LEASE)


def test_the_first_claim_is_mine_with_one_write_and_no_read(aws, calls):
    calls.clear()
    assert _claim() == store.Claim(mine=True, claimed_at=NOW)
    assert {op for op, _ in calls} == {"PutItem"} and sum(calls.values()) == 1


def test_a_claim_being_made_is_nobodys_else_until_its_lease_ends(aws):
    assert _claim().mine
    assert _claim(NOW + LEASE - 1) == store.Claim()  # another delivery is making it: wait
    taken = _claim(NOW + LEASE + 1)  # its maker died: taken over
    assert taken == store.Claim(mine=True, claimed_at=NOW + LEASE + 1)
    assert not store.record_attempt("ten_claims", "whk_1", "msg_1", 1, 1, NOW, {"status": "succeeded"})
    assert store.record_attempt("ten_claims", "whk_1", "msg_1", 1, 1, NOW + LEASE + 1, {"status": "succeeded"})


def test_a_recorded_attempt_is_returned_not_made_again(aws):
    assert _claim().mine
    assert store.record_attempt("ten_claims", "whk_1", "msg_1", 1, 1, NOW, {"status": "retrying"})
    assert _claim(NOW + 1) == store.Claim(recorded={"status": "retrying"}, followed=False)
    store.mark_followed("ten_claims", "whk_1", "msg_1", 1, 1)
    assert _claim(NOW + LEASE * 10) == store.Claim(recorded={"status": "retrying"}, followed=True)
    assert _claim(NOW + 1, number=2).mine  # the next attempt is a claim of its own
