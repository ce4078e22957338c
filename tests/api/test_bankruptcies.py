"""A loan's bankruptcy records through the API (docs/http.md#bankruptcies): recorded, listed, changed; one active
per loan; the bankruptcy variables read the active one and a real-time rule runs on the change."""

from __future__ import annotations

from tests.automation.conftest import pump  # noqa: F401  (fixture)
from tests.conftest import make_customer, make_loan

FILED = {"chapter": 13, "filingDate": "2026-03-02", "caseNumber": "26-10042", "petitionStatus": "petitionFiled"}


def _loan(api) -> dict:
    loan = make_loan(api, [(make_customer(api)["id"], "primary")])
    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    return loan


def test_a_bankruptcy_is_recorded_listed_and_changed(api):
    loan = _loan(api)
    made = api.post(f"/loans/{loan['id']}/bankruptcies", FILED)
    assert made.status == 201, made
    record = made.json
    assert record["id"].startswith("bkr_") and record["active"] is True
    assert {k: record[k] for k in FILED} == FILED
    listed = api.get(f"/loans/{loan['id']}/bankruptcies").json["items"]
    assert [r["id"] for r in listed] == [record["id"]]

    changed = api.put(
        f"/loans/{loan['id']}/bankruptcies/{record['id']}",
        {"petitionStatus": "planConfirmed", "automaticStay": True, "caseNumber": None},
    )
    assert changed.status == 200, changed
    assert (changed.json["petitionStatus"], changed.json["automaticStay"], changed.json["caseNumber"]) == (
        "planConfirmed",
        True,
        None,
    )
    assert api.get(f"/loans/{loan['id']}").json["bankruptcy"]["petitionStatus"] == "planConfirmed"


def test_one_active_bankruptcy_per_loan(api):
    loan = _loan(api)
    first = api.post(f"/loans/{loan['id']}/bankruptcies", FILED).json
    again = api.post(f"/loans/{loan['id']}/bankruptcies", {**FILED, "chapter": 7})
    assert again.status == 409 and first["id"] in again.json["error"]["message"]
    closed = api.put(
        f"/loans/{loan['id']}/bankruptcies/{first['id']}", {"active": False, "dismissedDate": "2026-05-01"}
    )
    assert closed.status == 200 and closed.json["active"] is False
    second = api.post(f"/loans/{loan['id']}/bankruptcies", {**FILED, "chapter": 7})
    assert second.status == 201, second
    listed = api.get(f"/loans/{loan['id']}/bankruptcies").json["items"]
    assert [(r["id"], r["active"]) for r in listed] == [(second.json["id"], True), (first["id"], False)]
    reopened = api.put(f"/loans/{loan['id']}/bankruptcies/{first['id']}", {"active": True})
    assert reopened.status == 409


def test_bad_input_is_refused_clearly(api, other_api):
    loan = _loan(api)
    for body, field in (
        ({"filingDate": "2026-03-02"}, "chapter"),
        ({**FILED, "chapter": 16}, "chapter"),
        ({**FILED, "petitionStatus": "maybe"}, "petitionStatus"),
        ({**FILED, "filingDate": "2026-02-30"}, "filingDate"),
        ({**FILED, "extra": 1}, "extra"),
    ):
        reply = api.post(f"/loans/{loan['id']}/bankruptcies", body)
        assert reply.status == 422, (body, reply)
        assert any(d.get("field", "").startswith(field) for d in reply.json["error"]["details"]), reply.json
    record = api.post(f"/loans/{loan['id']}/bankruptcies", FILED).json
    assert api.put(f"/loans/{loan['id']}/bankruptcies/{record['id']}", {"chapter": None}).status == 422
    assert api.put(f"/loans/{loan['id']}/bankruptcies/bkr_missing", {"chapter": 7}).status == 404
    assert api.put(f"/loans/{loan['id']}/bankruptcies/{record['id']}", {"chapter": 7, "version": 1}).status == 409
    # another tenant sees none of it
    assert other_api.get(f"/loans/{loan['id']}/bankruptcies").status == 404
    assert other_api.post(f"/loans/{loan['id']}/bankruptcies", FILED).status == 404


def test_a_chapter_13_rule_fires_in_real_time_and_its_action_updates_the_bankruptcy(api, pump):  # noqa: F811
    loan = _loan(api)
    rule = api.post(
        "/rules",
        {
            "name": "Chapter 13 stay",
            "criteria": "(and bankruptcy-active (= bankruptcy-chapter 13) (nil? bankruptcy-automatic-stay))",
            "actions": [{"type": "bankruptcy", "automaticStay": True}],
        },
    )
    assert rule.status == 201, rule
    pump.drain()
    record = api.post(f"/loans/{loan['id']}/bankruptcies", FILED).json
    pump.drain()
    (after,) = api.get(f"/loans/{loan['id']}/bankruptcies").json["items"]
    assert after["id"] == record["id"] and after["automaticStay"] is True
    log = api.get(f"/loans/{loan['id']}/rule-applications").json["items"]
    fired = [e for e in log if e["ruleId"] == rule.json["id"] and e["matched"]]
    assert len(fired) == 1 and fired[0]["variables"]["bankruptcy-chapter"] == 13
    preview = api.post("/rules/preview", {"criteria": '(= bankruptcy-filing-date (date "2026-03-02"))'}).json
    assert preview["matched"] == 1
    assert pump.failed == []
