"""Loan transactions over HTTP (docs/http.md#transactions; docs/servicing.md): payments and their reversal, charges,
credits, the transaction list and the schedule; each transaction written with the loan's new values
in one DynamoDB transaction; bad transactions answer 422 and write nothing."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_error, store_state, walk
from tests.conftest import LOAN_SETUP, make_customer, make_loan

TODAY = "2026-03-20"  # the tenant's business date in these tests (contract 2026-01-15, first due 2026-02-15)


@pytest.fixture
def loan(api):
    """An activated loan of the LOAN_SETUP terms, the tenant's today frozen at TODAY."""
    assert api.put("/tenant", {"businessDate": TODAY}).status == 200
    made = make_loan(api, [(make_customer(api)["id"], "primary")])
    activated = api.post(f"/loans/{made['id']}/activate")
    assert activated.status == 200, activated
    return activated.json


def _loan(api, loan_id: str) -> dict:
    got = api.get(f"/loans/{loan_id}")
    assert got.status == 200, got
    return got.json


def test_activation_brings_the_values_to_today(loan):
    """Given a loan contracted 2026-01-15 activated on 2026-03-20, then two installments (Feb 15,
    Mar 15) are past due, the oldest 33 days, and interest has accrued for 64 days."""
    values = loan["values"]
    assert loan["asOf"] == TODAY
    assert values["daysPastDue"] == 33  # Feb 15 -> Mar 20
    assert values["amountPastDue"] == "768.80"  # 2 x 384.40 (numpy-financial pmt(9.5%/12, 36, 12000) = 384.395)
    assert values["interestAccrued"] == "199.68"  # 64 days x 3.12 (12,000 x 9.5% / 365 = 3.1233)
    assert values["nextPaymentDate"] == "2026-04-15"


def test_a_payment_is_written_with_the_loans_new_values(api, loan):
    """Given the loan 33 days past due, when a payment of both installments arrives today, then
    201 with its allocation (interest first, then principal), and the loan shows it paid, current."""
    got = api.post(f"/loans/{loan['id']}/payments", {"amount": "768.80", "method": "ACH"})
    assert got.status == 201, got
    tx = got.json
    assert (tx["type"], tx["amount"], tx["date"], tx["method"], tx["reversed"]) == (
        "payment",
        "768.80",
        TODAY,
        "ACH",
        False,
    )
    assert tx["allocation"] == {"fees": "0.00", "interest": "199.68", "principal": "569.12", "unapplied": "0.00"}
    after = _loan(api, loan["id"])
    assert after["version"] == loan["version"] + 1
    assert after["values"]["daysPastDue"] == 0 and after["values"]["amountPastDue"] == "0.00"
    assert after["values"]["principalBalance"] == "11430.88"
    assert (after["values"]["totalPaid"], after["values"]["lastPaymentDate"], after["values"]["lastPaymentAmount"]) == (
        "768.80",
        TODAY,
        "768.80",
    )
    assert [t["id"] for t in walk(api, f"/loans/{loan['id']}/transactions")] == [tx["id"]]


def test_a_reversal_restores_the_values_exactly_and_twice_is_refused(api, loan):
    """Given a payment, when it is reversed, then the loan's values equal those before the payment,
    the payment shows reversed, the reversal is listed; reversing again answers 422, writing nothing."""
    paid = api.post(f"/loans/{loan['id']}/payments", {"amount": "500.00", "date": "2026-02-20"}).json
    reversal = api.post(f"/loans/{loan['id']}/payments/{paid['id']}/reverse")
    assert reversal.status == 201, reversal
    assert (reversal.json["type"], reversal.json["reverses"], reversal.json["amount"]) == (
        "reversal",
        paid["id"],
        "500.00",
    )
    assert _loan(api, loan["id"])["values"] == loan["values"]
    listed = {t["id"]: t for t in walk(api, f"/loans/{loan['id']}/transactions")}
    assert listed[paid["id"]]["reversed"] is True and listed[paid["id"]]["reversedBy"] == reversal.json["id"]

    before = store_state()
    assert_error(api.post(f"/loans/{loan['id']}/payments/{paid['id']}/reverse"), 422)
    assert store_state() == before


def test_a_back_dated_payment_is_applied_as_of_its_date(api, loan):
    """Given the loan at 2026-03-20, when a payment dated 2026-02-15 (the first due date) arrives,
    then the first installment was never late: the oldest unpaid is Mar 15 (5 days)."""
    got = api.post(f"/loans/{loan['id']}/payments", {"amount": "384.40", "date": "2026-02-15"})
    assert got.status == 201, got
    values = _loan(api, loan["id"])["values"]
    assert (values["daysPastDue"], values["amountPastDue"], values["lastPaymentDate"]) == (5, "384.40", "2026-02-15")
    # its split is as of Feb 15: 31 days of interest (Jan 16 - Feb 15) x 3.12 = 96.72
    assert got.json["allocation"]["interest"] == "96.72"


