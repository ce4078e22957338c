"""Property tests of the servicing calculator (docs/servicing.md; day order per the lms.servicing.ledger
docstring).

* Schedules against numpy-financial (`pmt`, `ipmt`, `ppmt`, an independent float oracle) and against exact
  rational arithmetic (`fractions.Fraction`), for generated loans of every frequency, 1..360 periods, 0..36%.
* Due dates: month ends clamp and keep the anchor day, strictly increasing, one per period.
* Ledger invariants over generated loans and generated transactions (payments, charges, credits incl.
  charge-off, stop/resume interest), checked at the end of every single day: money in == money allocated,
  conservation of the loan, reversals and back-dated payments, days past due vs amount past due, no negative
  amounts, money always in cents.

Exact half-cent ties round up (`test_exact_half_cent_ties_round_up`): the product computes the
installment as a fraction and each interest amount with one division, so no tolerance is needed.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import fields
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import pairwise

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import HealthCheck, example, given, settings, target
from hypothesis import strategies as st

from lms.servicing import (
    DAYS_IN_YEAR,
    PERIODS_PER_YEAR,
    Entry,
    Ledger,
    Terms,
    apply,
    due_dates,
    installment,
    open_ledger,
    plan,
    replay,
    schedule,
    step,
    values,
)
from tests.conftest import examples

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
FREQUENCIES = tuple(PERIODS_PER_YEAR)
DAY_COUNTS = tuple(DAYS_IN_YEAR)
LEDGER_MONEY = (
    "principal",
    "interest",
    "fees",
    "credited",
    "total_paid",
    "interest_paid",
    "principal_paid",
    "fees_paid",
    "credits",
    "fees_charged",
    "interest_charged",
)
VALUES_MONEY = (
    "amount_past_due",
    "payoff",
    "per_diem",
    "principal_balance",
    "interest_accrued",
    "due_fees",
    "next_payment_amount",
    "last_payment_amount",
    "total_paid",
)


# --------------------------------------------------------------------------------------------------- helpers


def is_cents(amount) -> bool:
    """Money as the calculator must hold it: a Decimal with exactly two decimals."""
    return isinstance(amount, Decimal) and amount.is_finite() and amount.as_tuple().exponent == -2


def total(amounts) -> Decimal:
    return sum(amounts, ZERO)


def float_half_up(x: float) -> tuple[Decimal, bool]:
    """A float oracle's value rounded half up to cents, and whether it lies so close to a half cent (within
    1e-7 dollars, far above numpy's float error here and far below anything a cent could hide) that the
    float cannot tell on which side of the tie the exact value is. Only then is a one-cent difference
    accepted: e.g. 0% on 245841.90 over 4 weeks is exactly 61460.475 (correctly booked 61460.48), but the
    float 61460.475 is 61460.474999999998544808477163314819335937500 and would round down."""
    exact = Decimal(float(x))
    cents = exact * 100
    fraction = cents - cents.to_integral_value(rounding=ROUND_FLOOR)
    return exact.quantize(CENT, rounding=ROUND_HALF_UP), abs(fraction - Decimal("0.5")) < Decimal("1e-5")


def exact_half_up(value: Fraction) -> tuple[Decimal, bool]:
    """An exact non-negative amount rounded half up to cents, and whether it is exactly a half-cent tie."""
    cents = value * 100
    whole = math.floor(cents)
    rest = cents - whole
    return Decimal(whole + (rest >= Fraction(1, 2))).scaleb(-2), rest == Fraction(1, 2)


def exact_periodic_rate(terms: Terms) -> Fraction:
    return Fraction(terms.interest_rate) / 100 / PERIODS_PER_YEAR[terms.payment_frequency]


def exact_installment(terms: Terms) -> Fraction:
    """The standard amortization formula in exact rational arithmetic."""
    rate, loan, n = exact_periodic_rate(terms), Fraction(terms.loan_amount), terms.term_periods
    return loan / n if rate == 0 else loan * rate / (1 - (1 + rate) ** -n)


def day_factor(terms: Terms, day: date) -> int:
    """Days of interest that `day` carries (ledger docstring: "30/360 accrues 30 days a month"): the 31st
    carries none and the 1st also carries what a short previous month lacked of 30 days."""
    if terms.day_count != "30/360":
        return 1
    if day.day == 31:
        return 0
    if day.day == 1:
        return 1 + 30 - min((day - timedelta(days=1)).day, 30)
    return 1


def by_day(entries) -> dict[int, list[Entry]]:
    grouped: dict[int, list[Entry]] = {}
    for entry in entries:
        grouped.setdefault(entry.day.toordinal(), []).append(entry)
    return grouped


def assert_same_ledger(got: Ledger, expected: Ledger) -> None:
    """Field by field (dataclass equality leaves `allocations` out, so they are compared too)."""
    assert got.to_doc() == expected.to_doc()
    assert got == expected
    assert got.allocations == expected.allocations


def assert_same_values(got, expected) -> None:
    for name in (f.name for f in fields(got)):
        assert getattr(got, name) == getattr(expected, name), name
    assert got == expected


# ------------------------------------------------------------------------------------------------ strategies


def cents(low: int, high: int):
    """Amounts in whole cents, low..high cents, as two-decimal Decimals."""
    return st.integers(low, high).map(lambda c: Decimal(c).scaleb(-2))


RATES = st.one_of(
    st.just(Decimal(0)),
    st.integers(0, 36).map(Decimal),
    st.integers(0, 36_000).map(lambda m: Decimal(m).scaleb(-3)),  # up to 3 decimals
)
MONTH_END_DAYS = st.tuples(st.integers(2000, 2040), st.integers(1, 12), st.integers(28, 31)).map(
    lambda t: date(t[0], t[1], min(t[2], calendar.monthrange(t[0], t[1])[1]))
)
FIRST_DATES = st.one_of(st.dates(date(2000, 1, 1), date(2040, 12, 31)), MONTH_END_DAYS)


ANY_TERM = st.one_of(st.integers(1, 360), st.sampled_from([1, 2, 12, 36, 60, 120, 180, 240, 360]))


@st.composite
def loan_terms(draw, max_amount=50_000_000, terms=ANY_TERM, late_fees=False):
    first = draw(FIRST_DATES)
    fee_amount = fee_percent = None
    if late_fees:
        fee = draw(st.sampled_from(["none", "amount", "percent"]))
        if fee == "amount":
            fee_amount = draw(cents(1, 5_000))
        elif fee == "percent":
            fee_percent = draw(cents(1, 1_000))
    return Terms(
        loan_amount=draw(cents(10_000, max_amount)),  # 100.00 .. 500,000.00 by default
        interest_rate=draw(RATES),
        term_periods=draw(terms),
        payment_frequency=draw(st.sampled_from(FREQUENCIES)),
        contract_date=first - timedelta(days=draw(st.integers(1, 45))),
        first_payment_date=first,
        day_count=draw(st.sampled_from(DAY_COUNTS)),
        grace_days=draw(st.integers(0, 15)) if late_fees else 10,
        late_fee_amount=fee_amount,
        late_fee_percent=fee_percent,
    )


def horizon(terms: Terms) -> int:
    """Days from the contract date to a while after the last due date and its grace period."""
    return (due_dates(terms)[-1] - terms.contract_date).days + terms.grace_days + 40


@st.composite
def entry(draw, terms: Terms, ident: str):
    """One transaction dated after the contract date (up to the horizon)."""
    day = terms.contract_date + timedelta(days=draw(st.integers(1, horizon(terms))))
    kind = draw(st.sampled_from(["payment"] * 5 + ["charge", "credit", "stop-interest", "resume-interest"]))
    level = installment(terms)
    loan_cents = int(terms.loan_amount * 100)
    if kind == "payment":
        amount = draw(
            st.one_of(
                st.sampled_from([row.payment for row in schedule(terms)]),
                cents(1, max(1, int(level * 300))),
                cents(1, loan_cents * 6 // 5),
            )
        )
    elif kind == "charge":
        amount = draw(cents(1, 10_000))
    elif kind == "credit":
        amount = draw(st.one_of(cents(1, max(1, loan_cents // 10)), cents(1, loan_cents * 6 // 5)))
    else:
        amount = ZERO
    return Entry(
        id=ident,
        kind=kind,
        day=day,
        amount=amount,
        charge_off=kind == "credit" and draw(st.sampled_from([False, False, True])),
    )


@st.composite
def loan_cases(draw, max_entries=12):
    """Loan terms (short enough to step through day by day), transactions in posting order, and a day."""
    terms = draw(loan_terms(max_amount=5_000_000, terms=st.integers(1, 24), late_fees=True))
    count = draw(st.integers(0, max_entries))
    entries = [draw(entry(terms, f"e{k}")) for k in range(count)]
    through = terms.contract_date + timedelta(days=draw(st.integers(0, horizon(terms) + 30)))
    return terms, entries, through


# -------------------------------------------------------------------------------------- 1. schedule vs oracle


@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(terms=Terms(Decimal("245841.90"), Decimal(0), 4, "weekly", date(2024, 1, 1), date(2024, 1, 8)))
@example(terms=Terms(Decimal("100.00"), Decimal(0), 360, "monthly", date(2024, 1, 1), date(2024, 1, 31)))
@example(terms=Terms(Decimal("371080.71"), Decimal("35.944"), 360, "monthly", date(2024, 1, 1), date(2024, 2, 1)))
@example(terms=Terms(Decimal("100.00"), Decimal("36"), 360, "weekly", date(2024, 1, 1), date(2024, 1, 8)))
@given(terms=loan_terms())
def test_schedule_agrees_with_numpy_financial_to_the_cent(terms):
    rows = schedule(terms)
    n, loan, level = terms.term_periods, terms.loan_amount, installment(terms)
    rate = float(terms.periodic_rate)

    # Installment: numpy's pmt rounded half up, exactly; one cent only where the float sits on a half-cent
    # tie it cannot resolve (see float_half_up). Exact rational arithmetic decides those: the installment
    # is the exact formula rounded half up, ties included.
    with np.errstate(all="ignore"):
        pmt = float(-npf.pmt(rate, n, float(loan)))
    expected, float_tie = float_half_up(pmt)
    assert level == expected or (float_tie and abs(level - expected) == CENT), (level, pmt)
    exact, _ = exact_half_up(exact_installment(terms))
    assert level == exact, (level, exact)

    # Shape: n rows on the due dates, Decimal cents, never negative, closing exactly to zero.
    assert len(rows) == n
    assert tuple(row.due_date for row in rows) == due_dates(terms)
    for number, row in enumerate(rows, start=1):
        assert row.number == number
        for amount in (row.payment, row.interest, row.principal, row.balance):
            assert is_cents(amount) and amount >= 0, row
        assert row.payment == row.interest + row.principal
    assert rows[-1].balance == Decimal(0)
    assert total(row.principal for row in rows) == loan
    assert all(row.payment == level for row in rows[:-1] if row.balance)  # level until paid down

    # (a) Each row against numpy-financial applied to the schedule's own running balance: interest is
    # per=1 `ipmt` of the remaining loan (the balance before the row, over the periods left), principal is
    # the schedule's installment less that interest (the per=1 `ppmt` of a loan paying that installment),
    # capped by the balance; the last row takes the balance. Exact to the cent, float ties aside.
    before = [loan] + [row.balance for row in rows[:-1]]
    remaining = n - np.arange(n)
    with np.errstate(all="ignore"):
        first_interest = -npf.ipmt(rate, 1, remaining, np.array([float(b) for b in before]))
    for row, balance, oracle in zip(rows, before, first_interest, strict=True):
        expected, float_tie = float_half_up(oracle)
        assert row.interest == expected or (float_tie and abs(row.interest - expected) == CENT), (row, oracle)
        assert row.principal == (balance if row.number == n else min(level - row.interest, balance)), row
        assert row.balance == balance - row.principal

    # (b) Each row against numpy's ipmt/ppmt of the original loan. Those use the unrounded installment and
    # unrounded interest, the schedule books both to cents, and the difference compounds: with D_k the
    # balance difference after k rows, |installment error| <= 0.005 and |interest booking error| <= 0.005
    # give D_k = (1+r) D_{k-1} + errors, so with g = (1+r)^(k-1) and S = (g-1)/r (k-1 at 0%):
    #   |interest_k - ipmt_k| <= 0.005 + 0.01 (g - 1)
    #   |principal_k - ppmt_k| <= 0.01 g            while the row pays the level installment,
    #                          <= 0.01 max(g, S)    when it is capped by the balance or is the last row.
    # That is within one cent wherever the compounding allows it (interest while g <= 1.5, e.g. every row
    # of a 30-year 3% loan until row ~163); beyond, drift is real, not a defect. Measured over 23,000 random
    # loans (this generator's ranges): only 15% of loans and 83% of rows are within one cent of numpy; the
    # worst was 5,481.10 on the last row of 371,080.71 at 35.944% over 360 months (interest rows up to
    # 160.94, other principal rows up to 370.61), where the installment barely exceeds the interest, so the
    # half cent of rounding compounds at 3%/month. So "within one cent of ipmt/ppmt" is asserted only where
    # it must hold, the proven bounds everywhere, and (a) above is the to-the-cent check of every row.
    periods = np.arange(1, n + 1)
    with np.errstate(all="ignore"):
        interest_oracle = -npf.ipmt(rate, periods, n, float(loan))
        principal_oracle = -npf.ppmt(rate, periods, n, float(loan))
    worst = 0.0
    for row, i_oracle, p_oracle in zip(rows, interest_oracle, principal_oracle, strict=True):
        growth = (1 + rate) ** (row.number - 1)
        spread = (growth - 1) / rate if rate else row.number - 1
        levelled = row.number < n and row.principal == level - row.interest
        interest_bound = 0.005 + 0.01 * (growth - 1)
        principal_bound = 0.01 * growth if levelled else 0.01 * max(growth, spread)
        float_error = 1e-6 + 1e-12 * float(loan) * growth
        interest_drift = abs(float(row.interest) - float(i_oracle))
        principal_drift = abs(float(row.principal) - float(p_oracle))
        assert interest_drift <= interest_bound + float_error, (row, i_oracle, interest_bound)
        assert principal_drift <= principal_bound + float_error, (row, p_oracle, principal_bound)
        if interest_bound <= 0.01:
            assert interest_drift <= 0.01 + float_error  # the plain "within one cent", where it must hold
        worst = max(worst, interest_drift / interest_bound, principal_drift / principal_bound)
    target(worst, label="drift / proven bound")  # steer the search toward the bounds


def test_schedule_zero_rate_splits_the_loan_evenly():
    terms = Terms(Decimal("1000.00"), Decimal(0), 3, "monthly", date(2024, 1, 1), date(2024, 2, 1))
    rows = schedule(terms)
    assert [(r.payment, r.interest, r.principal, r.balance) for r in rows] == [
        (Decimal("333.33"), ZERO, Decimal("333.33"), Decimal("666.67")),
        (Decimal("333.33"), ZERO, Decimal("333.33"), Decimal("333.34")),
        (Decimal("333.34"), ZERO, Decimal("333.34"), ZERO),
    ]
    assert float(npf.pmt(0, 3, 1000)) == pytest.approx(-333.3333333)


# ------------------------------------------------------------------------------------------------ 2. due dates


@pytest.mark.parametrize(
    "first, frequency, expected",
    [
        (date(2024, 1, 31), "monthly", ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"]),
        (date(2023, 1, 31), "monthly", ["2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30", "2023-05-31"]),
        (date(2024, 1, 30), "monthly", ["2024-01-30", "2024-02-29", "2024-03-30", "2024-04-30", "2024-05-30"]),
        (date(2023, 12, 31), "monthly", ["2023-12-31", "2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]),
        (date(2024, 1, 31), "semi-monthly", ["2024-01-31", "2024-02-15", "2024-02-29", "2024-03-15", "2024-03-31"]),
        (date(2024, 2, 14), "semi-monthly", ["2024-02-14", "2024-02-29", "2024-03-14", "2024-03-29", "2024-04-14"]),
        (date(2024, 2, 28), "biweekly", ["2024-02-28", "2024-03-13", "2024-03-27", "2024-04-10", "2024-04-24"]),
        (date(2024, 2, 26), "weekly", ["2024-02-26", "2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25"]),
    ],
)
def test_due_dates_clamp_month_ends_and_keep_the_anchor(first, frequency, expected):
    terms = Terms(Decimal("1000.00"), Decimal("10"), 5, frequency, first - timedelta(days=20), first)
    assert [d.isoformat() for d in due_dates(terms)] == expected


def month_shift(start: date, months: int, anchor: int) -> date:
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    day = anchor
    while True:  # clamp to the month's end without calendar.monthrange (an independent computation)
        try:
            return date(year, month + 1, day)
        except ValueError:
            day -= 1


@settings(max_examples=examples(300), deadline=None)
@given(terms=loan_terms())
def test_due_dates_one_per_period_strictly_increasing_anchored(terms):
    dates = due_dates(terms)
    first, n = terms.first_payment_date, terms.term_periods
    assert len(dates) == n
    assert dates[0] == first
    assert all(a < b for a, b in pairwise(dates))
    frequency = terms.payment_frequency
    if frequency == "monthly":
        assert list(dates) == [month_shift(first, k, first.day) for k in range(n)]
    elif frequency == "semi-monthly":
        second = first + timedelta(days=15)
        assert list(dates[0::2]) == [month_shift(first, k, first.day) for k in range((n + 1) // 2)]
        assert list(dates[1::2]) == [month_shift(second, k, second.day) for k in range(n // 2)]
    else:
        gap = 14 if frequency == "biweekly" else 7
        assert all((b - a).days == gap for a, b in pairwise(dates))


# ------------------------------------------------------------------------------------ 3. ledger invariants


def check_ledger(ledger: Ledger, terms: Terms, applied: list[Entry]) -> None:
    """Money in == money allocated, and the loan is conserved, for the entries applied so far."""
    for name in LEDGER_MONEY:
        amount = getattr(ledger, name)
        assert is_cents(amount) and amount >= 0, (name, amount)
    allocations = ledger.allocations
    payments = [e for e in applied if e.kind == "payment"]
    credits = [e for e in applied if e.kind == "credit"]
    charges = [e for e in applied if e.kind == "charge"]
    assert set(allocations) == {e.id for e in applied}
    for e in payments + credits:
        a = allocations[e.id]
        assert all(is_cents(x) and x >= 0 for x in (a.fees, a.interest, a.principal, a.unapplied)), (e, a)
        assert a.fees + a.interest + a.principal + a.unapplied == e.amount, (e, a)
    for e in charges:
        assert allocations[e.id].fees == e.amount
    split = payments + credits
    unapplied = total(allocations[e.id].unapplied for e in payments)

    # money in: every payment cent is booked to fees, interest or principal, or left unapplied
    assert ledger.total_paid == total(e.amount for e in payments)
    assert ledger.credits == total(e.amount - allocations[e.id].unapplied for e in credits)
    assert ledger.fees_paid == total(allocations[e.id].fees for e in split)
    assert ledger.interest_paid == total(allocations[e.id].interest for e in split)
    assert ledger.principal_paid == total(allocations[e.id].principal for e in split)
    assert (
        ledger.total_paid - unapplied + ledger.credits
        == ledger.fees_paid + ledger.interest_paid + ledger.principal_paid
    )
    assert ledger.credited == ledger.interest_paid + ledger.principal_paid
    if ledger.last_payment_amount is not None:
        assert is_cents(ledger.last_payment_amount)

    # conservation: what the loan ever owed is either still owed or was paid (payments net of what was left
    # unapplied, and credits)
    owed_ever = terms.loan_amount + ledger.interest_charged + ledger.fees_charged
    assert (
        owed_ever == ledger.principal + ledger.interest + ledger.fees + (ledger.total_paid - unapplied) + ledger.credits
    )
    assert ledger.principal == terms.loan_amount - ledger.principal_paid
    assert ledger.interest == ledger.interest_charged - ledger.interest_paid
    assert ledger.fees == ledger.fees_charged - ledger.fees_paid
    late = ledger.fees_charged - total(e.amount for e in charges)
    assert late >= 0 and (late == 0) == (ledger.late_fees == 0)  # late_fees counts non-zero fees only


def check_values(ledger: Ledger, terms: Terms) -> None:
    schedule_ = plan(terms)
    v = values(ledger, terms, schedule_)
    for name in VALUES_MONEY:
        amount = getattr(v, name)
        if amount is not None:
            assert is_cents(amount) and amount >= 0, (name, amount)
    assert v.payoff == ledger.payoff == v.principal_balance + v.interest_accrued + v.due_fees
    assert (v.principal_balance, v.interest_accrued, v.due_fees) == (ledger.principal, ledger.interest, ledger.fees)
    assert v.total_paid == ledger.total_paid
    # days past due is 0 exactly when nothing is past due, and then counts from a due date already passed
    assert v.days_past_due >= 0
    assert (v.days_past_due == 0) == (v.amount_past_due == 0), v
    assert v.amount_past_due <= v.payoff
    if v.days_past_due:
        assert ledger.day - v.days_past_due in schedule_.due_ordinals
    # after the last due date everything owed is due and there is no next payment; before, a next payment
    # (if any) is on a scheduled due date not yet passed, and with what is past due never exceeds the payoff
    if all(o < ledger.day for o in schedule_.due_ordinals):
        assert v.next_payment_date is None and v.next_payment_amount is None
        assert v.amount_past_due == v.payoff
    elif v.next_payment_date is not None:
        assert v.next_payment_date.toordinal() in schedule_.due_ordinals and v.next_payment_date >= ledger.date
        assert v.next_payment_amount is not None and v.amount_past_due + v.next_payment_amount <= v.payoff
    else:
        assert v.next_payment_amount is None
    if ledger.last_payment_day is None:
        assert v.last_payment_date is None and v.last_payment_amount is None


@settings(
    max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(case=loan_cases())
def test_every_day_money_is_conserved_and_past_due_is_consistent(case):
    """Steps the loan one day at a time with open_ledger/step, checking every day's ledger and values,
    the day's accrual and late fee, and that the day-by-day state is what replay computes."""
    terms, entries, through = case
    schedule_ = plan(terms)
    grouped = by_day(entries)
    fee_days = {o + terms.grace_days: k for k, o in enumerate(schedule_.due_ordinals)}
    ledger = open_ledger(terms)
    applied: list[Entry] = []
    stopped = charged_off = False
    check_ledger(ledger, terms, applied)
    check_values(ledger, terms)
    for ordinal in range(terms.contract_date.toordinal() + 1, through.toordinal() + 1):
        today = grouped.get(ordinal, [])
        principal, charged = ledger.principal, ledger.interest_charged
        fees_charged, late_count = ledger.fees_charged, ledger.late_fees
        for e in today:
            if e.kind in ("stop-interest", "resume-interest"):
                stopped = e.kind == "stop-interest"
        step(ledger, terms, schedule_, today)
        assert ledger.day == ordinal and ledger.stopped == stopped

        # accrual for the day: on the principal at the start of the day, booked half up, unless stopped or
        # charged off. Exact arithmetic, half-cent ties rounded up.
        accrued = ledger.interest_charged - charged
        if stopped or charged_off or not principal:
            assert accrued == 0
        else:
            day = date.fromordinal(ordinal)
            exact = Fraction(principal) * Fraction(terms.interest_rate) / 100 / DAYS_IN_YEAR[terms.day_count]
            expected, _ = exact_half_up(exact * day_factor(terms, day))
            assert accrued == expected, (day, principal, accrued, expected)

        charged_off = charged_off or any(e.kind == "credit" and e.charge_off for e in today)
        applied += today
        check_ledger(ledger, terms, applied)
        check_values(ledger, terms)

        # the late fee: only on a due date + grace days, that installment's fee, once, while it is unpaid
        late_fee = ledger.fees_charged - fees_charged - total(e.amount for e in today if e.kind == "charge")
        if late_fee:
            k = fee_days[ordinal]
            assert late_fee == schedule_.late_fees[k] and ledger.late_fees == late_count + 1
            assert not charged_off and schedule_.cumulative[k] > ledger.credited
        else:
            assert ledger.late_fees == late_count
    assert_same_ledger(ledger, replay(terms, entries, through))


