"""What real time reads for a stream record (lms.automation.engine.run_rules): nothing when no rule runs in
real time, the loan (and the record's marker) but no customer when the rules that run read no customer
variable, and the customers only for the rules that do."""

from __future__ import annotations

from collections import Counter

from lms.config import config
from tests.conftest import make_customer, make_loan


def _reads(calls: Counter, table: str) -> int:
    return sum(n for (op, name), n in calls.items() if name == table and op in ("GetItem", "BatchGetItem", "Query"))


def _rule(api, criteria: str, **fields) -> dict:
    reply = api.post(
        "/rules",
        {
            "name": "r",
            "criteria": criteria,
            "actions": [{"type": "loan-settings", "addPortfolios": ["Watch"]}],
            **fields,
        },
    )
    assert reply.status == 201, reply
    return reply.json


def test_no_real_time_rule_reads_no_loan(api, pump, calls):
    assert api.post("/portfolios", {"title": "Watch"}).status == 201
    _rule(api, "(> status-days-past-due 5)", evalRealTime=False)
    loan = make_loan(api, [(make_customer(api)["id"], "primary")])
    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    calls.clear()
    assert pump.drain() > 0
    assert _reads(calls, config().loans_table) == 0 and _reads(calls, config().customers_table) == 0
    assert pump.failed == []


def test_rules_that_read_no_customer_read_no_customer(api, pump, calls):
    assert api.post("/portfolios", {"title": "Watch"}).status == 201
    _rule(api, "(>= status-days-past-due 0)")
    loan = make_loan(api, [(make_customer(api)["id"], "primary")])
    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    calls.clear()
    pump.drain()
    assert _reads(calls, config().loans_table) > 0
    assert _reads(calls, config().customers_table) == 0
    assert api.get(f"/loans/{loan['id']}").json["portfolios"] == ["Watch"]  # the rule ran, and matched


def test_customers_are_read_only_for_a_run_whose_rules_read_them(api, pump, calls):
    assert api.post("/portfolios", {"title": "Watch"}).status == 201
    _rule(api, '(contains? customer-statuses "Active")')
    loan = make_loan(api, [(make_customer(api)["id"], "primary")])
    calls.clear()
    pump.drain()  # loan-created: the loan is not active, the rule does not run on it
    assert _reads(calls, config().customers_table) == 0
    assert api.get(f"/loans/{loan['id']}/rule-applications").json["items"] == []

    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    calls.clear()
    pump.drain()  # loan-activated: the rule runs, and reads the borrower
    assert _reads(calls, config().customers_table) > 0
    log = api.get(f"/loans/{loan['id']}/rule-applications").json["items"]
    assert [(e["trigger"], e["matched"]) for e in log] == [("loan-activated", True)]


def test_a_rule_that_errs_reads_no_transactions_to_say_why(api, pump, calls):
    """The error message names the nil variables the rule read; finding them reads those variables only, never
    the whole context (its 24-month history reads the loan's transactions)."""
    assert api.post("/portfolios", {"title": "Watch"}).status == 201
    _rule(api, '(even? (custom-field "n"))')  # n is 1.5: even? needs a whole number (a TypeError)
    loan = make_loan(api, [(make_customer(api)["id"], "primary")], customFields={"n": "1.5"})
    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    calls.clear()
    pump.drain()
    [entry] = [e for e in api.get(f"/loans/{loan['id']}/rule-applications").json["items"] if e["error"]][:1]
    assert entry["error"] == "the rule could not be evaluated (TypeError)", entry
    assert _reads(calls, config().transactions_table) == 0
