"""A rule that goes wrong on a loan (its criteria erring at run time, an action raising anything) is that
rule's error on that loan: recorded in the loan's audit log with a safe message (lms.text.safe), and never
a 5xx of a force, a failed maintenance run, a failed real-time batch or a missed other rule.

The poison rule is the one a hostile try saved: `(< 1 (or (custom-field "zz") "\\ud800"))` (a Hy string
escape for a lone surrogate). Its run-time error quotes the literal; before, the audit write failed on it.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings

from lms.automation import actions, engine
from lms.automation.run import Run
from lms.contract import AccountToolsAction
from tests.automation.test_maintenance import _loans, _run, _snapshots
from tests.conftest import examples, make_customer, make_loan
from tests.rules.reference import render
from tests.rules.test_properties import CTX, call, contexts, lit, n, trees

POISON = '(< 1 (or (custom-field "zz") "\\ud800"))'
ARCHIVE = [{"type": "account-tools", "operation": "archive"}]
CHECK = {"type": "loan-checklist", "check": ["Seen"]}


def _rule(api, criteria: str, actions_: list[dict], **fields) -> dict:
    reply = api.post("/rules", {"name": "rule", "criteria": criteria, "actions": actions_, **fields})
    assert reply.status == 201, reply
    return reply.json


def _log(api, loan_id: str) -> list[dict]:
    return api.get(f"/loans/{loan_id}/rule-applications").json["items"]


def _written_safely(text: str) -> None:
    text.encode("utf-8")  # no lone surrogate left to break a write
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in text), text


@pytest.fixture
def lender(api):
    assert api.put("/tenant", {"businessDate": "2026-01-10"}).status == 200
    assert api.post("/checklist-items", {"title": "Seen"}).status == 201
    return api


def test_the_poison_rule_forced_answers_200_with_the_error(lender):
    api = lender
    loan = make_loan(api, [(make_customer(api)["id"], "primary")])
    rule = _rule(api, POISON, ARCHIVE)
    forced = api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {"explain": True})
    assert forced.status == 200, forced
    assert forced.json["matched"] is False and forced.json["actionsApplied"] == []
    assert forced.json["error"] == 'expected a number or a date, got "\\ud800"'  # the surrogate, escaped
    [entry] = _log(api, loan["id"])
    assert (entry["ruleId"], entry["trigger"], entry["matched"], entry["error"]) == (
        rule["id"],
        "force",
        False,
        forced.json["error"],
    )
    _written_safely(entry["error"])
    assert api.get(f"/loans/{loan['id']}").json["archived"] is False


def test_an_action_that_raises_anything_is_the_rule_s_error_and_the_next_rule_still_applies(lender, pump, monkeypatch):
    api = lender
    loan = make_loan(api, [(make_customer(api)["id"], "primary")])
    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    pump.drain()
    broken = _rule(api, '(= loan-status "Open")', [{"type": "account-tools", "operation": "archive"}])
    good = _rule(api, '(= loan-status "Open")', [CHECK])
    real = actions.apply_action

    def apply(run, action):
        if action.type == "account-tools":
            raise RuntimeError("\x1b[31mboom\u2028")  # anything, with text no log line can take raw
        return real(run, action)

    monkeypatch.setattr(engine, "apply_action", apply)
    forced = api.post(f"/loans/{loan['id']}/rules/{broken['id']}/force", {"explain": True})
    assert forced.status == 200, forced
    assert forced.json["error"] == "the account-tools action could not be applied (RuntimeError)"
    assert api.put(f"/loans/{loan['id']}", {"customFields": {"Touched": "yes"}}).status == 200
    pump.drain()  # the real-time batch: the broken rule fails, the good one applies, nothing raises
    after = api.get(f"/loans/{loan['id']}").json
    assert (after["archived"], after["checklist"]) == (False, ["Seen"])
    entries = [(e["ruleId"], e["trigger"], e["matched"], e["error"]) for e in _log(api, loan["id"])]
    assert (good["id"], "loan-changed", True, None) in entries
    assert (
        broken["id"],
        "loan-changed",
        False,
        "the account-tools action could not be applied (RuntimeError)",
    ) in entries


def test_a_stored_rule_that_no_longer_compiles_is_an_error_not_a_crash(lender, pump, monkeypatch):
    api = lender
    loan = make_loan(api, [(make_customer(api)["id"], "primary")])
    rule = _rule(api, '(= loan-status "Open")', [CHECK])
    real = engine.compile_rule
    monkeypatch.setattr(
        engine, "compile_rule", lambda text: (_ for _ in ()).throw(KeyError(text)) if "Open" in text else real(text)
    )
    forced = api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {})
    assert forced.status == 200, forced
    assert forced.json["error"] == "the rule could not be evaluated (KeyError)"


def test_the_poison_rule_in_a_maintenance_run_leaves_the_run_completed_and_every_loan_maintained(
    lender, queue_pump, pump
):
    api = lender
    made = _loans(api, 2)
    poison = _rule(api, POISON, ARCHIVE, evalRealTime=False)
    good = _rule(api, "(= status-days-past-due 3)", [CHECK], evalRealTime=False)
    run = _run(api, "2026-02-13", queue_pump, pump)
    assert (run["state"], run["loansQueued"], run["loansDone"], run["loansFailed"]) == ("completed", 2, 2, 0), run
    for loan in made:
        read = api.get(f"/loans/{loan['id']}").json
        assert (read["maintainedThrough"], read["archived"], read["checklist"]) == ("2026-02-13", False, ["Seen"])
        assert _snapshots(api, loan["id"])[-1]["date"] == "2026-02-13"
        entries = _log(api, loan["id"])
        errors = [e for e in entries if e["ruleId"] == poison["id"]]
        assert len(errors) == 35  # one per business day the rule ran, 2026-01-10 .. 2026-02-13, each an error
        assert {e["error"] for e in errors} == {'expected a number or a date, got "\\ud800"'}
        assert [e["businessDate"] for e in entries if e["ruleId"] == good["id"]] == ["2026-02-13"]


# ---------------------------------------------------------------- the property


@pytest.fixture
def one_loan(lender):
    from lms import loans
    from lms.automation.rulebook import every
    from lms.labels import load as load_labels

    api = lender
    loan = make_loan(api, [(make_customer(api)["id"], "primary")])
    _rule(api, '(= loan-status "Open")', [CHECK])
    [rule] = every(api.tenant_id)
    return loans.get(api.tenant_id, loan["id"]), load_labels(api.tenant_id), rule


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=trees("bool"), ctx=contexts())
@example(tree=call("<", n(1), call("or", call("custom-field", lit("zz")), lit("\ud800"))), ctx=CTX)
@example(tree=call("=", lit("\x1b[2J\u2028"), call("str", n(1), lit("\x00"))), ctx=CTX)
def test_random_rules_over_random_loans_never_raise_and_every_error_is_audited(one_loan, monkeypatch, tree, ctx):
    """Any valid criteria (the reference interpreter's generator), over any values the loan's variables can
    take, once with a working action and once with an action that raises: evaluate() returns an answer per
    rule, never raises, and each error is an audit entry whose text any table, log or answer can hold."""
    loan, labels, rule = one_loan
    monkeypatch.setattr(Run, "context", lambda _run: ctx)
    real = actions.apply_action
    monkeypatch.setattr(
        engine,
        "apply_action",
        lambda run, action: (
            real(run, action) if action.type != "account-tools" else (_ for _ in ()).throw(ValueError("\x1b\u2028"))
        ),
    )  # rul_b's action always raises
    text = render(tree)
    rules = [
        rule.model_copy(update={"criteria": text, "id": "rul_a"}),
        rule.model_copy(
            update={
                "criteria": text,
                "id": "rul_b",
                "actions": [AccountToolsAction(type="account-tools", operation="archive")],
            }
        ),
    ]
    run = actions.Run(loan=loan, customers={}, labels=labels, today=loan.as_of, load_transactions=lambda: [])
    evaluations = engine.evaluate(run, rules)
    assert [e.rule.id for e in evaluations] == ["rul_a", "rul_b"]
    entries = engine.audit_entries(loan.id, evaluations, "force", loan.created_at)
    assert [e.rule_id for e in entries] == [e.rule.id for e in evaluations if e.matched or e.error]
    for entry in entries:
        assert entry.matched or entry.error
        json.dumps(entry.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")  # storable as it is
        if entry.error:
            _written_safely(entry.error)
