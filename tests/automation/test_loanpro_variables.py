"""LoanPro's variables against a loan computed by hand (docs/rules.md#loanpros-figures).

The loan: 1,200.00 at 0% over 12 monthly installments of 100.00, contract 2026-01-15, due on the 15th from
2026-02-15, late fee 10.00 after 10 grace days. Paid once, 100.00 on 2026-02-15. Today is 2026-06-20.

By hand: due so far Feb, Mar, Apr, May, Jun (five installments, 500.00); paid 100.00 (Feb). Past due: Mar,
Apr, May, Jun = 400.00, the oldest unpaid due date 2026-03-15, so 97 days past due. Late fees: Mar 25, Apr 25,
May 25 (Jun 25 is still ahead) = 3 x 10.00, unpaid. No interest. The next installment is Jul 15, 100.00; the
one after, Aug 15; the last, 2027-01-15. Delinquency buckets, most recent first: Jun (5 days), May (36),
Apr (66), Mar (97), 100.00 each. The 24-month history, on the 20th of each month back from June: Jun 20
97 days (code 3), May 20 66 (2), Apr 20 36 (1), Mar 20 5 (0), Feb 20 and Jan 20 current (0), and before the
contract B, 18 times."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest

from lms.rules.catalogue import VARIABLES
from tests.conftest import TenantApi, make_customer, new_tenant, prepared

TODAY = "2026-06-20"
SETUP = {
    "loanAmount": "1200.00",
    "interestRate": "0",
    "termPeriods": 12,
    "paymentFrequency": "monthly",
    "contractDate": "2026-01-15",
    "firstPaymentDate": "2026-02-15",
    "lateFee": {"amount": "10.00"},
}
BY_HAND = {
    "status-days-past-due": 97,
    "status-amount-due": "400.00",
    "status-due-fees": "30.00",
    "status-due-interest": "0.00",
    "status-due-principal": "400.00",
    "status-full-due": "430.00",
    "status-payoff": "1130.00",
    "status-principal-balance": "1100.00",
    "status-next-payment-date": "2026-07-15",
    "status-next-payment-amount": "100.00",
    "status-next-payment-principal": "100.00",
    "status-next-payment-interest": "0.00",
    "status-next-payment-fees": "30.00",
    "next-period-amount": "530.00",
    "next-scheduled-payment-date": "2026-07-15",
    "next-scheduled-payment-amount": "100.00",
    "next-scheduled-payment-principal": "100.00",
    "next-scheduled-payment-interest": "0.00",
    "next-scheduled-payment-fees": "30.00",
    "subsequent-due-date": "2026-08-15",
    "status-period-start": "2026-06-15",
    "status-period-end": "2026-07-14",
    "status-final-payment-date": "2027-01-15",
    "status-orig-maturity-date": "2027-01-15",
    "date-of-first-delinquency": "2026-04-14",
    "today-minus-dpd": "2026-03-15",
    "status-delinquent-bucket-date": "2026-03-15",
    "status-delinquent-bucket-amount": "100.00",
    "status-delinquent-buckets": 4,
    "status-last-payment-date": "2026-02-15",
    "status-last-payment-amount": "100.00",
    "status-loan-recency": 125,
    "status-total-paid": "100.00",
    "status-total-paid-principal": "100.00",
    "status-total-paid-interest": "0.00",
    "status-total-paid-fees": "0.00",
    "status-total-credits": "0.00",
    "status-total-fees-charged": "30.00",
    "status-total-interest-charged": "0.00",
    "status-late-fees-charged": 3,
    "status-24-dpd-history": "321000" + "B" * 18,
    "status-24-dpd-30": 3,
    "status-24-dpd-60": 2,
    "status-24-dpd-90": 1,
    "status-24-dpd-120": 0,
    "status-24-dpd-150": 0,
    "status-24-dpd-180": 0,
    "current-date": TODAY,
    "current-utc-date": TODAY,  # the business-date override, as (u/today)
    "setup-days-in-year": 365,
    # No interest: nothing accrues, a day's interest is nothing.
    "status-perdiem": "0.00",
    "status-interest-accrued": "0.00",
    # Its labels and state: activated as Open / Repaying (the tenant's defaults), nothing else set.
    "loan-status": "Open",
    "loan-sub-status": "Repaying",
    "credit-status": None,
    "portfolios": [],
    "sub-portfolios": [],
    "checklist": [],
    "loan-active": True,
    "loan-archived": False,
    "interest-stopped": False,
    "stop-interest-date": None,  # interest never stopped
    "stop-interest-days": None,
    "portfolio-ids": [],  # in no portfolio (the map portfolio is {}: test_loanpro_actions has one with portfolios)
    "charged-off": False,
    # No bankruptcy recorded: every bankruptcy variable is nil (and active false).
    "bankruptcy-active": False,
    **dict.fromkeys(v.name for v in VARIABLES if v.name.startswith("bankruptcy-") and v.name != "bankruptcy-active"),
    # Its terms, as set up.
    "setup-loan-amount": "1200.00",
    "setup-interest-rate": "0",
    "setup-loan-term": 12,
    "setup-payment-frequency": "monthly",
    "setup-contract-date": "2026-01-15",
    "setup-first-payment-date": "2026-02-15",
    "setup-grace-days": 10,
    # One customer, primary, in the tenant's default status, with no score; no secondary.
    "customer.primary.status": "Active",
    "customer-statuses": ["Active"],
    **{
        f"customer.{role}.{name}": None
        for role in ("primary", "secondary")
        for name in (
            "credit-score",
            "credit-score-equifax",
            "credit-score-experian",
            "credit-score-transunion",
            "credit-score-average",
        )
    },
    "customer.secondary.status": None,
    "customer.secondary.id": None,
    # Escrow and discount are not kept: all 0.00.
    **dict.fromkeys(
        (
            "status-due-escrow",
            "status-due-discount",
            "status-remaining-discount",
            "status-total-paid-escrow",
            "status-total-paid-discount",
            "status-next-payment-escrow",
            "status-next-payment-discount",
            "next-scheduled-payment-escrow",
            "next-scheduled-payment-discount",
        ),
        "0.00",
    ),
}


def _hand_computed_loan() -> tuple[TenantApi, dict]:
    api = new_tenant("Hand computed")
    assert api.put("/tenant", {"businessDate": TODAY}).status == 200
    customer = make_customer(api)
    reply = api.post("/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]})
    assert reply.status == 201, reply
    loan = reply.json
    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    paid = api.post(f"/loans/{loan['id']}/payments", {"amount": "100.00", "date": "2026-02-15"})
    assert paid.status == 201, paid
    return api, api.get(f"/loans/{loan['id']}").json


@pytest.fixture
def hand(aws) -> tuple[TenantApi, dict]:
    """The tenant and its hand-computed loan: built once per test process, copied into each test's account."""
    return prepared("loanpro-hand-computed-loan", _hand_computed_loan)


