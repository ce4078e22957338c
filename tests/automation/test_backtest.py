"""Backtests (lms.automation.backtest): a rule or a rulebook replayed over the daily snapshots maintenance
stored, day by day, applying nothing; compared with what a live run of the same rules did on the same days.

The books are made cheaply: one loan made and activated through the library, cloned with varied terms and
payments (their values recomputed by the calculator) and written in batches; then one maintenance call per
batch of loans catches each up day by day over the window, writing a snapshot a day and running the live
daily rules. The acceptance book has 1,000 loans (90,000 loan-days: about 80 s on a 2-core machine, most
of it moto writing and reading the snapshots); BACKTEST_LOANS sets another size for a quicker try.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import new_tenant, prepared

START = date(2026, 3, 1)
END = START + timedelta(days=89)  # 90 days, both included
ACCEPTANCE_LOANS = int(os.environ.get("BACKTEST_LOANS", "1000"))
CHARGE_OFF = {
    "name": "Charge off at 120",
    "criteria": "(and (>= status-days-past-due 120) (not charged-off))",
    "evalRealTime": False,
    "actions": [
        {"type": "credit", "amount": {"base": "payoff"}, "category": "Charge-off", "chargeOff": True},
        {"type": "loan-settings", "loanStatus": "Closed", "loanSubStatus": "Charged Off"},
    ],
}
FORTY = {  # reads the ledger's figures (status-due-interest) and the 24-month history
    "name": "Forty days",
    "criteria": "(and (= status-days-past-due 40) (> status-due-interest 0) (>= status-24-dpd-30 0))",
    "evalRealTime": False,
    "actions": [{"type": "loan-checklist", "check": ["Forty"]}],
}


def _request(**fields: Any):
    from lms.contract.backtest import BacktestRequest

    return BacktestRequest.model_validate({"from": START.isoformat(), "to": END.isoformat(), **fields})


def _book(size: int, rules: list[dict], seed: int = 7) -> dict[str, Any]:
    """A tenant with `size` active loans as of the day before START, the live daily rules, and maintenance run
    through END. Some loans pay every installment, some stop paying: their first missed due date is spread so
    that about a third reach 120 days past due inside the window."""
    from lms import loans, tenancy
    from lms import transactions as ledger_of
    from lms.automation import rulebook
    from lms.automation.engine import Settings
    from lms.clock import utc_now
    from lms.contract import (
        ChecklistItemCreate,
        LateFeePeriod,
        LoanCreate,
        LoanSetup,
        RuleCreate,
        TenantUpdate,
        Transaction,
    )
    from lms.ids import new_id
    from lms.labels import CHECKLIST_ITEM
    from lms.labels import create as create_label
    from lms.labels import load as load_labels
    from lms.maintenance import maintain_many
    from lms.servicing import Terms, due_dates, installment
    from lms.store.loans import loan_item
    from lms.store.tables import LoanItem, TransactionItem
    from lms.store.transactions import transaction_item

    tenant = new_tenant("Backtester").tenant_id
    before = START - timedelta(days=1)
    tenancy.update_tenant(tenant, TenantUpdate.model_validate({"businessDate": before.isoformat()}), None)
    for title in ("Forty", "Sixty"):
        create_label(tenant, CHECKLIST_ITEM, ChecklistItemCreate.model_validate({"title": title}))
    saved = [rulebook.create(tenant, RuleCreate.model_validate(r)).id for r in rules]
    setup = {"loanAmount": "5000.00", "interestRate": "12", "termPeriods": 24, "paymentFrequency": "monthly"}
    made = loans.create(
        tenant,
        LoanCreate.model_validate({"setup": {**setup, "contractDate": "2025-01-10", "firstPaymentDate": "2025-02-10"}}),
    )
    template = loans.activate(tenant, made.id)
    labels, rng, now = load_labels(tenant), random.Random(seed), utc_now()
    book, payments = [template.model_copy(update={"maintained_through": before})], []  # never paid: charged off at once
    for _ in range(size - 1):
        monthly = rng.random() < 0.8
        contract = END - timedelta(days=rng.randint(260, 600))
        terms = LoanSetup.model_validate(
            {
                "loanAmount": f"{rng.randrange(10, 300) * 100}.00",
                "interestRate": str(rng.randint(5, 25)),
                "termPeriods": rng.choice((24, 36, 48)) if monthly else rng.choice((78, 104)),
                "paymentFrequency": "monthly" if monthly else "biweekly",
                "contractDate": contract.isoformat(),
                "firstPaymentDate": (contract + timedelta(days=30 if monthly else 14)).isoformat(),
                "lateFee": {"amount": "25.00"} if rng.random() < 0.5 else None,
            }
        )
        dues = [d for d in due_dates(Terms.of(terms)) if d <= END]
        kind = rng.random()
        missed_from = END - timedelta(days=rng.randint(100, 200) if kind < 0.45 else rng.randint(0, 99))
        paid = dues if kind > 0.75 else [d for d in dues if d < missed_from]
        loan_id, amount = new_id("loan"), installment(Terms.of(terms))
        txs = [
            Transaction(id=new_id("txn"), loan_id=loan_id, type="payment", amount=amount, date=d, created_at=now)
            for d in paid
        ]
        loan = template.model_copy(
            update={
                "id": loan_id,
                "display_id": loan_id,
                "setup": terms,
                "late_fee_history": [LateFeePeriod(since=contract, allowed=True)],
            }
        )
        loan, _ = loans.recompute(loan, ledger_of.entries(txs), before, labels)
        book.append(loan.model_copy(update={"maintained_through": before, "created_at": now}))
        payments += txs
    with LoanItem.batch_write() as batch:
        for loan in book:
            batch.save(loan_item(tenant, loan, loan.version))
    with TransactionItem.batch_write() as batch:
        for tx in payments:
            batch.save(transaction_item(tenant, tx))
    tenancy.update_tenant(tenant, TenantUpdate.model_validate({"businessDate": END.isoformat()}), None)
    settings, ids = Settings.read(tenant), [loan.id for loan in book]
    for start in range(0, len(ids), 100):  # one call catches each loan up day by day, START to END
        outcomes = maintain_many(tenant, END, ids[start : start + 100], settings)
        assert not [o for o in outcomes if o.error], [o.error for o in outcomes if o.error][:3]
    return {"tenant": tenant, "rules": saved, "loans": ids}


def _live(tenant: str, loan_ids: list[str]) -> dict[str, list[tuple[date, Decimal]]]:
    """The charge-offs the live rule made: loan -> [(day, amount)]."""
    from lms.store import transactions as transaction_store

    found = {}
    for loan_id in loan_ids:
        offs = [
            (t.date, t.amount) for t in transaction_store.every(tenant, loan_id) if t.charge_off and t.source == "rule"
        ]
        if offs:
            found[loan_id] = offs
    return found


def _every_item() -> dict[str, tuple[int, str, int]]:
    """Per table: how many items, a digest of all of them, how many stream records."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    state = {}
    for name, table in dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables.items():
        digest, count = hashlib.sha256(), 0
        for item in table.all_items():
            digest.update(json.dumps(item.to_json(), sort_keys=True, default=str).encode())
            count += 1
        state[name] = (count, digest.hexdigest(), len(table.stream_shard.items) if table.stream_shard else 0)
    return state


WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def test_a_charge_off_rule_backtested_finds_the_loans_and_days_a_live_run_charged_off_and_writes_nothing(aws, calls):
    # Given a book maintained day by day over 90 days with a live 120-days-past-due charge-off rule
    from lms.automation.backtest import backtest_loans, loan_ids, merge

    book = _book(ACCEPTANCE_LOANS, [CHARGE_OFF])
    live = _live(book["tenant"], book["loans"])
    assert len(live) > ACCEPTANCE_LOANS // 10, "the book should charge some loans off inside the window"
    before, written = _every_item(), sum(n for (op, _), n in calls.items() if op in WRITES)

    # When the same rule is backtested over the same 90 days
    # (as a job replays it: the loans in slices of 99, merged; 1,000 x 90 loan-days is over one call's limit)
    request = _request(ruleId=book["rules"][0])
    ids = loan_ids(book["tenant"], request, limit=None)
    answer = merge([backtest_loans(book["tenant"], request, ids[at : at + 99]) for at in range(0, len(ids), 99)])

    # Then it matches exactly the loans and days the live run charged off, each once (the next day's snapshot
    # shows the loan charged off), with the same amounts, and nothing was written
    assert (answer.loans, answer.loans_replayed, answer.loan_days) == (
        ACCEPTANCE_LOANS,
        ACCEPTANCE_LOANS,
        ACCEPTANCE_LOANS * 90,
    )
    assert {m.loan_id: m.first_match for m in answer.matches} == {i: offs[0][0] for i, offs in live.items()}
    assert answer.loans_matched == len(live) and all(m.days_matched == 1 for m in answer.matches)
    assert all(len(offs) == 1 for offs in live.values())
    by_day = Counter(offs[0][0] for offs in live.values())
    assert {d.date: d.matched for d in answer.days if d.matched} == dict(by_day)
    amounts: dict[date, Decimal] = {}
    for offs in live.values():
        amounts[offs[0][0]] = amounts.get(offs[0][0], Decimal("0")) + offs[0][1]
    assert {d.date: d.money.charge_offs for d in answer.days if d.matched} == amounts
    assert {d.date: d.actions for d in answer.days if d.matched} == {
        day: {"credit": n, "loan-settings": n} for day, n in by_day.items()
    }
    first = next(m for m in answer.matches)
    assert first.rules[0].rule_id == book["rules"][0] and first.rules[0].variables["status-days-past-due"] >= 120
    assert sum(n for (op, _), n in calls.items() if op in WRITES) == written
    assert _every_item() == before


