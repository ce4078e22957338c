"""LoanPro's action options (docs/rules.md#actions): the 22 amount bases, resetDaysPastDue, the credit type
(the balances a credit pays, in order) and Customer Tools' apply role, on the hand-computed loan of
test_loanpro_variables and on the standard loan of test_actions."""

from __future__ import annotations

from decimal import Decimal
from typing import get_args

import pytest

from lms.automation.amounts import BASES
from lms.contract.rules import AmountBase
from local.queues import drain_all
from tests.automation import test_actions, test_loanpro_variables
from tests.automation.test_actions import _get, _loan, _rule, _transactions, _values
from tests.conftest import TenantApi, make_customer, new_tenant, prepared


@pytest.fixture
def lender(aws) -> TenantApi:
    """test_actions' tenant (today 2026-03-20, its labels), the same prepared state."""
    return prepared("actions-lender", test_actions._lender)


@pytest.fixture
def hand(aws) -> tuple[TenantApi, dict]:
    """test_loanpro_variables' hand-computed loan, the same prepared state."""
    return prepared("loanpro-hand-computed-loan", test_loanpro_variables._hand_computed_loan)


# The hand-computed loan (1,200.00 at 0 %, 12 x 100.00, paid 100.00 once, 97 days past due, 400.00 past due,
# 30.00 of late fees): each base by hand.
BY_HAND = {
    "zero": "0.00",
    "amount-past-due": "400.00",
    "principal-balance": "1100.00",
    "payoff": "1130.00",
    "due-fees": "30.00",
    "due-principal": "400.00",  # at 0 % every installment is principal
    "due-interest": "0.00",
    "due-escrow": "0.00",  # no escrow is kept
    "payoff-fees": "30.00",  # the payoff's fees: the three late fees
    "remaining-discount": "0.00",
    "remaining-interest": "0.00",  # 0 %: the schedule has no interest
    "total-advancements": "0.00",
    "total-credits": "0.00",
    "next-autopay-amount": "0.00",  # no AutoPay
    "available-credit": "0.00",
    "last-payment-amount": "100.00",
    "next-payment-amount": "100.00",
    "total-payments-collected": "100.00",
    "total-loan-amount": "1200.00",
    "underwriting-fee": "0.00",
    "til-finance-charge": "0.00",
    "til-total-of-payments": "1200.00",  # 12 x 100.00
    "interest-accrued": "0.00",
}


def test_the_contract_offers_every_base_the_actions_read():
    assert list(get_args(AmountBase)) == list(BASES)
    assert len(BASES) == 23  # LoanPro's 22 and interest-accrued
    assert set(BY_HAND) == set(BASES)


def _bases(api, loan_id: str, plus: str = "0") -> dict:
    """Every base, read by one loan-settings action into custom fields named after them."""
    fields = {base: {"base": base, "plus": plus} for base in BASES}
    rule = _rule(api, [{"type": "loan-settings", "customFields": fields}], criteria="(> status-payoff 0)")
    reply = api.post(f"/loans/{loan_id}/rules/{rule['id']}/force", {})
    assert reply.status == 200, reply
    return _get(api, loan_id)["customFields"]


def test_every_amount_base_on_the_hand_computed_loan(hand):
    api, loan = hand
    assert _bases(api, loan["id"]) == BY_HAND


def test_a_base_plus_a_fixed_amount(hand):
    api, loan = hand
    got = _bases(api, loan["id"], plus="-25.50")
    assert got["payoff"] == "1104.50" and got["zero"] == "-25.50"


@pytest.mark.parametrize(
    "autopay, expected",
    [
        ({"amountType": "scheduled"}, "100.00"),  # the next installment's payment
        ({"amountType": "fixed", "amount": "75.00"}, "75.00"),
        ({"amountType": "amount-past-due"}, "400.00"),
        ({"amountType": "payoff"}, "1130.00"),
        ({"amountType": "scheduled", "suspended": True}, "0.00"),  # a suspended AutoPay collects nothing
        ({"amountType": "scheduled", "active": False}, "0.00"),
    ],
)
def test_the_next_autopay_amount(hand, autopay, expected):
    api, loan = hand
    reply = api.put(f"/loans/{loan['id']}/autopay", {**autopay, "method": {"type": "ach", "token": "tok_ok"}})
    assert reply.status == 200, reply
    assert _bases(api, loan["id"])["next-autopay-amount"] == expected