def test_charges_add_due_fees_and_payments_pay_them_first(api, loan):
    charged = api.post(f"/loans/{loan['id']}/charges", {"amount": "25.00", "title": "NSF fee"})
    assert charged.status == 201, charged
    assert _loan(api, loan["id"])["values"]["dueFees"] == "25.00"
    paid = api.post(f"/loans/{loan['id']}/payments", {"amount": "30.00"}).json
    assert paid["allocation"] == {"fees": "25.00", "interest": "5.00", "principal": "0.00", "unapplied": "0.00"}
    assert _loan(api, loan["id"])["values"]["dueFees"] == "0.00"


def test_a_status_without_late_fees_keeps_the_fees_already_charged(api):
    """Given a loan with a 25.00 late fee charged on Feb 25 (due Feb 15, 10 grace days), when it moves
    to a status without late fees on Mar 20, then the next transaction keeps that fee and charges
    none for Mar 15's installment (its fee day, Mar 25, falls in the new status)."""
    assert api.put("/tenant", {"businessDate": "2026-03-20"}).status == 200
    assert api.post("/loan-statuses", {"title": "Workout", "lateFees": False}).status == 201
    made = make_loan(api, setup={**LOAN_SETUP, "lateFee": {"amount": "25.00"}})
    loan = api.post(f"/loans/{made['id']}/activate").json
    assert loan["values"]["dueFees"] == "25.00"
    moved = api.put(f"/loans/{loan['id']}", {"loanStatus": "Workout"})
    assert moved.status == 200, moved
    assert moved.json["lateFeeHistory"] == [
        {"since": "2026-01-15", "allowed": True},
        {"since": "2026-03-20", "allowed": False},
    ]
    assert api.put("/tenant", {"businessDate": "2026-03-30"}).status == 200
    assert api.post(f"/loans/{loan['id']}/payments", {"amount": "10.00"}).status == 201
    assert _loan(api, loan["id"])["values"]["dueFees"] == "15.00"  # 25.00 - 10.00 paid; no fee on Mar 25


def test_a_charge_off_credit_closes_the_balance_and_stops_interest(api, loan):
    payoff = loan["values"]["payoff"]
    got = api.post(f"/loans/{loan['id']}/credits", {"amount": payoff, "chargeOff": True, "category": "charge-off"})
    assert got.status == 201, got
    after = _loan(api, loan["id"])
    assert after["chargedOff"] is True
    assert (after["values"]["payoff"], after["values"]["perDiem"], after["values"]["daysPastDue"]) == (
        "0.00",
        "0.00",
        0,
    )
    assert after["values"]["totalPaid"] == "0.00"  # a credit is not money received


def test_the_schedule_has_every_installment_and_closes_to_zero(api, loan):
    got = api.get(f"/loans/{loan['id']}/schedule")
    assert got.status == 200, got
    rows = got.json["items"]
    assert len(rows) == 36 and rows[0]["dueDate"] == "2026-02-15" and rows[-1]["dueDate"] == "2029-01-15"
    assert rows[0] == {
        "number": 1,
        "dueDate": "2026-02-15",
        "payment": "384.40",
        "interest": "95.00",
        "principal": "289.40",
        "balance": "11710.60",
    }  # 12,000 x 9.5% / 12 = 95.00
    assert rows[-1]["balance"] == "0.00"
    assert sum(int(r["principal"].replace(".", "")) for r in rows) == 1_200_000


# ---------------------------------------------------------------- bad transactions: 422, nothing written