def _variables(api, *names: str) -> dict:
    """What a rule reads on the loan: POST /rules/preview with a criteria that reads each name and holds."""
    criteria = "(and " + " ".join(f"(= {name} {name})" for name in names) + ")"
    reply = api.post("/rules/preview", {"criteria": criteria})
    assert reply.status == 200, reply
    assert reply.json["matched"] == 1, reply.json
    return reply.json["sample"][0]["variables"]


@pytest.mark.parametrize("name", sorted(BY_HAND))
def test_a_loanpro_variable_reads_the_hand_computed_value(hand, name):
    api, loan = hand
    assert _variables(api, name) == {name: BY_HAND[name]}


def test_the_variables_of_the_loan_s_own_ids_and_times(hand):
    api, loan = hand
    got = _variables(api, "customer.primary.id", "loan-display-id", "loan-create-time", "current-time")
    assert got["customer.primary.id"] == loan["customers"][0]["customerId"]
    assert got["loan-display-id"] == loan["displayId"]
    assert got["loan-create-time"] == loan["createdAt"][:10]
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}", got["current-time"])


def test_every_variable_but_the_maps_has_a_hand_computed_case():
    own = {"customer.primary.id", "loan-display-id", "loan-create-time", "current-time"}  # checked just above
    assert {v.name for v in VARIABLES if v.type != "map"} - set(BY_HAND) - own == set()


def test_the_delinquency_buckets_in_loanpro_s_shape(hand):
    api, loan = hand
    buckets = _variables(api, "status-delinquent-bucket-balance")["status-delinquent-bucket-balance"]
    assert sorted(buckets) == ["1", "2", "3", "4", "LARGEST-BUCKET"]
    assert buckets["LARGEST-BUCKET"] == buckets["4"]
    expected = [  # bucket: (due date, days past due, past due before it)
        ("1", "2026-06-15", 5, "300.00"),
        ("2", "2026-05-15", 36, "200.00"),
        ("3", "2026-04-15", 66, "100.00"),
        ("4", "2026-03-15", 97, "0.00"),
    ]
    for number, due_date, days, before in expected:
        bucket = buckets[number]
        assert (bucket["due-date"], bucket["days-past-due"], bucket["past-due-amount"]) == (due_date, days, before)
        assert bucket["amount-due"] == bucket["scheduled-payment"] == "100.00"
        assert D(bucket["new-due-amount"]) == D(before) + 100


def test_rules_written_with_loanpro_s_names_match(hand):
    api, loan = hand
    for criteria in (
        "(>= status-24-dpd-90 1)",
        "(= (get-in status-delinquent-bucket-balance [:LARGEST-BUCKET :days-past-due]) status-days-past-due)",
        "(= (-> status-delinquent-bucket-balance :LARGEST-BUCKET :amount-due) 100)",
        '(starts-with? status-24-dpd-history "3")',
        "(> status-full-due status-amount-due)",
        "(= (u/date-compare today-minus-dpd status-delinquent-bucket-date) 0)",
        "(and (pos? status-due-fees) (zero? status-due-interest) (odd? status-late-fees-charged))",
    ):
        reply = api.post("/rules/preview", {"criteria": criteria})
        assert reply.status == 200 and reply.json["matched"] == 1, (criteria, reply.json)


def test_get_variables_lists_at_least_90_names_with_type_and_description(api):
    listed = api.get("/variables").json["items"]
    assert len(listed) >= 90
    assert all(v["type"] and v["description"] for v in listed)
    assert set(BY_HAND) <= {v["name"] for v in listed}