def test_the_truth_in_lending_figures_of_an_interest_bearing_loan(lender, pump):
    api = lender
    loan = _loan(api, pump)  # 12,000.00 at 9.5 % over 36 months
    schedule = api.get(f"/loans/{loan['id']}/schedule").json["items"]
    got = _bases(api, loan["id"])
    total = sum(Decimal(row["payment"]) for row in schedule)
    interest = sum(Decimal(row["interest"]) for row in schedule)
    assert Decimal(got["til-total-of-payments"]) == total
    assert Decimal(got["til-finance-charge"]) == interest == total - Decimal("12000.00")
    assert got["remaining-interest"] == got["til-finance-charge"]  # nothing paid yet
    assert got["total-loan-amount"] == "12000.00"


# ---------------------------------------------------------------- resetDaysPastDue

BUCKET_VARIABLES = (
    "status-delinquent-buckets",
    "status-delinquent-bucket-date",
    "status-delinquent-bucket-amount",
    "date-of-first-delinquency",
    "today-minus-dpd",
)


def test_an_apd_reset_that_keeps_the_days_past_due(lender, pump):
    api = lender
    loan = _loan(api, pump)  # 768.80 past due, 33 days (since the 2026-02-15 installment)
    rule = _rule(api, [{"type": "apd-reset", "adjustment": "fixed", "amount": "100.00", "resetDaysPastDue": False}])
    assert api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {}).status == 200

    after = _get(api, loan["id"])
    # The amount past due is reset to 100.00, but the delinquency still dates from 2026-02-15 (with the
    # reset counting, the default, it would be 5 days: test_apd_reset_fixed_leaves_that_amount_past_due).
    assert _values(after, "amountPastDue", "daysPastDue", "payoff") == {
        "amountPastDue": "100.00",
        "daysPastDue": 33,
        "payoff": "12199.68",
    }
    [reset] = _transactions(api, loan["id"])
    assert (reset["type"], reset["amount"], reset["keepsDaysPastDue"]) == ("apd-reset", "668.80", True)

    # The delinquency buckets agree: the 100.00 left past due is the oldest installment's, 33 days old.
    read = "(and " + " ".join(f"(= {v} {v})" for v in BUCKET_VARIABLES) + ")"
    preview = api.post("/rules/preview", {"criteria": read, "limit": 100}).json
    got = next(s["variables"] for s in preview["sample"] if s["loanId"] == loan["id"])
    assert got == {
        "status-delinquent-buckets": 1,
        "status-delinquent-bucket-date": "2026-02-15",
        "status-delinquent-bucket-amount": "100.00",
        "date-of-first-delinquency": "2026-03-17",  # 30 days after the oldest unpaid due date
        "today-minus-dpd": "2026-02-15",
    }

    # A payment of 50.00 leaves 50.00 of that installment unpaid: still 33 days.
    assert api.post(f"/loans/{loan['id']}/payments", {"amount": "50.00"}).status == 201
    assert _values(_get(api, loan["id"]), "amountPastDue", "daysPastDue") == {
        "amountPastDue": "50.00",
        "daysPastDue": 33,
    }
    assert api.post(f"/loans/{loan['id']}/payments", {"amount": "50.00"}).status == 201
    assert _values(_get(api, loan["id"]), "amountPastDue", "daysPastDue") == {
        "amountPastDue": "0.00",
        "daysPastDue": 0,
    }

    # Caught up; then the 2026-04-15 installment is missed: the days past due count from it, not from February.
    assert api.put("/tenant", {"businessDate": "2026-04-20"}).status == 200
    assert api.post(f"/loans/{loan['id']}/payments", {"amount": "0.01"}).status == 201  # values to 04-20
    assert _values(_get(api, loan["id"]), "amountPastDue", "daysPastDue") == {
        "amountPastDue": "384.39",
        "daysPastDue": 5,
    }


def test_a_zero_reset_that_keeps_the_days_past_due_is_refused(lender):
    reply = lender.post(
        "/rules",
        {
            "name": "r",
            "criteria": "(> status-amount-due 0)",
            "actions": [{"type": "apd-reset", "adjustment": "zero", "resetDaysPastDue": False}],
        },
    )
    assert reply.status == 422, reply
    assert "resetDaysPastDue false needs adjustment fixed" in str(reply.json)


# ---------------------------------------------------------------- the credit type


