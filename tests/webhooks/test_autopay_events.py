"""AutoPay's results as events (docs/http.md#events): a collection made is autopay.succeeded, one declined is
autopay.failed, each reaching a subscriber once with the result."""

from __future__ import annotations

from tests.automation.test_maintenance import _loans


def test_each_collection_reaches_a_subscriber_once(api, receiver, deliver, monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_DELAYS", "0,0,0,0,0,0,0")
    assert api.put("/tenant", {"businessDate": "2026-01-10"}).status == 200
    listening = receiver()
    hook = api.post(
        "/webhooks", {"name": "AutoPay", "url": listening.url, "events": ["autopay.succeeded", "autopay.failed"]}
    )
    assert hook.status == 201, hook
    good, bad = _loans(api, 2)
    assert api.put(f"/loans/{good['id']}/autopay", {"method": {"type": "card", "token": "tok_visa"}}).status == 200
    assert api.put(f"/loans/{bad['id']}/autopay", {"method": {"type": "ach", "token": "tok_closed_9"}}).status == 200
    for day in ("2026-02-10", "2026-02-11"):
        assert api.put("/tenant", {"businessDate": day}).status == 200
        assert api.post("/maintenance/runs", {}).status == 202
        deliver()
    got = sorted((r.json()["type"], r.json()["data"]["loanId"], r.json()["data"]["date"]) for r in listening.requests)
    assert got == sorted([("autopay.succeeded", good["id"], "2026-02-10"), ("autopay.failed", bad["id"], "2026-02-10")])
    failed = next(r.json()["data"] for r in listening.requests if r.json()["type"] == "autopay.failed")
    assert (failed["reason"], failed["transactionId"], failed["amount"]) == ("account closed", None, failed["amount"])
    succeeded = next(r.json()["data"] for r in listening.requests if r.json()["type"] == "autopay.succeeded")
    assert succeeded["transactionId"].startswith("txn_") and succeeded["reference"].startswith("loc_")