@pytest.fixture
def small(aws) -> dict[str, Any]:
    """16 loans over the 90 days with two live daily rules (the charge-off, the forty-days check)."""
    return prepared("backtest-small", lambda: _book(16, [CHARGE_OFF, FORTY], seed=11))


def test_a_rule_reading_the_ledger_sees_each_day_as_the_live_rule_saw_it(small):
    # Given the forty-days rule ran live (its audit entries hold the variables it read)
    from lms.automation.backtest import backtest
    from lms.store import audit as audit_store

    tenant, forty = small["tenant"], small["rules"][1]
    live = {}
    for loan_id in small["loans"]:
        entries, _ = audit_store.entries_page(tenant, loan_id, 100, None)
        for entry in entries:
            if entry.rule_id == forty and entry.matched:
                live[loan_id] = (entry.business_date, entry.variables)
    assert live

    # When it is backtested
    answer = backtest(tenant, _request(ruleId=forty))

    # Then each loan first matches on the live day, having read the same figures
    assert {m.loan_id: (m.first_match, m.rules[0].variables) for m in answer.matches} == live


def test_each_day_stands_alone_so_a_rule_that_never_ran_matches_every_day_it_would_have(small):
    # Given a rule that was never live: 90 days past due (the live charge-off waits for 120)
    from lms.automation.backtest import backtest

    rule = {**CHARGE_OFF, "criteria": "(and (>= status-days-past-due 90) (not charged-off))"}

    # When it is backtested (unsaved)
    answer = backtest(small["tenant"], _request(rule=rule))

    # Then a loan matches every day from 90 days past due until the day it really was charged off (the next
    # day's snapshot is what happened, not what the backtested rule would have done), or the window's end
    live = _live(small["tenant"], small["loans"])
    assert answer.rule_ids == ["proposed"] and answer.loans_matched
    for match in answer.matches:
        dpd = match.rules[0].variables["status-days-past-due"]
        assert dpd == 90 or (dpd > 90 and match.first_match == START)
        last = live[match.loan_id][0][0] if match.loan_id in live else END
        assert match.days_matched == (last - match.first_match).days + 1
    assert sum(d.matched for d in answer.days) == sum(m.days_matched for m in answer.matches)