@pytest.mark.parametrize(
    "apply_to, allocation",
    [
        (None, {"fees": "0.00", "interest": "150.00", "principal": "0.00", "unapplied": "0.00"}),
        (["principal"], {"fees": "0.00", "interest": "0.00", "principal": "150.00", "unapplied": "0.00"}),
        (["principal", "interest"], {"fees": "0.00", "interest": "0.00", "principal": "150.00", "unapplied": "0.00"}),
        (["fees", "interest"], {"fees": "0.00", "interest": "150.00", "principal": "0.00", "unapplied": "0.00"}),
    ],
)
def test_a_credit_pays_the_balances_its_type_names_in_order(lender, pump, apply_to, allocation):
    api = lender
    loan = _loan(api, pump)  # 12,000.00 principal and 199.68 of interest accrued, no fees
    body = {"amount": "150.00", **({"applyTo": apply_to} if apply_to else {})}
    reply = api.post(f"/loans/{loan['id']}/credits", body)
    assert reply.status == 201, reply
    assert reply.json["allocation"] == allocation
    assert reply.json.get("applyTo") == apply_to
    after = _get(api, loan["id"])["values"]
    assert Decimal(after["principalBalance"]) == Decimal("12000.00") - Decimal(allocation["principal"])
    assert Decimal(after["interestAccrued"]) == Decimal("199.68") - Decimal(allocation["interest"])


@pytest.mark.parametrize(
    "apply_to, fees, interest",
    [
        (["interest", "fees"], "9.68", "0.00"),  # 199.68 of interest first, then 10.32 of the 20.00 of fees
        (["fees", "interest"], "0.00", "9.68"),  # the default order: the 20.00 of fees, then 190.00 of interest
    ],
)
def test_a_credit_s_order_decides_which_balance_is_paid_first(lender, pump, apply_to, fees, interest):
    api = lender
    loan = _loan(api, pump)
    assert api.post(f"/loans/{loan['id']}/charges", {"amount": "20.00", "title": "Late"}).status == 201
    reply = api.post(f"/loans/{loan['id']}/credits", {"amount": "210.00", "applyTo": apply_to})
    assert reply.status == 201, reply
    assert _values(_get(api, loan["id"]), "dueFees", "interestAccrued", "principalBalance") == {
        "dueFees": fees,
        "interestAccrued": interest,
        "principalBalance": "12000.00",
    }


def test_a_rule_s_credit_takes_a_type(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(
        api, [{"type": "credit", "amount": {"base": "interest-accrued"}, "applyTo": ["principal", "interest"]}]
    )
    assert api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {}).status == 200
    [credit] = _transactions(api, loan["id"])
    # 199.68 (the interest accrued) paid to principal first: the interest stays.
    assert (credit["amount"], credit["applyTo"], credit["allocation"]["principal"]) == (
        "199.68",
        ["principal", "interest"],
        "199.68",
    )
    assert _values(_get(api, loan["id"]), "principalBalance", "interestAccrued") == {
        "principalBalance": "11800.32",
        "interestAccrued": "199.68",
    }


def test_a_credit_beyond_the_balances_its_type_names_is_refused(lender, pump):
    loan = _loan(lender, pump)  # no fees
    reply = lender.post(f"/loans/{loan['id']}/credits", {"amount": "150.00", "applyTo": ["fees"]})
    assert reply.status == 422, reply
    assert reply.json["error"]["message"] == "150.00 is more than the loan's fees owed (0.00) on 2026-03-20"
    assert _transactions(lender, loan["id"]) == []


def test_a_rule_s_credit_is_capped_at_the_balances_its_type_names(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(api, [{"type": "credit", "amount": {"base": "payoff"}, "applyTo": ["interest"]}])
    assert api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {}).status == 200
    [credit] = _transactions(api, loan["id"])
    assert (credit["amount"], credit["allocation"]["unapplied"]) == ("199.68", "0.00")


@pytest.mark.parametrize("apply_to", [[], ["principal", "principal"], ["escrow"], "principal"])
def test_a_credit_type_that_is_not_one_is_refused(lender, pump, apply_to):
    loan = _loan(lender, pump)
    reply = lender.post(f"/loans/{loan['id']}/credits", {"amount": "10.00", "applyTo": apply_to})
    assert reply.status == 422, reply
    assert reply.json["error"]["details"][0]["field"].startswith("applyTo")


# ---------------------------------------------------------------- apply role