BAD = {
    "zero": ("payments", {"amount": "0"}),
    "negative": ("payments", {"amount": "-10.00"}),
    "negative number": ("payments", {"amount": -10}),
    "three decimals": ("payments", {"amount": "10.005"}),
    "three decimals as a number": ("payments", {"amount": 10.125}),
    "no amount": ("payments", {"date": "2026-03-01"}),
    "before the contract date": ("payments", {"amount": "10.00", "date": "2026-01-14"}),
    "in the future": ("payments", {"amount": "10.00", "date": "2026-03-21"}),
    "not a date": ("payments", {"amount": "10.00", "date": "2026-02-30"}),
    "more than the payoff": ("payments", {"amount": "99999.00"}),
    "unknown field": ("payments", {"amount": "10.00", "memo": "x"}),
    "charge without title": ("charges", {"amount": "10.00"}),
    "zero charge": ("charges", {"amount": "0.00", "title": "Fee"}),
    "charge before the contract": ("charges", {"amount": "10.00", "title": "Fee", "date": "2025-12-31"}),
    "negative credit": ("credits", {"amount": "-1.00"}),
    "credit chargeOff not a boolean": ("credits", {"amount": "1.00", "chargeOff": "yes"}),
    "charge over a billion": ("charges", {"amount": "1000000000.01", "title": "Fee"}),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_transaction_answers_422_and_writes_nothing(api, loan, case):
    route, body = BAD[case]
    before = store_state()
    assert_error(api.post(f"/loans/{loan['id']}/{route}", body), 422)
    assert store_state() == before


@pytest.mark.parametrize(
    "route, body",
    [
        ("payments", {"amount": "10.00"}),
        ("charges", {"amount": "5.00", "title": "Fee"}),
        ("credits", {"amount": "1.00"}),
    ],
)
def test_transactions_on_an_unactivated_loan_answer_422_and_write_nothing(api, route, body):
    made = make_loan(api)
    before = store_state()
    got = api.post(f"/loans/{made['id']}/{route}", body)
    assert_error(got, 422)
    assert "activate" in got.json["error"]["message"]
    assert store_state() == before


def test_a_back_dated_payment_that_would_make_a_later_one_exceed_the_payoff_is_refused(api, loan):
    """Given the loan paid off today, when a payment dated earlier arrives, then 422 (the payoff
    payment would be partly unapplied), and nothing is written."""
    payoff = _loan(api, loan["id"])["values"]["payoff"]
    assert api.post(f"/loans/{loan['id']}/payments", {"amount": payoff}).status == 201
    before = store_state()
    got = api.post(f"/loans/{loan['id']}/payments", {"amount": "1000.00", "date": "2026-02-01"})
    assert_error(got, 422)
    assert "later transaction" in got.json["error"]["message"]
    assert_error(api.post(f"/loans/{loan['id']}/credits", {"amount": "1.00", "date": "2026-02-01"}), 422)
    assert store_state() == before


@pytest.mark.parametrize(
    "setup",
    [
        {"contractDate": "9989-01-01", "firstPaymentDate": "9990-01-01", "termPeriods": 1200},
        {"contractDate": "9999-12-01", "firstPaymentDate": "9999-12-25", "paymentFrequency": "weekly"},
        {"contractDate": "0001-01-01", "firstPaymentDate": "0001-02-01"},
        {"contractDate": "1969-12-31"},
        {"loanAmount": "1000000000.01"},
    ],
)
def test_loan_terms_out_of_range_answer_422(api, setup):
    """Dates a schedule could not reach (or that would make every request replay centuries) and
    amounts beyond a billion are refused with a clear error, never a 500."""
    before = store_state()
    assert_error(api.post("/loans", {"setup": {**LOAN_SETUP, **setup}}), 422)
    assert store_state() == before


def test_only_payments_can_be_reversed_and_unknown_ids_are_404(api, loan):
    charge = api.post(f"/loans/{loan['id']}/charges", {"amount": "5.00", "title": "Fee"}).json
    before = store_state()
    assert_error(api.post(f"/loans/{loan['id']}/payments/{charge['id']}/reverse"), 422)
    assert_error(api.post(f"/loans/{loan['id']}/payments/txn_01ARZ3NDEKTSV4RRFFQ69G5FAV/reverse"), 404)
    assert_error(api.post(f"/loans/{loan['id']}/payments/not-an-id/reverse"), 404)
    assert_error(api.post("/loans/loan_01ARZ3NDEKTSV4RRFFQ69G5FAV/payments", {"amount": "1.00"}), 404)
    assert store_state() == before


# ---------------------------------------------------------------- atomic with optimistic locking


def test_the_transaction_and_the_loan_are_written_together_or_not_at_all(api, loan):
    """Given a loan read at version v, when another write moves it to v+1 before the transaction is
    stored, then storing at v fails as a whole: no transaction item and the loan as the other write left it."""
    from lms import loans as domain
    from lms.contract import Transaction
    from lms.store import transactions as store
    from lms.store.errors import StaleWrite

    tenant_id = api.tenant_id
    stale = domain.get(tenant_id, loan["id"])
    assert api.put(f"/loans/{loan['id']}", {"displayId": "MOVED"}).status == 200
    before = store_state()
    tx = Transaction(
        id="txn_01ARZ3NDEKTSV4RRFFQ69G5FAV",
        loan_id=loan["id"],
        type="payment",
        amount="1.00",
        date=TODAY,
        created_at=stale.created_at,
    )
    with pytest.raises(StaleWrite):
        store.post(tenant_id, tx, stale.model_copy(update={"display_id": "LOST"}))
    assert store_state() == before
    assert _loan(api, loan["id"])["displayId"] == "MOVED"


def test_a_payment_racing_another_write_keeps_both(api, loan, monkeypatch):
    """Given a PUT lands between the payment's read and its write, then the payment retries on the
    new version: both the PUT's change and the payment are on the loan."""
    from lms import transactions as domain

    real_every = domain.store.every
    raced: list[bool] = []

    def every_then_race(tenant_id, loan_id):
        found = real_every(tenant_id, loan_id)
        if not raced:
            raced.append(True)
            assert api.put(f"/loans/{loan_id}", {"customFields": {"collector": "Ann"}}).status == 200
        return found

    monkeypatch.setattr(domain.store, "every", every_then_race)
    got = api.post(f"/loans/{loan['id']}/payments", {"amount": "100.00"})
    assert got.status == 201, got
    after = _loan(api, loan["id"])
    assert after["customFields"] == {"collector": "Ann"}
    assert after["values"]["totalPaid"] == "100.00"
    assert after["version"] == loan["version"] + 2
