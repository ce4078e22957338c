"""GET /rules/{id}/versions: every saved version of a rule, newest first, paged; a deleted rule's too (the
audit log names them); another tenant's rule is unknown."""

from __future__ import annotations


def _rule(api, name="Past due"):
    reply = api.post(
        "/rules",
        {
            "name": name,
            "criteria": "(> status-days-past-due 30)",
            "actions": [{"type": "stop-interest", "mode": "suspend"}],
        },
    )
    assert reply.status == 201, reply
    return reply.json


def test_versions_newest_first_with_what_each_said(api):
    rule = _rule(api)
    for days in (45, 60):
        current = api.get(f"/rules/{rule['id']}").json
        saved = api.put(
            f"/rules/{rule['id']}", {"criteria": f"(> status-days-past-due {days})", "version": current["version"]}
        )
        assert saved.status == 200, saved
    versions = api.get(f"/rules/{rule['id']}/versions").json
    assert [v["version"] for v in versions["items"]] == [3, 2, 1]
    assert [v["criteria"][-3:] for v in versions["items"]] == ["60)", "45)", "30)"]
    assert versions["nextCursor"] is None


def test_versions_page_by_page(api):
    rule = _rule(api)
    for number in range(2, 6):
        assert api.put(f"/rules/{rule['id']}", {"name": f"Past due {number}", "version": number - 1}).status == 200
    seen, cursor = [], None
    while True:
        page = api.get(
            f"/rules/{rule['id']}/versions", query={"limit": 2, **({"cursor": cursor} if cursor else {})}
        ).json
        seen += [v["version"] for v in page["items"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert seen == [5, 4, 3, 2, 1]


def test_a_deleted_rule_keeps_its_versions(api):
    rule = _rule(api)
    assert api.delete(f"/rules/{rule['id']}").status == 204
    assert [v["version"] for v in api.get(f"/rules/{rule['id']}/versions").json["items"]] == [1]


def test_unknown_rules_and_cursors(api, other_api):
    rule = _rule(api)
    assert other_api.get(f"/rules/{rule['id']}/versions").status == 404
    assert api.get("/rules/rul_nothing/versions").status == 404
    assert api.get("/rules/not-an-id/versions").status == 404
    bad = api.get(f"/rules/{rule['id']}/versions", query={"cursor": "eyJrIjoieCJ9"})  # {"k":"x"}
    assert bad.status == 400 and bad.json["error"]["details"][0]["field"] == "cursor"
