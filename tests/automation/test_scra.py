"""The seed's SCRA case through the streams (in-process): a customer status change re-evaluates every
loan of that customer, in any role; another borrower's loan is untouched."""

from __future__ import annotations

from tests.conftest import make_customer, make_loan


def _setup(api):
    assert api.post("/customer-statuses", {"title": "SCRA"}).status == 201
    assert api.post("/portfolios", {"title": "SCRA"}).status == 201
    open_status = next(s for s in api.get("/loan-statuses").json["items"] if s["title"] == "Open")
    subs = [*({"title": s["title"]} for s in open_status["subStatuses"]), {"title": "SCRA Adjusted"}]
    assert api.put(f"/loan-statuses/{open_status['id']}", {"subStatuses": subs}).status == 200


def test_a_customer_status_change_reaches_every_loan_of_the_customer(api, pump):
    _setup(api)
    borrower, other, cosigner = (
        make_customer(api),
        make_customer(api, firstName="Eve"),
        make_customer(api, firstName="Co"),
    )
    loans = [
        make_loan(api, [(borrower["id"], "primary")]),
        make_loan(api, [(borrower["id"], "primary"), (cosigner["id"], "secondary")]),
        make_loan(api, [(cosigner["id"], "primary"), (borrower["id"], "secondary")]),
    ]
    bystander = make_loan(api, [(other["id"], "primary")])
    for loan in [*loans, bystander]:
        assert api.post(f"/loans/{loan['id']}/activate").status == 200
    rule = api.post(
        "/rules",
        {
            "name": "SCRA",
            "criteria": '(contains? customer-statuses "SCRA")',
            "actions": [
                {"type": "loan-settings", "addPortfolios": ["SCRA"]},
                {"type": "loan-settings", "loanSubStatus": "SCRA Adjusted"},
            ],
        },
    )
    assert rule.status == 201, rule
    pump.drain()

    assert api.put(f"/customers/{borrower['id']}", {"status": "SCRA"}).status == 200
    pump.drain()

    for loan in loans:
        after = api.get(f"/loans/{loan['id']}").json
        assert after["portfolios"] == ["SCRA"] and after["loanSubStatus"] == "SCRA Adjusted", after
        log = api.get(f"/loans/{loan['id']}/rule-applications").json["items"]
        assert [(e["ruleId"], e["trigger"], e["matched"]) for e in log] == [(rule.json["id"], "customer-changed", True)]
        assert log[0]["variables"] == {
            "customer-statuses": sorted({"SCRA", "Active"} if loan is not loans[0] else {"SCRA"})
        }
    untouched = api.get(f"/loans/{bystander['id']}").json
    assert untouched["portfolios"] == [] and untouched["loanSubStatus"] == "Repaying"
    assert api.get(f"/loans/{bystander['id']}/rule-applications").json["items"] == []
    assert pump.failed == []