def test_a_daily_rule_s_change_is_followed_by_the_cascade_real_time_would_run(small):
    # Given a rulebook of an unsaved daily rule (a status) and an unsaved real-time rule reacting to it
    from lms.automation.backtest import backtest

    mark = {
        "name": "Mark",
        "criteria": "(and (= status-days-past-due 60) (not charged-off))",
        "evalRealTime": False,
        "actions": [{"type": "loan-settings", "loanSubStatus": "Past Due"}],
    }
    react = {
        "name": "React",
        "criteria": '(= loan-sub-status "Past Due")',
        "evalDaily": False,
        "actions": [{"type": "loan-checklist", "check": ["Sixty"]}],
    }

    # When the rulebook is exactly those two rules
    answer = backtest(small["tenant"], _request(rulebook={"rules": [mark, react]}))

    # Then every day the first matched, the second followed in its cascade, and nothing moved money
    matched = [d for d in answer.days if d.matched]
    assert matched and all(d.cascades == d.matched for d in matched)
    assert all(d.actions == {"loan-settings": d.matched, "loan-checklist": d.matched} for d in matched)
    assert all(d.money.charge_offs == 0 and d.money.credits == 0 for d in answer.days)
    assert answer.rule_ids == ["proposed-1", "proposed-2"]


def test_comparing_two_rulebooks_lists_the_loan_days_they_decide_differently(small):
    # Given the saved rulebook, and the same with the charge-off at 100 days instead of 120
    from lms.automation.backtest import backtest

    charge_off, forty = small["rules"]
    earlier = {**CHARGE_OFF, "criteria": "(and (>= status-days-past-due 100) (not charged-off))"}

    # When the change is compared with the rulebook as it is
    answer = backtest(small["tenant"], _request(rulebook={"replace": {charge_off: earlier}}, compare={}))

    # Then the loans differ on the days from 100 days past due until the live charge-off: the replacement
    # keeps the saved rule's id, so the days both charge off are the same decision
    assert answer.rule_ids == answer.compare_rule_ids == [charge_off, forty]
    assert answer.differences and answer.differences_total == len(answer.differences)
    for difference in answer.differences:
        assert (difference.matched, difference.compare_matched) == ([charge_off], [])
    assert answer.compare_loans_matched is not None and answer.compare_loans_matched <= answer.loans_matched


def test_the_day_s_stepped_recomputation_is_exactly_the_full_replay(small, monkeypatch):
    # Given rules whose actions make transactions (so each match recomputes the loan), with every backtest
    # recomputation checked against the engine's own (a replay from the contract date)
    import dataclasses

    from lms.automation import backtest as module
    from lms.automation.run import Run

    checked = []
    stepped = module._PastRun.recompute

    def both(run):
        full = dataclasses.replace(run)
        Run.recompute(full)
        stepped(run)
        fields = ("values", "ledger", "as_of", "charged_off", "interest_stopped", "pending_from")
        assert [getattr(run.loan, f) for f in fields] == [getattr(full.loan, f) for f in fields]
        checked.append(run.loan.id)

    monkeypatch.setattr(module._PastRun, "recompute", both)
    credit = {
        "name": "Goodwill",
        "criteria": "(and (>= status-days-past-due 20) (not charged-off))",
        "actions": [
            {"type": "credit", "amount": {"base": "zero", "plus": "10.00"}, "applyTo": ["interest", "principal"]},
            {"type": "stop-interest", "mode": "suspend", "daysFromApplied": 3},
            {"type": "apd-reset", "adjustment": "fixed", "amount": "5.00", "resetDaysPastDue": False},
        ],
    }

    # When the rulebook with it is backtested
    answer = module.backtest(small["tenant"], _request(rulebook={"add": [credit]}))

    # Then every recomputation agreed (and there were many)
    assert len(checked) > 50 and answer.loans_matched
    assert sum(d.money.credits for d in answer.days) > 0 and sum(d.money.apd_resets for d in answer.days) > 0