def _pair(api, pump) -> tuple[dict, str, str]:
    first, second = make_customer(api)["id"], make_customer(api)["id"]
    return _loan(api, pump, [(first, "primary"), (second, "secondary")]), first, second


def _roles(loan: dict) -> dict[str, str]:
    return {c["customerId"]: c["role"] for c in loan["customers"]}


@pytest.mark.parametrize("role", ["authorized", "unassigned", "additional"])
def test_apply_role_changes_the_customer_s_role_on_the_loan(lender, pump, role):
    api = lender
    loan, first, second = _pair(api, pump)
    rule = _rule(api, [{"type": "customer-tools", "target": "secondary", "applyRole": role}])
    reply = api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {"explain": True})
    assert reply.status == 200, reply
    assert reply.json["actionsApplied"] == [{"type": "customer-tools", second: {"role": role}}]
    assert _roles(_get(api, loan["id"])) == {first: "primary", second: role}
    # The customer's own list of loans shows the new role too (the link written with the loan).
    assert [(i["loan"]["id"], i["role"]) for i in api.get(f"/customers/{second}/loans").json["items"]] == [
        (loan["id"], role)
    ]

    # Now a rule can target the customers in that role.
    back = _rule(api, [{"type": "customer-tools", "target": role, "applyRole": "secondary"}])
    assert api.post(f"/loans/{loan['id']}/rules/{back['id']}/force", {}).status == 200
    assert _roles(_get(api, loan["id"])) == {first: "primary", second: "secondary"}


def test_apply_role_that_would_leave_two_primaries_changes_nothing(lender, pump):
    api = lender
    loan, first, second = _pair(api, pump)
    rule = _rule(api, [{"type": "customer-tools", "target": "secondary", "applyRole": "primary"}])
    reply = api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {"explain": True})
    assert reply.status == 200, reply
    assert reply.json["actionsApplied"] == []
    assert reply.json["error"] == (
        "after 1 action(s), the customers' new roles are not valid: a loan has at most one primary customer"
    )
    assert _roles(_get(api, loan["id"])) == {first: "primary", second: "secondary"}


def test_a_rule_may_swap_the_primary_and_the_secondary(lender, pump):
    api = lender
    loan, first, second = _pair(api, pump)
    rule = _rule(
        api,
        [
            {"type": "customer-tools", "target": "primary", "applyRole": "additional"},  # no primary for a moment
            {"type": "customer-tools", "target": "secondary", "applyRole": "primary"},
            {"type": "customer-tools", "target": "additional", "applyRole": "secondary"},
        ],
    )
    reply = api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {"explain": True})
    assert reply.status == 200 and reply.json["error"] is None, reply
    assert _roles(_get(api, loan["id"])) == {first: "secondary", second: "primary"}
    listed = {c: api.get(f"/customers/{c}/loans").json["items"][0]["role"] for c in (first, second)}
    assert listed == {first: "secondary", second: "primary"}


def test_apply_role_by_a_daily_rule_writes_the_link(aws, pump, queue_pump):
    api = new_tenant("Daily roles")  # a new tenant: the maintenance worker keeps a run's rules by tenant and date
    assert api.put("/tenant", {"businessDate": "2026-03-20"}).status == 200
    loan, first, second = _pair(api, pump)
    _rule(
        api,
        [{"type": "customer-tools", "target": "secondary", "applyRole": "authorized"}],
        evalRealTime=False,
        evalDaily=True,
    )
    assert api.put("/tenant", {"businessDate": "2026-03-21"}).status == 200
    reply = api.post("/maintenance/runs", {})
    assert reply.status == 202, reply
    drain_all(queue_pump, pump)
    assert _roles(_get(api, loan["id"])) == {first: "primary", second: "authorized"}
    assert [i["role"] for i in api.get(f"/customers/{second}/loans").json["items"]] == ["authorized"]


# ---------------------------------------------------------------- change-due-date: the due date to change


def test_change_the_recent_due_date(lender, pump):
    api = lender
    loan = _loan(api, pump)  # 2026-02-15 and 2026-03-15 unpaid: 768.80 past due, 33 days
    rule = _rule(api, [{"type": "change-due-date", "dueDate": "recent", "shiftDays": 30}])
    reply = api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {"explain": True})
    assert reply.status == 200, reply
    assert reply.json["actionsApplied"] == [
        {"type": "change-due-date", "installment": 2, "from": "2026-03-15", "to": "2026-04-14"}
    ]
    dates = [row["dueDate"] for row in api.get(f"/loans/{loan['id']}/schedule").json["items"]]
    assert dates[:4] == ["2026-02-15", "2026-04-14", "2026-05-15", "2026-06-14"]
    # Only the February installment is past due now; still 33 days, from 2026-02-15.
    assert _values(_get(api, loan["id"]), "amountPastDue", "daysPastDue", "nextPaymentDate") == {
        "amountPastDue": "384.40",
        "daysPastDue": 33,
        "nextPaymentDate": "2026-04-14",
    }


