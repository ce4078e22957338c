"""Every rule action (docs/rules.md#actions) applied to a loan, through the HTTP API and either the
streams (`pump.drain()`: real-time evaluation) or force; each test checks the loan (or customer)
afterwards and the loan's audit log. Also: apd-reset does nothing when nothing is past due,
preactivation rules never touch activated loans, an inactive rule runs only by force, and the
actions of one rule apply in order.

The tenant's today is 2026-03-20 throughout. The standard loan (12,000.00 at 9.5 %, 36 monthly
installments of 384.40 from 2026-02-15, contract 2026-01-15) is then two installments behind:
768.80 past due, 33 days past due, payoff 12,199.68, per diem 3.12.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import TenantApi, make_customer, make_loan, new_tenant, prepared

TODAY = "2026-03-20"
PAST_DUE = {"daysPastDue": 33, "amountPastDue": "768.80", "payoff": "12199.68", "perDiem": "3.12"}


@pytest.fixture
def lender(aws) -> TenantApi:
    """The tenant with a frozen today and the labels the actions below name: the same tenant in every test
    (made once per process, then copied into each test's fresh account; see tests.conftest.prepared)."""
    return prepared("actions-lender", _lender)


def _lender() -> TenantApi:
    api = new_tenant("First Lender")
    assert api.put("/tenant", {"businessDate": TODAY}).status == 200
    for body in (
        {"title": "Collections", "subPortfolios": ["Early", "Late"]},
        {"title": "Legal", "subPortfolios": ["Attorney"]},
        {"title": "Recovery"},
    ):
        assert api.post("/portfolios", body).status == 201
    for title in ("Called", "Letter sent"):
        assert api.post("/checklist-items", {"title": title}).status == 201
    assert api.post("/customer-statuses", {"title": "SCRA"}).status == 201
    assert (
        api.post(
            "/loan-statuses", {"title": "Delinquent", "subStatuses": [{"title": "30 Days"}, {"title": "60 Days"}]}
        ).status
        == 201
    )
    return api


def _loan(api, pump, customers=None, *, activate=True, **fields) -> dict:
    """A loan (activated unless told otherwise) whose creation the streams have already delivered,
    so no rule made after this has seen it yet."""
    if customers is None:
        customers = [(make_customer(api)["id"], "primary")]
    loan = make_loan(api, customers, **fields)
    if activate:
        assert api.post(f"/loans/{loan['id']}/activate").status == 200
    pump.drain()
    return _get(api, loan["id"])


def _get(api, loan_id: str) -> dict:
    reply = api.get(f"/loans/{loan_id}")
    assert reply.status == 200, reply
    return reply.json


def _rule(api, actions: list[dict], criteria: str = '(= loan-status "Open")', **settings) -> dict:
    reply = api.post("/rules", {"name": "rule", "criteria": criteria, "actions": actions, **settings})
    assert reply.status == 201, reply
    return reply.json


def _force(api, loan_id: str, rule_id: str) -> dict:
    reply = api.post(f"/loans/{loan_id}/rules/{rule_id}/force", {"explain": True})
    assert reply.status == 200, reply
    return reply.json


def _log(api, loan_id: str) -> list[dict]:
    reply = api.get(f"/loans/{loan_id}/rule-applications")
    assert reply.status == 200, reply
    return reply.json["items"]


def _touch(api, loan_id: str, **fields) -> None:
    """An interaction through the API (a custom field change): a real-time trigger."""
    reply = api.put(f"/loans/{loan_id}", {"customFields": {"Touched": "yes"}, **fields})
    assert reply.status == 200, reply


def _transactions(api, loan_id: str) -> list[dict]:
    return api.get(f"/loans/{loan_id}/transactions").json["items"]


def _only_entry(api, loan_id: str, rule: dict, trigger: str) -> dict:
    log = _log(api, loan_id)
    assert [(e["ruleId"], e["ruleVersion"], e["trigger"], e["matched"], e["error"]) for e in log] == [
        (rule["id"], 1, trigger, True, None)
    ], log
    return log[0]


def _values(loan: dict, *names: str) -> dict:
    return {name: loan["values"][name] for name in names}


# ---------------------------------------------------------------- loan-settings


def test_loan_settings_set_status_credit_status_portfolios_and_custom_fields(lender, pump):
    api = lender
    loan = _loan(
        api,
        pump,
        portfolios=["Collections", "Legal"],
        subPortfolios=["Late", "Attorney"],
        customFields={"Stage": "new"},
    )
    rule = _rule(
        api,
        [
            {
                "type": "loan-settings",
                "loanStatus": "Delinquent",
                "loanSubStatus": "30 Days",
                "creditStatus": "71",
                "addPortfolios": ["Recovery"],
                "removePortfolios": ["Legal"],
                "addSubPortfolios": ["Early"],
                "removeSubPortfolios": ["Late"],
                "customFields": {
                    "Stage": "collections",
                    "Flagged": True,
                    "Settlement offer": {"base": "payoff", "plus": "10.00"},
                },
            }
        ],
        criteria="(> status-days-past-due 30)",
    )

    _touch(api, loan["id"])
    pump.drain()

    after = _get(api, loan["id"])
    assert (after["loanStatus"], after["loanSubStatus"], after["creditStatus"]) == ("Delinquent", "30 Days", "71")
    # Removing Legal takes its sub-portfolio Attorney with it.
    assert after["portfolios"] == ["Collections", "Recovery"] and after["subPortfolios"] == ["Early"]
    assert after["customFields"] == {
        "Stage": "collections",
        "Touched": "yes",
        "Flagged": True,
        "Settlement offer": "12209.68",
    }
    assert after["values"] == loan["values"]  # labels only: balances untouched
    entry = _only_entry(api, loan["id"], rule, "loan-changed")
    assert entry["variables"] == {"status-days-past-due": 33}
    assert entry["actionsApplied"] == [
        {
            "type": "loan-settings",
            "loanStatus": "Delinquent",
            "loanSubStatus": "30 Days",
            "creditStatus": "71",
            "portfolios": ["Collections", "Recovery"],
            "subPortfolios": ["Early"],
            "customFields": {"Stage": "collections", "Touched": "yes", "Flagged": True, "Settlement offer": "12209.68"},
        }
    ]
    assert pump.failed == []


def test_loan_settings_sub_status_alone_keeps_the_status(lender, pump):
    api = lender
    loan = _loan(api, pump)
    assert api.put(f"/loans/{loan['id']}", {"loanStatus": "Delinquent", "loanSubStatus": "30 Days"}).status == 200
    rule = _rule(api, [{"type": "loan-settings", "loanSubStatus": "60 Days"}], criteria='(= loan-status "Delinquent")')

    result = _force(api, loan["id"], rule["id"])

    assert result["matched"] and result["actionsApplied"] == [
        {"type": "loan-settings", "loanStatus": "Delinquent", "loanSubStatus": "60 Days"}
    ]
    after = _get(api, loan["id"])
    assert (after["loanStatus"], after["loanSubStatus"]) == ("Delinquent", "60 Days")


# ---------------------------------------------------------------- account-tools


def test_account_tools_activate_by_a_preactivation_rule_in_real_time(lender, pump):
    api = lender
    rule = _rule(
        api,
        [{"type": "account-tools", "operation": "activate"}],
        criteria='(= loan-status "Application")',
        preactivation=True,
    )

    loan = make_loan(api, [(make_customer(api)["id"], "primary")])
    assert loan["active"] is False
    pump.drain()

    after = _get(api, loan["id"])
    assert after["active"] is True and (after["loanStatus"], after["loanSubStatus"]) == ("Open", "Repaying")
    assert _values(after, *PAST_DUE) == PAST_DUE  # activation brought the values to today
    entry = _only_entry(api, loan["id"], rule, "loan-created")
    assert entry["variables"] == {"loan-status": "Application"}
    assert entry["actionsApplied"] == [{"type": "account-tools", "active": True}]
    assert pump.failed == []


@pytest.mark.parametrize(
    "operation, active, archived",
    [
        ("inactivate", False, False),
        ("archive", True, True),
        ("delete", False, True),  # rules never hard-delete: archived and inactivated
    ],
)
def test_account_tools_inactivate_archive_delete(lender, pump, operation, active, archived):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(api, [{"type": "account-tools", "operation": operation}])

    result = _force(api, loan["id"], rule["id"])

    after = _get(api, loan["id"])  # still there, even after delete
    assert (after["active"], after["archived"]) == (active, archived)
    changed = {k: v for k, v in {"active": active, "archived": archived}.items() if loan[k] != v}
    assert result["actionsApplied"] == [{"type": "account-tools", **changed}]
    assert _only_entry(api, loan["id"], rule, "force")["actionsApplied"] == result["actionsApplied"]


def test_account_tools_archive_in_real_time_puts_the_loan_out_of_reach(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(api, [{"type": "account-tools", "operation": "archive"}], criteria="(> status-days-past-due 30)")

    _touch(api, loan["id"])
    pump.drain()
    archived = _get(api, loan["id"])
    _touch(api, loan["id"], checklist=["Called"])  # archived: no rule applies any more
    pump.drain()

    assert (archived["archived"], archived["active"]) == (True, True)
    entry = _only_entry(api, loan["id"], rule, "loan-changed")
    assert entry["actionsApplied"] == [{"type": "account-tools", "archived": True}]
    assert pump.failed == []


def test_a_charge_off_credit_through_the_api_runs_the_rules_once(lender, pump):
    api = lender
    loan = _loan(api, pump)
    hook = _webhook(api)
    rule = _rule(api, [{"type": "notify", "webhookId": hook}], criteria="charged-off")

    assert api.post(f"/loans/{loan['id']}/credits", {"amount": "100.00", "chargeOff": True}).status == 201
    pump.drain()

    _only_entry(api, loan["id"], rule, "credit")


# ---------------------------------------------------------------- apd-reset


def test_apd_reset_zero_after_a_payment_in_real_time(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(api, [{"type": "apd-reset", "adjustment": "zero"}], criteria="(> status-amount-due 0)")

    assert api.post(f"/loans/{loan['id']}/payments", {"amount": "100.00"}).status == 201
    pump.drain()

    after = _get(api, loan["id"])
    assert _values(after, "amountPastDue", "daysPastDue", "payoff", "principalBalance") == {
        "amountPastDue": "0.00",
        "daysPastDue": 0,
        "payoff": "12099.68",
        "principalBalance": "12000.00",
    }
    entry = _only_entry(api, loan["id"], rule, "payment")
    assert entry["variables"] == {"status-amount-due": "668.80"}
    [applied] = entry["actionsApplied"]
    assert {k: applied[k] for k in ("type", "amount", "date")} == {
        "type": "apd-reset",
        "amount": "668.80",
        "date": TODAY,
    }
    reset = [t for t in _transactions(api, loan["id"]) if t["type"] == "apd-reset"]
    assert [(t["id"], t["amount"], t["source"]) for t in reset] == [(applied["transactionId"], "668.80", "rule")]


def test_apd_reset_fixed_leaves_that_amount_past_due(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(api, [{"type": "apd-reset", "adjustment": "fixed", "amount": "100.00"}])

    result = _force(api, loan["id"], rule["id"])

    after = _get(api, loan["id"])
    # 100.00 of the 2026-03-15 installment is left unpaid: 5 days past due, balances untouched.
    assert _values(after, "amountPastDue", "daysPastDue", "payoff") == {
        "amountPastDue": "100.00",
        "daysPastDue": 5,
        "payoff": "12199.68",
    }
    assert [{k: a.get(k) for k in ("type", "amount", "date")} for a in result["actionsApplied"]] == [
        {"type": "apd-reset", "amount": "668.80", "date": TODAY}
    ]
    assert _only_entry(api, loan["id"], rule, "force")["actionsApplied"] == result["actionsApplied"]


def test_apd_reset_does_nothing_on_a_current_loan(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(api, [{"type": "apd-reset", "adjustment": "zero"}])

    assert api.post(f"/loans/{loan['id']}/payments", {"amount": "768.80"}).status == 201  # now current
    pump.drain()

    current = _get(api, loan["id"])
    assert _values(current, "amountPastDue", "daysPastDue", "payoff") == {
        "amountPastDue": "0.00",
        "daysPastDue": 0,
        "payoff": "11430.88",
    }
    entry = _only_entry(api, loan["id"], rule, "payment")
    assert entry["actionsApplied"] == [{"type": "apd-reset"}]  # matched, changed nothing

    result = _force(api, loan["id"], rule["id"])  # by force too
    assert result["matched"] and result["actionsApplied"] == [{"type": "apd-reset"}]
    assert _get(api, loan["id"]) == current  # not even written again
    assert [t["type"] for t in _transactions(api, loan["id"])] == ["payment"]


# ---------------------------------------------------------------- bankruptcy


def test_bankruptcy_never_creates_one(lender, pump):
    # There is no API that records a bankruptcy on a loan (docs/http.md#loans shows `bankruptcy` read-only).
    api = lender
    loan = _loan(api, pump)
    rule = _rule(api, [{"type": "bankruptcy", "chapter": 7, "filingDate": "2026-03-01", "automaticStay": True}])

    result = _force(api, loan["id"], rule["id"])

    assert result["matched"] and result["actionsApplied"] == [{"type": "bankruptcy"}]
    after = _get(api, loan["id"])
    assert after["bankruptcy"] is None and after["version"] == loan["version"]


def _record_bankruptcy(api, loan_id: str, bankruptcy: dict) -> None:
    """Test setup: the record written to the loan in the store as given (POST /loans/{id}/bankruptcies is tested
    in tests/api/test_bankruptcies.py)."""
    from lms.store import loans as loan_store

    current = loan_store.get(api.tenant_id, loan_id)
    assert current is not None
    loan_store.save(api.tenant_id, current.model_copy(update={"bankruptcy": bankruptcy}), current)


def test_bankruptcy_updates_the_active_bankruptcy(lender, pump):
    api = lender
    loan = _loan(api, pump)
    _record_bankruptcy(
        api,
        loan["id"],
        {
            "active": True,
            "chapter": 7,
            "filingDate": "2026-03-01",
            "petitionStatus": "filed",
            "caseNumber": "26-10001",
            "automaticStay": False,
        },
    )
    rule = _rule(
        api,
        [
            {
                "type": "bankruptcy",
                "chapter": 13,
                "petitionStatus": "converted",
                "automaticStay": True,
                "setNull": ["caseNumber"],
            }
        ],
        criteria="(= bankruptcy-chapter 7)",
    )

    result = _force(api, loan["id"], rule["id"])

    expected = {
        "active": True,
        "chapter": 13,
        "filingDate": "2026-03-01",
        "petitionStatus": "converted",
        "caseNumber": None,
        "automaticStay": True,
    }
    assert result["variables"] == {"bankruptcy-chapter": 7}
    assert result["actionsApplied"] == [{"type": "bankruptcy", "bankruptcy": expected}]
    assert _get(api, loan["id"])["bankruptcy"] == expected
    assert _only_entry(api, loan["id"], rule, "force")["actionsApplied"] == result["actionsApplied"]


def test_bankruptcy_leaves_an_inactive_bankruptcy_alone(lender, pump):
    api = lender
    loan = _loan(api, pump)
    closed = {"active": False, "chapter": 7, "filingDate": "2025-06-01", "petitionStatus": "dismissed"}
    _record_bankruptcy(api, loan["id"], closed)
    rule = _rule(api, [{"type": "bankruptcy", "chapter": 13}], criteria="(not bankruptcy-active)")

    result = _force(api, loan["id"], rule["id"])

    assert result["actionsApplied"] == [{"type": "bankruptcy"}]
    assert _get(api, loan["id"])["bankruptcy"] == closed


# ---------------------------------------------------------------- change-due-date


def _due_dates(api, loan_id: str) -> list[str]:
    reply = api.get(f"/loans/{loan_id}/schedule")
    assert reply.status == 200, reply
    return [row["dueDate"] for row in reply.json["items"]]


def test_change_due_date_shift_days_with_a_fee(lender, pump):
    api = lender
    loan = _loan(api, pump)
    before = _due_dates(api, loan["id"])
    rule = _rule(api, [{"type": "change-due-date", "shiftDays": 5, "chargeFee": "25.00"}])

    result = _force(api, loan["id"], rule["id"])

    dates = _due_dates(api, loan["id"])
    assert before[:4] == ["2026-02-15", "2026-03-15", "2026-04-15", "2026-05-15"] and before[-1] == "2029-01-15"
    assert dates[:4] == ["2026-02-15", "2026-03-15", "2026-04-20", "2026-05-20"] and dates[-1] == "2029-01-20"
    after = _get(api, loan["id"])
    assert _values(after, "nextPaymentDate", "dueFees", "payoff", "amountPastDue") == {
        "nextPaymentDate": "2026-04-20",
        "dueFees": "25.00",
        "payoff": "12224.68",
        "amountPastDue": "768.80",
    }
    [applied] = result["actionsApplied"]
    assert applied == {
        "type": "change-due-date",
        "installment": 3,
        "from": "2026-04-15",
        "to": "2026-04-20",
        "feeTransactionId": applied["feeTransactionId"],
    }
    assert [(t["id"], t["type"], t["amount"], t["source"]) for t in _transactions(api, loan["id"])] == [
        (applied["feeTransactionId"], "charge", "25.00", "rule")
    ]
    assert _only_entry(api, loan["id"], rule, "force")["actionsApplied"] == result["actionsApplied"]


def test_change_due_date_to_a_new_due_date(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(api, [{"type": "change-due-date", "newDueDate": "2026-04-30"}])

    result = _force(api, loan["id"], rule["id"])

    assert result["actionsApplied"] == [
        {"type": "change-due-date", "installment": 3, "from": "2026-04-15", "to": "2026-04-30"}
    ]
    dates = _due_dates(api, loan["id"])
    assert dates[:4] == ["2026-02-15", "2026-03-15", "2026-04-30", "2026-05-30"] and dates[-1] == "2029-01-30"
    after = _get(api, loan["id"])
    assert _values(after, "nextPaymentDate", "dueFees") == {"nextPaymentDate": "2026-04-30", "dueFees": "0.00"}
    assert _transactions(api, loan["id"]) == []


# ---------------------------------------------------------------- credit


def test_credit_of_the_payoff_with_charge_off(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(
        api,
        [{"type": "credit", "amount": {"base": "payoff"}, "category": "Charge-off", "chargeOff": True}],
        criteria="(> status-days-past-due 30)",
    )

    result = _force(api, loan["id"], rule["id"])

    after = _get(api, loan["id"])
    assert after["chargedOff"] is True
    assert _values(after, "payoff", "amountPastDue", "perDiem", "totalPaid") == {
        "payoff": "0.00",
        "amountPastDue": "0.00",
        "perDiem": "0.00",
        "totalPaid": "0.00",
    }
    [applied] = result["actionsApplied"]
    assert applied == {
        "type": "credit",
        "transactionId": applied["transactionId"],
        "amount": "12199.68",
        "chargeOff": True,
    }
    [credit] = _transactions(api, loan["id"])
    assert (
        credit["id"],
        credit["type"],
        credit["amount"],
        credit["category"],
        credit["chargeOff"],
        credit["source"],
    ) == (applied["transactionId"], "credit", "12199.68", "Charge-off", True, "rule")
    assert _only_entry(api, loan["id"], rule, "force")["actionsApplied"] == result["actionsApplied"]


def test_credit_with_reset_past_due(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(api, [{"type": "credit", "amount": {"base": "zero", "plus": "50.00"}, "resetPastDue": True}])

    result = _force(api, loan["id"], rule["id"])

    after = _get(api, loan["id"])
    assert after["chargedOff"] is False
    assert _values(after, "payoff", "amountPastDue", "daysPastDue") == {
        "payoff": "12149.68",
        "amountPastDue": "0.00",
        "daysPastDue": 0,
    }
    [applied] = result["actionsApplied"]
    assert (applied["type"], applied["amount"], applied["chargeOff"]) == ("credit", "50.00", False)
    assert applied["apdReset"]["amount"] == "718.80"  # what was still past due after the credit
    assert sorted((t["type"], t["amount"]) for t in _transactions(api, loan["id"])) == [
        ("apd-reset", "718.80"),
        ("credit", "50.00"),
    ]


# ---------------------------------------------------------------- customer-tools


@pytest.mark.parametrize(
    "target, changed",
    [
        ("primary", {"primary"}),
        ("secondary", {"secondary"}),
        ("all", {"primary", "secondary", "additional"}),
    ],
)
def test_customer_tools_set_status_and_validate(lender, pump, target, changed):
    api = lender
    people = {
        "primary": make_customer(
            api,
            email="ada@example.com",
            phone="+1 555 010 0199",
            address={"line1": "1 Main St", "city": "Springfield", "postalCode": "12345"},
        ),
        "secondary": make_customer(api, firstName="Bea", email="not-an-email"),
        "additional": make_customer(api, firstName="Cy", phone="555-0100"),
    }
    loan = _loan(api, pump, [(c["id"], role) for role, c in people.items()])
    rule = _rule(api, [{"type": "customer-tools", "target": target, "setStatus": "scra", "validate": True}])

    result = _force(api, loan["id"], rule["id"])

    statuses = {role: api.get(f"/customers/{c['id']}").json["status"] for role, c in people.items()}
    assert statuses == {role: "SCRA" if role in changed else "Active" for role in people}
    validation = {
        "primary": {"email": True, "phone": True, "address": True},
        "secondary": {"email": False, "phone": False, "address": False},
        "additional": {"email": False, "phone": True, "address": False},
    }
    expected = {
        "type": "customer-tools",
        **{people[role]["id"]: {"status": "SCRA", "validation": validation[role]} for role in changed},
    }
    assert result["actionsApplied"] == [expected]
    assert _only_entry(api, loan["id"], rule, "force")["actionsApplied"] == [expected]


def test_customer_tools_in_real_time_settles(lender, pump):
    api = lender
    borrower = make_customer(api)
    loans = [_loan(api, pump, [(borrower["id"], "primary")]) for _ in range(2)]
    rule = _rule(
        api,
        [{"type": "customer-tools", "target": "primary", "setStatus": "SCRA"}],
        criteria='(= customer.primary.status "Active")',
    )

    _touch(api, loans[0]["id"])
    pump.drain()

    assert api.get(f"/customers/{borrower['id']}").json["status"] == "SCRA"
    entry = _only_entry(api, loans[0]["id"], rule, "loan-changed")
    assert entry["actionsApplied"] == [{"type": "customer-tools", borrower["id"]: {"status": "SCRA"}}]
    # The customer change re-evaluated the borrower's other loan: the criteria no longer holds.
    assert _log(api, loans[1]["id"]) == []
    assert pump.failed == []


# ---------------------------------------------------------------- loan-checklist


def test_loan_checklist_check_and_uncheck_in_real_time(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(
        api,
        [{"type": "loan-checklist", "check": ["letter SENT"], "uncheck": ["Called"]}],
        criteria='(contains? checklist "Called")',
    )

    assert api.put(f"/loans/{loan['id']}", {"checklist": ["Called"]}).status == 200
    pump.drain()

    assert _get(api, loan["id"])["checklist"] == ["Letter sent"]
    entry = _only_entry(api, loan["id"], rule, "loan-changed")
    assert entry["variables"] == {"checklist": ["Called"]}
    assert entry["actionsApplied"] == [{"type": "loan-checklist", "checklist": ["Letter sent"]}]
    assert pump.failed == []


# ---------------------------------------------------------------- stop-interest


def test_stop_interest_suspend_then_resume(lender, pump):
    api = lender
    loan = _loan(api, pump)
    suspend = _rule(api, [{"type": "stop-interest", "mode": "suspend"}], criteria="(not interest-stopped)")
    resume = _rule(api, [{"type": "stop-interest", "mode": "resume"}], criteria="interest-stopped")

    suspended = _force(api, loan["id"], suspend["id"])
    stopped = _get(api, loan["id"])
    resumed = _force(api, loan["id"], resume["id"])
    running = _get(api, loan["id"])

    assert (stopped["interestStopped"], stopped["values"]["perDiem"]) == (True, "0.00")
    assert (running["interestStopped"], running["values"]["perDiem"]) == (False, "3.12")
    assert [a["mode"] for a in suspended["actionsApplied"] + resumed["actionsApplied"]] == ["suspend", "resume"]
    assert [(t["type"], t["date"], t["source"]) for t in _transactions(api, loan["id"])] == [
        ("stop-interest", TODAY, "rule"),
        ("resume-interest", TODAY, "rule"),
    ]
    log = _log(api, loan["id"])
    assert sorted((e["ruleId"], e["trigger"], e["actionsApplied"][0]["type"]) for e in log) == sorted(
        [(suspend["id"], "force", "stop-interest"), (resume["id"], "force", "stop-interest")]
    )
    # With interest running again, the resume rule no longer matches.
    assert _force(api, loan["id"], resume["id"])["matched"] is False


def test_stop_interest_takes_effect_from_the_day_the_audit_says(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(api, [{"type": "stop-interest", "mode": "suspend"}])

    [applied] = _force(api, loan["id"], rule["id"])["actionsApplied"]

    accrued = Decimal(_get(api, loan["id"])["values"]["interestAccrued"])
    today_interest = Decimal("3.12") if applied["from"] == TODAY else Decimal("0.00")
    assert accrued == Decimal(loan["values"]["interestAccrued"]) - today_interest, applied


# ---------------------------------------------------------------- notify


def test_notify_names_an_existing_webhook(lender):
    made = lender.post(
        "/rules",
        {
            "name": "Tell",
            "criteria": "(> status-days-past-due 30)",
            "actions": [{"type": "notify", "webhookId": "whk_01ARZ3NDEKTSV4RRFFQ69G5FAV"}],
        },
    )
    assert made.status == 422 and made.json["error"]["details"][0]["field"] == "actions[0].webhookId", made


def _webhook(api) -> str:
    made = api.post("/webhooks", {"name": "Collections", "url": "https://collections.example.com/hook"})
    assert made.status == 201, made
    return made.json["id"]


def test_notify_records_the_webhook_queued(lender, pump):
    api = lender
    loan = _loan(api, pump)
    hook = _webhook(api)
    rule = _rule(api, [{"type": "notify", "webhookId": hook}], criteria="(> status-days-past-due 30)")

    _touch(api, loan["id"])
    pump.drain()

    entry = _only_entry(api, loan["id"], rule, "loan-changed")
    assert entry["actionsApplied"] == [{"type": "notify", "webhookId": hook, "queued": True}]
    assert "notifications" not in entry  # the variables travel with the entry, never shown
    touched = _get(api, loan["id"])
    assert touched["customFields"] == {"Touched": "yes"} and touched["values"] == loan["values"]


# ---------------------------------------------------------------- when actions apply


def test_a_preactivation_rule_never_touches_an_activated_loan(lender, pump):
    api = lender
    activated = _loan(api, pump)
    pending = _loan(api, pump, activate=False)
    rule = _rule(
        api,
        [{"type": "loan-settings", "addPortfolios": ["Collections"]}],
        criteria="(= setup-loan-term 36)",
        preactivation=True,
    )

    for loan in (activated, pending):
        _touch(api, loan["id"])
    pump.drain()

    assert _get(api, activated["id"])["portfolios"] == [] and _log(api, activated["id"]) == []
    assert _get(api, pending["id"])["portfolios"] == ["Collections"]
    _only_entry(api, pending["id"], rule, "loan-changed")

    # Once activated, the pending loan is out of the rule's reach too.
    assert api.post(f"/loans/{pending['id']}/activate").status == 200
    assert api.put(f"/loans/{pending['id']}", {"portfolios": []}).status == 200
    assert api.post(f"/loans/{pending['id']}/payments", {"amount": "10.00"}).status == 201
    _touch(api, activated["id"], portfolios=["Legal"])
    pump.drain()
    assert _get(api, pending["id"])["portfolios"] == [] and len(_log(api, pending["id"])) == 1
    assert _get(api, activated["id"])["portfolios"] == ["Legal"] and _log(api, activated["id"]) == []
    assert pump.failed == []


def test_an_inactive_rule_runs_only_by_force(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(api, [{"type": "loan-settings", "addPortfolios": ["Collections"]}], active=False)

    _touch(api, loan["id"])
    assert api.post(f"/loans/{loan['id']}/payments", {"amount": "10.00"}).status == 201
    assert api.put(f"/customers/{loan['customers'][0]['customerId']}", {"status": "SCRA"}).status == 200
    pump.drain()
    assert _get(api, loan["id"])["portfolios"] == [] and _log(api, loan["id"]) == []

    result = _force(api, loan["id"], rule["id"])
    pump.drain()  # the forced change's own stream record runs nothing either

    assert result["matched"] and result["actionsApplied"] == [{"type": "loan-settings", "portfolios": ["Collections"]}]
    assert result["variables"] == {"loan-status": "Open"}
    assert _get(api, loan["id"])["portfolios"] == ["Collections"]
    _only_entry(api, loan["id"], rule, "force")


def test_actions_apply_in_order_each_seeing_the_ones_before(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(
        api,
        [
            {"type": "loan-settings", "addPortfolios": ["Collections"]},
            {"type": "loan-settings", "addSubPortfolios": ["Early"]},  # needs Collections on the loan
            {"type": "credit", "amount": {"base": "zero", "plus": "100.00"}},
            {"type": "loan-settings", "customFields": {"Payoff after credit": {"base": "payoff"}}},
        ],
    )

    result = _force(api, loan["id"], rule["id"])

    after = _get(api, loan["id"])
    assert (after["portfolios"], after["subPortfolios"]) == (["Collections"], ["Early"])
    assert after["values"]["payoff"] == "12099.68"
    assert after["customFields"] == {"Payoff after credit": "12099.68"}
    assert [a["type"] for a in result["actionsApplied"]] == [
        "loan-settings",
        "loan-settings",
        "credit",
        "loan-settings",
    ]


def test_actions_in_the_wrong_order_fail_and_change_nothing(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(
        api,
        [
            {"type": "credit", "amount": {"base": "zero", "plus": "100.00"}},
            {"type": "loan-settings", "addSubPortfolios": ["Early"]},  # Collections is not on the loan yet
            {"type": "loan-settings", "addPortfolios": ["Collections"]},
        ],
    )

    result = _force(api, loan["id"], rule["id"])

    assert result["matched"] is False and result["actionsApplied"] == []
    assert "Early" in result["error"]
    after = _get(api, loan["id"])
    assert (after["portfolios"], after["subPortfolios"], after["values"]) == ([], [], loan["values"])
    assert _transactions(api, loan["id"]) == []
    [entry] = _log(api, loan["id"])
    assert (entry["matched"], entry["actionsApplied"], entry["error"]) == (False, [], result["error"])