def test_slices_merged_answer_as_one_backtest_of_all_their_loans(small):
    from lms.automation.backtest import backtest, backtest_loans, loan_ids, merge

    request = _request(rulebook={}, compare={"remove": [small["rules"][1]]})
    ids = loan_ids(small["tenant"], request, limit=None)
    whole = backtest(small["tenant"], request)
    slices = [backtest_loans(small["tenant"], request, ids[i : i + 5]) for i in range(0, len(ids), 5)]
    assert merge(slices).model_dump(mode="json") == whole.model_dump(mode="json")
    # as a job keeps them: the request and each slice's answer as JSON, read back
    from lms.contract.backtest import BacktestRequest, BacktestResult

    kept = [BacktestResult.model_validate(p.model_dump(mode="json", by_alias=True)) for p in slices]
    assert merge(kept).model_dump(mode="json") == whole.model_dump(mode="json")
    again = BacktestRequest.model_validate(request.model_dump(mode="json", by_alias=True, exclude_none=True))
    assert again == request
    assert merge([backtest_loans(small["tenant"], request, [])]).loans == 0


def test_a_sample_takes_the_first_loans_in_id_order(small):
    from lms.automation.backtest import backtest

    answer = backtest(small["tenant"], _request(ruleId=small["rules"][0], sample=5))
    assert answer.loans == 5 and answer.loan_days == 5 * 90


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"ruleId": "rul_x", "from": "2026-03-10", "to": "2026-03-01"}, "to"),  # to before from
        ({"ruleId": "rul_x", "from": "2025-01-01", "to": "2026-01-02"}, "to"),  # 367 days
        ({"ruleId": "rul_x", "loanIds": ["loan_x"], "sample": 3}, "sample"),
        ({"ruleId": "rul_x", "rule": CHARGE_OFF}, "exactly one of ruleId, rule and rulebook"),
        ({}, "exactly one of ruleId, rule and rulebook"),
        ({"rulebook": {"rules": ["rul_x"], "add": [CHARGE_OFF]}}, "add"),
        ({"rulebook": {"remove": ["rul_x"], "replace": {"rul_x": CHARGE_OFF}}}, "both removed and replaced"),
    ],
)
def test_a_request_that_contradicts_itself_is_refused(fields, where):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as refused:
        _request(**fields)
    assert where in str(refused.value)


def test_unknown_rules_are_404_and_unknown_loans_422_naming_them(small):
    from lms.automation.backtest import backtest
    from lms.errors import Invalid, NotFound

    tenant = small["tenant"]
    with pytest.raises(NotFound):
        backtest(tenant, _request(ruleId="rul_nothere"))
    with pytest.raises(NotFound):
        backtest(tenant, _request(rulebook={"replace": {"rul_nothere": CHARGE_OFF}}))
    with pytest.raises(Invalid) as unknown:
        backtest(tenant, _request(ruleId=small["rules"][0], loanIds=[small["loans"][0], "loan_nothere"]))
    assert unknown.value.details == [{"field": "loanIds", "message": "unknown loan loan_nothere"}]
    with pytest.raises(Invalid) as invalid:
        backtest(tenant, _request(rule={**CHARGE_OFF, "criteria": "(> status-days-past-due"}))
    assert invalid.value.details[0]["field"] == "rule.criteria"
    with pytest.raises(Invalid) as label:
        backtest(tenant, _request(rule={**FORTY, "actions": [{"type": "loan-checklist", "check": ["Nope"]}]}))
    assert label.value.details[0]["field"].startswith("rule.actions[0]")