def test_the_recent_due_date_cannot_pass_the_one_before_it(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(api, [{"type": "change-due-date", "dueDate": "recent", "newDueDate": "2026-02-15"}])
    reply = api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {"explain": True})
    assert reply.status == 200, reply
    assert reply.json["actionsApplied"] == []
    assert "the recent due date 2026-03-15 cannot move -28 days: it would pass the one before it" in reply.json["error"]


def test_the_recent_due_date_may_move_within_the_past(lender, pump):
    api = lender
    loan = _loan(api, pump)
    rule = _rule(api, [{"type": "change-due-date", "dueDate": "recent", "shiftDays": -5}])
    reply = api.post(f"/loans/{loan['id']}/rules/{rule['id']}/force", {"explain": True})
    assert reply.status == 200, reply
    assert reply.json["actionsApplied"][0]["to"] == "2026-03-10"
    assert _values(_get(api, loan["id"]), "amountPastDue", "daysPastDue") == {
        "amountPastDue": "768.80",
        "daysPastDue": 33,
    }


# ---------------------------------------------------------------- since when interest is stopped


def test_the_stop_interest_date_and_days(lender, pump):
    api = lender
    loan = _loan(api, pump)
    stop = _rule(api, [{"type": "stop-interest", "mode": "suspend"}], evalRealTime=False)
    resume = _rule(api, [{"type": "stop-interest", "mode": "resume"}], evalRealTime=False)
    read = "(and (= interest-stopped interest-stopped) (= stop-interest-date stop-interest-date)"
    read += " (= stop-interest-days stop-interest-days))"

    def variables() -> dict:
        reply = api.post("/rules/preview", {"criteria": read, "limit": 100})
        assert reply.status == 200, reply
        return next(s["variables"] for s in reply.json["sample"] if s["loanId"] == loan["id"])

    assert variables() == {"interest-stopped": False, "stop-interest-date": None, "stop-interest-days": None}
    assert api.post(f"/loans/{loan['id']}/rules/{stop['id']}/force", {}).status == 200
    assert variables() == {"interest-stopped": True, "stop-interest-date": "2026-03-20", "stop-interest-days": 1}
    assert api.put("/tenant", {"businessDate": "2026-03-25"}).status == 200
    assert variables()["stop-interest-days"] == 6  # the 20th to the 25th
    assert api.post(f"/loans/{loan['id']}/rules/{resume['id']}/force", {}).status == 200
    assert variables() == {"interest-stopped": False, "stop-interest-date": None, "stop-interest-days": None}


# ---------------------------------------------------------------- the portfolios indexed by id


def test_the_portfolios_by_id(lender, pump):
    api = lender
    loan = _loan(api, pump, portfolios=["Collections", "Legal"], subPortfolios=["Early"])
    ids = {p["title"]: p["id"] for p in api.get("/portfolios").json["items"]}
    reply = api.post("/rules/preview", {"criteria": "(and (= portfolio portfolio) (= portfolio-ids portfolio-ids))"})
    got = next(s["variables"] for s in reply.json["sample"] if s["loanId"] == loan["id"])
    assert got == {
        "portfolio-ids": sorted([ids["Collections"], ids["Legal"]]),
        "portfolio": {
            ids["Collections"]: {"id": ids["Collections"], "title": "Collections", "sub-portfolios": ["Early"]},
            ids["Legal"]: {"id": ids["Legal"], "title": "Legal", "sub-portfolios": []},
        },
    }
    # Rules read it by id.
    title = f'(= (-> portfolio :{ids["Collections"]} :title) "Collections")'
    by_id = f'(contains? (get-in portfolio ["{ids["Collections"]}" :sub-portfolios]) "Early")'
    for criteria in (title, by_id, f'(contains? portfolio-ids "{ids["Legal"]}")'):
        preview = api.post("/rules/preview", {"criteria": criteria}).json
        assert loan["id"] in [s["loanId"] for s in preview["sample"]], criteria
