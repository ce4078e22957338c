"""A run builds its loan's rule context once and shares it across the run's rules (issue 20: 20 rules on a loan
built it 20 times), and builds it again when an action changed what it is built from: the loan, its customers,
the run's transactions."""

from __future__ import annotations

import pytest

from lms.automation import context as context_module
from lms.automation import engine
from lms.automation.run import Run
from tests.conftest import make_customer, make_loan

CHECK = {"type": "loan-checklist", "check": ["Seen"]}


@pytest.fixture
def run_of(api):
    from lms import customers, loans
    from lms.labels import load as load_labels

    assert api.put("/tenant", {"businessDate": "2026-01-10"}).status == 200
    assert api.post("/checklist-items", {"title": "Seen"}).status == 201
    customer = make_customer(api)
    made = make_loan(api, [(customer["id"], "primary")])
    loan = loans.get(api.tenant_id, made["id"])

    def build() -> Run:
        return Run(
            loan=loan,
            customers={customer["id"]: customers.get(api.tenant_id, customer["id"])},
            labels=load_labels(api.tenant_id),
            today=loan.as_of,
            load_transactions=lambda: [],
        )

    return build


def _counting(monkeypatch) -> list[int]:
    """Each context built, counted."""
    built: list[int] = []
    real = context_module.loan_context

    def counted(*args, **kwargs):
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("lms.automation.run.loan_context", counted)
    return built


def _rules(api, *criteria: str):
    from lms.automation.rulebook import every

    for text in criteria:
        assert api.post("/rules", {"name": text[:40], "criteria": text, "actions": [CHECK]}).status == 201
    return every(api.tenant_id)


def test_the_rules_of_a_run_share_one_context(api, run_of, monkeypatch):
    built = _counting(monkeypatch)
    rules = _rules(api, *[f"(> status-days-past-due {1000 + i})" for i in range(5)])
    evaluations = engine.evaluate(run_of(), rules)
    assert [e.matched for e in evaluations] == [False] * 5
    assert len(built) == 1


def test_a_rule_that_changes_the_loan_is_seen_by_the_next(api, run_of, monkeypatch):
    built = _counting(monkeypatch)
    rules = _rules(
        api, '(not (contains? checklist "Seen"))', '(contains? checklist "Seen")', '(contains? checklist "Seen")'
    )
    evaluations = engine.evaluate(run_of(), rules)
    assert [e.matched for e in evaluations] == [True, True, True]  # the second saw the first's check
    assert evaluations[1].variables == {"checklist": ["Seen"]}
    assert len(built) == 2  # before the first rule, and once after it changed the loan


def test_customers_and_transactions_of_the_run_are_part_of_its_state(run_of):
    run = run_of()
    first = run.context()
    assert run.context() is first
    [(customer_id, customer)] = run.customers.items()
    run.customers[customer_id] = customer.model_copy(update={"status": "SCRA"})
    changed = run.context()
    assert changed is not first and changed["customer.primary.status"] == "SCRA"
    run.customers[customer_id] = customer  # put back (a failed rule's run restored): the state it was
    assert run.context()["customer.primary.status"] == customer.status
    run.new_transactions.append(object())  # a rule-made transaction: the history group reads them
    assert run.context() is not changed