@settings(
    max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(case=loan_cases(max_entries=8), data=st.data())
def test_a_reversal_restores_the_values_exactly(case, data):
    """Reversing X (leaving it out of the replay) gives exactly what the loan was before X was added, also
    right after X was replayed; a back-dated X applies as of its date, wherever it is in the list."""
    terms, entries, through = case
    x = data.draw(st.one_of(entry(terms, "x").filter(lambda e: e.kind == "payment"), entry(terms, "x")), label="x")
    position = data.draw(st.integers(0, len(entries)), label="position")
    with_x = entries[:position] + [x] + entries[position:]

    before = replay(terms, entries, through)
    after = replay(terms, with_x, through)
    if x.day > through:
        assert_same_ledger(after, before)
    reversed_ = replay(terms, [e for e in with_x if e.id != x.id], through)
    assert_same_ledger(reversed_, before)
    assert_same_values(values(reversed_, terms), values(before, terms))
    # and once more, in the other order, so nothing cached by the first replay can leak into the second
    assert_same_values(values(replay(terms, with_x, through), terms), values(after, terms))
    assert_same_values(values(replay(terms, entries, through), terms), values(before, terms))

    # back-dated: appended last (posted today, dated earlier) == posted in date order; only the order of
    # entries within one day matters
    appended = replay(terms, entries + [x], through)
    in_date_order = sorted(entries + [x], key=lambda e: e.day)  # stable: same-day posting order kept
    assert_same_ledger(appended, replay(terms, in_date_order, through))


@settings(max_examples=examples(200), deadline=None)
@given(
    principal=cents(0, 5_000_000),
    interest=cents(0, 100_000),
    fees=cents(0, 100_000),
    amount=cents(1, 6_000_000),
    kind=st.sampled_from(["payment", "credit"]),
)
def test_payments_and_credits_go_to_fees_then_interest_then_principal(principal, interest, fees, amount, kind):
    ledger = Ledger(day=date(2024, 5, 1).toordinal(), principal=principal, interest=interest, fees=fees)
    a = apply(ledger, Entry("p", kind, date(2024, 5, 1), amount))
    assert a.fees == min(amount, fees)
    assert a.interest == min(amount - a.fees, interest)
    assert a.principal == min(amount - a.fees - a.interest, principal)
    assert a.unapplied == amount - a.fees - a.interest - a.principal
    assert (a.unapplied > 0) <= (ledger.payoff == 0)
    assert (ledger.fees, ledger.interest, ledger.principal) == (
        fees - a.fees,
        interest - a.interest,
        principal - a.principal,
    )


# ------------------------------------------------------------------- paid-off loans, and a known defect


@st.composite
def paid_off_terms(draw):
    return draw(
        loan_terms(max_amount=5_000_000, terms=st.integers(1, 24), late_fees=True).filter(
            lambda t: t.interest_rate >= 1 and (t.late_fee_amount or t.late_fee_percent)
        )
    )


@settings(max_examples=examples(25), deadline=None)
@example(
    terms=Terms(
        Decimal("1000.00"),
        Decimal("12"),
        3,
        "monthly",
        date(2024, 1, 1),
        date(2024, 2, 1),
        late_fee_amount=Decimal("25.00"),
    )
)
@given(terms=paid_off_terms())
def test_paid_off_loan_is_never_charged_a_late_fee(terms):
    """docs/servicing.md#late-fees: a late fee only for an installment still unpaid. Paid off on day one, the loan has
    paid less than the schedule's total (less interest accrued than scheduled), so comparing the schedule's
    cumulative installments with what was paid alone would call a later installment "unpaid": at commit
    68e764b that charged the fee (1,000.00 at 12%, 3 monthly, paid 1,000.33 on 2024-01-02: 25.00 late fee
    on 2024-04-11, 30 days past due on 2024-05-01); fixed in 77d09ea (a late fee also needs something owed)."""
    day_one = terms.contract_date + timedelta(days=1)
    payoff = replay(terms, [], day_one).payoff
    payment = [Entry("payoff", "payment", day_one, payoff)]
    assert replay(terms, payment, day_one).payoff == 0
    last_fee_day = due_dates(terms)[-1] + timedelta(days=terms.grace_days + 5)
    ledger = replay(terms, payment, last_fee_day)
    v = values(ledger, terms)
    assert (ledger.late_fees, ledger.fees_charged, v.payoff, v.amount_past_due, v.days_past_due) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize("case", ["installment", "daily accrual"])
def test_exact_half_cent_ties_round_up(case):
    if case == "installment":
        # 2,397.00 at 6%/12 = 0.5% for one month: 2397 x 1.005 = 2408.985 exactly -> 2408.99;
        # the schedule's only row agrees (11.99 interest + 2397.00), installment() says 2408.98
        terms = Terms(Decimal("2397.00"), Decimal("6"), 1, "monthly", date(2024, 1, 1), date(2024, 2, 1))
        assert exact_installment(terms) == Fraction("2408.985")
        assert schedule(terms)[0].payment == Decimal("2408.99")
        assert installment(terms) == Decimal("2408.99")
    else:
        # 165.00 at 12% actual/360: one day is 165 x 0.12 / 360 = 0.055 exactly -> 0.06; booked 0.05
        terms = Terms(
            Decimal("165.00"), Decimal("12"), 12, "monthly", date(2024, 1, 1), date(2024, 2, 1), day_count="actual/360"
        )
        ledger = replay(terms, [], date(2024, 1, 2))
        assert (ledger.interest, values(ledger, terms).per_diem) == (Decimal("0.06"), Decimal("0.06"))
