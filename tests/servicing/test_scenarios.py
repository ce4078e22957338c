"""Worked servicing scenarios with hand-computed expected tables (docs/servicing.md, the lms.servicing.ledger
docstring).

Every expected value below is a literal worked out by hand from the spec (never by calling the product);
the comments show the arithmetic. Conventions used throughout:

* accrual for day d is booked on the principal at the start of d, to cents half-up, and the contract date
  itself accrues nothing, so "Jan 2..Feb 1" is 31 days of interest for a loan contracted on Jan 1;
* payments of day d apply after that day's accrual: fees, then interest, then principal;
* an installment is past due from the day after its due date; DPD = day - oldest unpaid due date;
* the late fee is charged at the end of due + graceDays (10) if the installment is still unpaid (cumulative
  installments vs what payments after fees and credits have paid);
* values are as of the end of the day.

Loan A (used by most scenarios): 1,200.00 at 12% actual/365, 6 monthly installments, contract 2025-01-01,
first payment 2025-02-01, late fee 25.00, grace 10 days.
  periodic rate 12%/12 = 0.01; installment = 1200 x 0.01 / (1 - 1.01^-6) = 12 / 0.0579548 = 207.058 -> 207.06
  schedule:  #  due         interest                  principal   balance
             1  2025-02-01  1200.00 x 1% = 12.00       195.06     1004.94
             2  2025-03-01  1004.94 x 1% = 10.0494->10.05  197.01  807.93
             3  2025-04-01   807.93 x 1% =  8.0793-> 8.08  198.98  608.95
             4  2025-05-01   608.95 x 1% =  6.0895-> 6.09  200.97  407.98
             5  2025-06-01   407.98 x 1% =  4.0798-> 4.08  202.98  205.00
             6  2025-07-01   205.00 x 1% =  2.05           205.00    0.00   (payment 207.05: last absorbs)
  cumulative due: 207.06, 414.12, 621.18, 828.24, 1035.30, 1242.35
  per diem at 1200.00: 1200 x 0.12 / 365 = 0.394521 -> 0.39
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Final

from lms.servicing import Entry, Terms, open_ledger, plan, replay, schedule, step, values

D = Decimal


def d(text: str) -> date:
    return date.fromisoformat(text)


class _Skip(Enum):
    SKIP = "skip"


SKIP: Final = _Skip.SKIP  # a cell the table does not assert


@dataclass(frozen=True)
class Row:
    day: str
    dpd: int
    past_due: str
    payoff: str
    principal: str
    interest: str
    fees: str
    next_date: str | None | _Skip = SKIP  # "YYYY-MM-DD", None or SKIP
    next_amount: str | None | _Skip = SKIP  # "0.00", None or SKIP
    per_diem: str | _Skip = SKIP


def R(day, dpd, past_due, payoff, principal, interest, fees, next_date=SKIP, next_amount=SKIP, per_diem=SKIP) -> Row:
    return Row(day, dpd, past_due, payoff, principal, interest, fees, next_date, next_amount, per_diem)


MONEY = ("amount_past_due", "payoff", "principal_balance", "interest_accrued", "due_fees")


def expected_of(row: Row) -> dict:
    out = {
        "days_past_due": row.dpd,
        "amount_past_due": D(row.past_due),
        "payoff": D(row.payoff),
        "principal_balance": D(row.principal),
        "interest_accrued": D(row.interest),
        "due_fees": D(row.fees),
    }
    if row.next_date is not SKIP:
        out["next_payment_date"] = None if row.next_date is None else d(row.next_date)
    if row.next_amount is not SKIP:
        out["next_payment_amount"] = None if row.next_amount is None else D(row.next_amount)
    if row.per_diem is not SKIP:
        out["per_diem"] = D(row.per_diem)
    return out


def check_table(terms: Terms, entries: list[Entry], table: list[Row]) -> None:
    """Replays the loan through each row's date and compares every asserted cell; reports all mismatches."""
    problems = []
    for row in table:
        got = values(replay(terms, entries, d(row.day)), terms)
        for name, want in expected_of(row).items():
            have = getattr(got, name)
            if have != want:
                problems.append(f"{row.day} {name}: expected {want}, got {have}")
        for name in MONEY:
            amount = getattr(got, name)
            if amount.as_tuple().exponent != -2:
                problems.append(f"{row.day} {name}: {amount!r} is not booked to cents")
    assert not problems, "\n".join(problems)


def pay(entry_id: str, day: str, amount: str) -> Entry:
    return Entry(entry_id, "payment", d(day), D(amount))


def allocation(terms: Terms, entries: list[Entry], entry_id: str, through: str) -> tuple:
    a = replay(terms, entries, d(through)).allocations[entry_id]
    return (a.fees, a.interest, a.principal, a.unapplied)


def loan_a(**changes: Any) -> Terms:
    base: dict[str, Any] = {
        "loan_amount": D("1200.00"),
        "interest_rate": D("12"),
        "term_periods": 6,
        "payment_frequency": "monthly",
        "contract_date": d("2025-01-01"),
        "first_payment_date": d("2025-02-01"),
        "day_count": "actual/365",
        "grace_days": 10,
        "late_fee_amount": D("25.00"),
    }
    base.update(changes)
    return Terms(**base)


A = loan_a()


# ---------------------------------------------------------------------------------------------------------------
# The schedule itself


def test_schedule_of_loan_a_matches_the_hand_amortization():
    rows = schedule(A)
    assert [(r.number, r.due_date, r.payment, r.interest, r.principal, r.balance) for r in rows] == [
        (1, d("2025-02-01"), D("207.06"), D("12.00"), D("195.06"), D("1004.94")),
        (2, d("2025-03-01"), D("207.06"), D("10.05"), D("197.01"), D("807.93")),
        (3, d("2025-04-01"), D("207.06"), D("8.08"), D("198.98"), D("608.95")),
        (4, d("2025-05-01"), D("207.06"), D("6.09"), D("200.97"), D("407.98")),
        (5, d("2025-06-01"), D("207.06"), D("4.08"), D("202.98"), D("205.00")),
        (6, d("2025-07-01"), D("207.05"), D("2.05"), D("205.00"), D("0.00")),  # last absorbs: 205.00 + 2.05
    ]
    assert plan(A).cumulative == (D("207.06"), D("414.12"), D("621.18"), D("828.24"), D("1035.30"), D("1242.35"))


# ---------------------------------------------------------------------------------------------------------------
# 1. On time: every installment paid on its due date; the last payment is the payoff of that day.

# Feb 1: Jan 2..Feb 1 = 31 days x 0.39 = 12.09 interest; 207.06 -> 12.09 interest + 194.97 principal; 1200.00 -> 1005.03
# Mar 1: 1005.03 x .12/365 = 0.330421 -> 0.33 x 28 days (Feb 2..Mar 1) = 9.24; principal 207.06-9.24 = 197.82 -> 807.21
# Apr 1:  807.21 x .12/365 = 0.265384 -> 0.27 x 31 days = 8.37; principal 198.69 -> 608.52
# May 1:  608.52 x .12/365 = 0.200061 -> 0.20 x 30 days = 6.00; principal 201.06 -> 407.46
# Jun 1:  407.46 x .12/365 = 0.133960 -> 0.13 x 31 days = 4.03; principal 203.03 -> 204.43
# Jul 1:  204.43 x .12/365 = 0.067210 -> 0.07 x 30 days = 2.10; payoff 204.43 + 2.10 = 206.53 = the last payment
ON_TIME = [
    pay("p1", "2025-02-01", "207.06"),
    pay("p2", "2025-03-01", "207.06"),
    pay("p3", "2025-04-01", "207.06"),
    pay("p4", "2025-05-01", "207.06"),
    pay("p5", "2025-06-01", "207.06"),
    pay("p6", "2025-07-01", "206.53"),
]


def test_1_on_time_payments_close_the_loan():
    check_table(
        A,
        ON_TIME,
        [
            #    day       dpd past_due  payoff     principal  interest fees    next date     next amt  per diem
            R("2025-01-01", 0, "0.00", "1200.00", "1200.00", "0.00", "0.00", "2025-02-01", "207.06", "0.39"),
            R(
                "2025-01-31", 0, "0.00", "1211.70", "1200.00", "11.70", "0.00", "2025-02-01", "207.06", "0.39"
            ),  # 30 x .39
            R("2025-02-01", 0, "0.00", "1005.03", "1005.03", "0.00", "0.00", per_diem="0.33"),
            R("2025-02-02", 0, "0.00", "1005.36", "1005.03", "0.33", "0.00", "2025-03-01", "207.06", "0.33"),
            R("2025-03-01", 0, "0.00", "807.21", "807.21", "0.00", "0.00", per_diem="0.27"),
            R("2025-03-02", 0, "0.00", "807.48", "807.21", "0.27", "0.00", "2025-04-01", "207.06", "0.27"),
            R("2025-04-01", 0, "0.00", "608.52", "608.52", "0.00", "0.00", per_diem="0.20"),
            R("2025-05-01", 0, "0.00", "407.46", "407.46", "0.00", "0.00", per_diem="0.13"),
            R("2025-06-01", 0, "0.00", "204.43", "204.43", "0.00", "0.00", per_diem="0.07"),
            # Jun 2..Jun 30 = 29 x 0.07 = 2.03; the last installment is the whole payoff as of that day
            R("2025-06-30", 0, "0.00", "206.46", "204.43", "2.03", "0.00", "2025-07-01", "206.46", "0.07"),
            R("2025-07-01", 0, "0.00", "0.00", "0.00", "0.00", "0.00", per_diem="0.00"),
            R("2025-07-02", 0, "0.00", "0.00", "0.00", "0.00", "0.00", None, None, "0.00"),
            R("2025-07-10", 0, "0.00", "0.00", "0.00", "0.00", "0.00", None, None, "0.00"),
        ],
    )
    assert allocation(A, ON_TIME, "p2", "2025-03-01") == (D("0"), D("9.24"), D("197.82"), D("0"))
    end = values(replay(A, ON_TIME, d("2025-07-02")), A)
    assert end.total_paid == D("1241.83")  # 5 x 207.06 = 1035.30 + 206.53
    assert (end.last_payment_date, end.last_payment_amount) == (d("2025-07-01"), D("206.53"))


def test_1c_a_paid_off_loan_is_never_charged_a_late_fee():
    # Jul 11 = last due date Jul 1 + 10 grace days; the loan closed on Jul 1 with payoff 0.00
    check_table(
        A,
        ON_TIME,
        [
            R("2025-07-11", 0, "0.00", "0.00", "0.00", "0.00", "0.00", None, None, "0.00"),
            R("2025-08-15", 0, "0.00", "0.00", "0.00", "0.00", "0.00", None, None, "0.00"),
        ],
    )


def test_1d_an_early_payoff_is_never_charged_a_late_fee():
    # Feb 1: payoff 1200.00 + 31 x .39 = 1212.09, paid in full; nothing accrues or falls due afterwards
    check_table(
        A,
        [pay("all", "2025-02-01", "1212.09")],
        [
            R("2025-02-01", 0, "0.00", "0.00", "0.00", "0.00", "0.00", per_diem="0.00"),
            R("2025-07-11", 0, "0.00", "0.00", "0.00", "0.00", "0.00", None, None, "0.00"),
        ],
    )


def test_1b_paying_only_the_scheduled_last_installment_leaves_the_rest_past_due_after_the_last_due_date():
    # Same as on time, but the 6th payment is the schedule's 207.05 instead of the 206.53 payoff: overpays by 0.52,
    # which is left unapplied, payoff 0. Paying less (200.00) leaves 6.53 which is all past due from Jul 2.
    short = ON_TIME[:5] + [pay("p6", "2025-07-01", "200.00")]
    check_table(
        A,
        short,
        [
            R("2025-07-01", 0, "0.00", "6.53", "6.53", "0.00", "0.00"),  # 200.00 = 2.10 interest + 197.90 principal
            # whole payoff due after the last due date: 6.53 x .12/365 = 0.0021 -> 0.00 per day
            R("2025-07-02", 1, "6.53", "6.53", "6.53", "0.00", "0.00", None, None),
            R("2025-07-10", 9, "6.53", "6.53", "6.53", "0.00", "0.00", None, None),
        ],
    )
    over = ON_TIME[:5] + [pay("p6", "2025-07-01", "207.05")]
    assert allocation(A, over, "p6", "2025-07-01") == (D("0"), D("2.10"), D("204.43"), D("0.52"))


# ---------------------------------------------------------------------------------------------------------------
# 2. One missed installment through grace and the late fee, then paid.

# Nothing paid on Feb 1; fee day = Feb 1 + 10 = Feb 11.  Interest k days after Jan 1 = k x 0.39.
# Feb 15: 45 days x 0.39 = 17.55; pay 232.06 = 25.00 fee + 17.55 interest + 189.51 principal -> 1010.49;
#   paid toward installments 17.55 + 189.51 = 207.06 = installment 1 -> current.
# 1010.49 x .12/365 = 0.332216 -> 0.33; Mar 1: 14 days (Feb 16..Mar 1) x 0.33 = 4.62; 207.06 -> 4.62 + 202.44 -> 808.05
# 808.05 x .12/365 = 0.265660 -> 0.27; Mar 12: 11 days x 0.27 = 2.97; installment 2 paid so no fee on Mar 11.
MISSED = [pay("late", "2025-02-15", "232.06"), pay("p2", "2025-03-01", "207.06")]


def test_2_missed_installment_grace_late_fee_once_then_paid():
    check_table(
        A,
        MISSED,
        [
            R("2025-02-01", 0, "0.00", "1212.09", "1200.00", "12.09", "0.00", "2025-02-01", "207.06"),  # 31 x .39
            R("2025-02-02", 1, "207.06", "1212.48", "1200.00", "12.48", "0.00", "2025-03-01", "207.06"),  # 32 x .39
            R("2025-02-03", 2, "207.06", "1212.87", "1200.00", "12.87", "0.00", "2025-03-01", "207.06"),
            R("2025-02-10", 9, "207.06", "1215.60", "1200.00", "15.60", "0.00", "2025-03-01", "207.06"),  # 40 x .39
            # end of Feb 11 = due + 10: installment 1 unpaid -> 25.00 fee; 41 x .39 = 15.99
            R("2025-02-11", 10, "207.06", "1240.99", "1200.00", "15.99", "25.00", "2025-03-01", "207.06"),
            R("2025-02-12", 11, "207.06", "1241.38", "1200.00", "16.38", "25.00", "2025-03-01", "207.06"),  # once only
            R("2025-02-14", 13, "207.06", "1242.16", "1200.00", "17.16", "25.00", "2025-03-01", "207.06"),
            R("2025-02-15", 0, "0.00", "1010.49", "1010.49", "0.00", "0.00", "2025-03-01", "207.06", "0.33"),
            R("2025-03-01", 0, "0.00", "808.05", "808.05", "0.00", "0.00"),
            R("2025-03-12", 0, "0.00", "811.02", "808.05", "2.97", "0.00", "2025-04-01", "207.06", "0.27"),
        ],
    )
    assert allocation(A, MISSED, "late", "2025-02-15") == (D("25.00"), D("17.55"), D("189.51"), D("0"))
    assert replay(A, MISSED, d("2025-03-12")).late_fees == 1


def test_2b_late_fee_is_charged_for_the_unpaid_installment_even_if_it_stays_unpaid():
    # No payments at all: fees on Feb 11, Mar 11, Apr 11 (one per installment), never twice for one installment.
    # Mar 10: Jan 2..Mar 10 = 30 + 28 + 10 = 68 days x 0.39 = 26.52; DPD Mar 10 - Feb 1 = 37
    check_table(
        A,
        [],
        [
            R("2025-03-10", 37, "414.12", "1251.52", "1200.00", "26.52", "25.00", "2025-04-01", "207.06"),
            # Mar 11: 69 x .39 = 26.91; second fee (installment 2, due Mar 1)
            R("2025-03-11", 38, "414.12", "1276.91", "1200.00", "26.91", "50.00", "2025-04-01", "207.06"),
            # Apr 11: 100 days x .39 = 39.00; third fee
            R("2025-04-11", 69, "621.18", "1314.00", "1200.00", "39.00", "75.00", "2025-05-01", "207.06"),
        ],
    )
    assert replay(A, [], d("2025-04-30")).late_fees == 3


def test_2c_fee_day_boundary_payment_on_due_plus_grace_avoids_the_fee_a_day_later_does_not():
    # Paid on Feb 11 (payments apply before the end-of-day fee check): 41 x .39 = 15.99 interest,
    # 207.06 - 15.99 = 191.07 principal -> 1008.93; installment 1 paid -> no fee
    on_fee_day = [pay("p1", "2025-02-11", "207.06")]
    check_table(
        A,
        on_fee_day,
        [
            R("2025-02-10", 9, "207.06", "1215.60", "1200.00", "15.60", "0.00"),
            R("2025-02-11", 0, "0.00", "1008.93", "1008.93", "0.00", "0.00", "2025-03-01", "207.06"),
        ],
    )
    # Paid on Feb 12: the fee (Feb 11) is taken first: 207.06 = 25.00 fee + 16.38 interest (42 x .39) + 165.68
    # principal -> 1034.32; paid toward installment 1 only 182.06 -> 25.00 still past due, DPD Feb 12 - Feb 1 = 11
    day_after = [pay("p1", "2025-02-12", "207.06")]
    check_table(
        A,
        day_after,
        [
            R("2025-02-12", 11, "25.00", "1034.32", "1034.32", "0.00", "0.00", "2025-03-01", "207.06"),
        ],
    )
    assert allocation(A, day_after, "p1", "2025-02-12") == (D("25.00"), D("16.38"), D("165.68"), D("0"))


# ---------------------------------------------------------------------------------------------------------------
# 3. Partial payments.

# Feb 1: 100.00 = 12.09 interest + 87.91 principal -> 1112.09; paid toward installments 100.00
# 1112.09 x .12/365 = 0.365619 -> 0.37; Feb 5: 4 days (Feb 2..5) x 0.37 = 1.48;
#   50.00 = 1.48 + 48.52 -> 1063.57; paid 150.00
# 1063.57 x .12/365 = 0.349667 -> 0.35; Feb 11: 6 x 0.35 = 2.10, installment 1 short by 57.06 -> fee 25.00
# Feb 20: 15 days (Feb 6..20) x 0.35 = 5.25; 82.06 = 25.00 fee + 5.25 + 51.81 principal -> 1011.76; paid 207.06
# 1011.76 x .12/365 = 0.332633 -> 0.33; Mar 1: 9 x 0.33 = 2.97; Mar 2: 10 x .33 = 3.30, installment 2 past due
PARTIAL = [pay("a", "2025-02-01", "100.00"), pay("b", "2025-02-05", "50.00"), pay("c", "2025-02-20", "82.06")]


def test_3_partial_payments():
    check_table(
        A,
        PARTIAL,
        [
            R("2025-02-01", 0, "0.00", "1112.09", "1112.09", "0.00", "0.00", "2025-02-01", "107.06", "0.37"),
            R("2025-02-02", 1, "107.06", "1112.46", "1112.09", "0.37", "0.00", "2025-03-01", "207.06"),
            R("2025-02-05", 4, "57.06", "1063.57", "1063.57", "0.00", "0.00", "2025-03-01", "207.06", "0.35"),
            R("2025-02-10", 9, "57.06", "1065.32", "1063.57", "1.75", "0.00"),  # 5 x .35
            R("2025-02-11", 10, "57.06", "1090.67", "1063.57", "2.10", "25.00"),
            R("2025-02-20", 0, "0.00", "1011.76", "1011.76", "0.00", "0.00", "2025-03-01", "207.06", "0.33"),
            R("2025-03-01", 0, "0.00", "1014.73", "1011.76", "2.97", "0.00", "2025-03-01", "207.06"),
            R("2025-03-02", 1, "207.06", "1015.06", "1011.76", "3.30", "0.00", "2025-04-01", "207.06"),
        ],
    )
    assert allocation(A, PARTIAL, "a", "2025-02-20") == (D("0"), D("12.09"), D("87.91"), D("0"))
    assert allocation(A, PARTIAL, "b", "2025-02-20") == (D("0"), D("1.48"), D("48.52"), D("0"))
    assert allocation(A, PARTIAL, "c", "2025-02-20") == (D("25.00"), D("5.25"), D("51.81"), D("0"))


# ---------------------------------------------------------------------------------------------------------------
# 4. Overpayment: reduces principal; the next installment is covered, the one after partially.

# Feb 1: 500.00 = 12.09 interest + 487.91 principal -> 712.09; paid toward installments 500.00
#   cumulative 207.06 (inst 1), 414.12 (inst 2) covered; inst 3 needs 621.18 - 500.00 = 121.18
# 712.09 x .12/365 = 0.234111 -> 0.23 per day from Feb 2
OVER = [pay("big", "2025-02-01", "500.00")]


def test_4_overpayment_reduces_principal_and_covers_later_installments():
    check_table(
        A,
        OVER,
        [
            R("2025-02-01", 0, "0.00", "712.09", "712.09", "0.00", "0.00", per_diem="0.23"),
            R(
                "2025-02-02", 0, "0.00", "712.32", "712.09", "0.23", "0.00", "2025-04-01", "121.18"
            ),  # next: the first installment not covered
            R("2025-03-01", 0, "0.00", "718.53", "712.09", "6.44", "0.00", "2025-04-01", "121.18"),  # 28 x .23
            # Mar 1 passed unpaid but covered: not past due; April's installment 121.18 still owed
            R("2025-03-02", 0, "0.00", "718.76", "712.09", "6.67", "0.00", "2025-04-01", "121.18"),
            R("2025-03-11", 0, "0.00", "720.83", "712.09", "8.74", "0.00", "2025-04-01", "121.18"),  # 38 x .23; no fee
            R("2025-04-01", 0, "0.00", "725.66", "712.09", "13.57", "0.00", "2025-04-01", "121.18"),  # 59 x .23
            R("2025-04-02", 1, "121.18", "725.89", "712.09", "13.80", "0.00", "2025-05-01", "207.06"),
            R("2025-04-10", 9, "121.18", "727.73", "712.09", "15.64", "0.00"),  # 68 x .23
            R("2025-04-11", 10, "121.18", "752.96", "712.09", "15.87", "25.00"),  # partially unpaid inst 3 -> fee
        ],
    )


# ---------------------------------------------------------------------------------------------------------------
# 5. Reversal: the values equal never having had the payment.

# p1 on time (-> 1005.03 on Feb 1), p2 (Mar 1, 207.06) then reversed on Mar 20.
# Without p2: 1005.03 accrues 0.33 a day from Feb 2; Mar 10: 37 x .33 = 12.21; Mar 11: 38 x .33 = 12.54 + fee 25.00;
#   Mar 20: 47 x .33 = 15.51; payoff 1005.03 + 15.51 + 25.00 = 1045.54; DPD Mar 20 - Mar 1 = 19
# With p2: 807.21 from Mar 1, 0.27 a day, Mar 20: 19 x .27 = 5.13, payoff 812.34
WITH_P2 = ON_TIME[:2]
WITHOUT_P2 = ON_TIME[:1]
NO_P2_TABLE = [
    R("2025-03-01", 0, "0.00", "1014.27", "1005.03", "9.24", "0.00", "2025-03-01", "207.06"),
    R("2025-03-02", 1, "207.06", "1014.60", "1005.03", "9.57", "0.00", "2025-04-01", "207.06"),
    R("2025-03-10", 9, "207.06", "1017.24", "1005.03", "12.21", "0.00", "2025-04-01", "207.06"),
    R("2025-03-11", 10, "207.06", "1042.57", "1005.03", "12.54", "25.00", "2025-04-01", "207.06"),
    R("2025-03-20", 19, "207.06", "1045.54", "1005.03", "15.51", "25.00", "2025-04-01", "207.06", "0.33"),
]
P2_ON_TIME_MAR_20 = R("2025-03-20", 0, "0.00", "812.34", "807.21", "5.13", "0.00", "2025-04-01", "207.06", "0.27")


def test_5_reversal_equals_never_having_the_payment():
    check_table(A, WITH_P2, [P2_ON_TIME_MAR_20])
    before = replay(A, WITH_P2, d("2025-03-20"))
    assert before.allocations["p2"].principal == D("197.82")
    # a reversed transaction is left out of the calculator's entries; every value is recomputed
    reversed_ = replay(A, [e for e in WITH_P2 if e.id != "p2"], d("2025-03-20"))
    never = replay(A, WITHOUT_P2, d("2025-03-20"))
    assert reversed_.to_doc() == never.to_doc()
    assert "p2" not in reversed_.allocations
    check_table(A, [e for e in WITH_P2 if e.id != "p2"], NO_P2_TABLE)


# ---------------------------------------------------------------------------------------------------------------
# 6. Back-dated payment: posted on Mar 20 with a date of Mar 1 (or Mar 5) after the days up to Mar 20 were computed.


def _run_daily(terms: Terms, entries: list[Entry], through: date):
    """Daily maintenance: one step per day from the contract date, each day's entries on that day."""
    sched = plan(terms)
    by_day: dict[date, list[Entry]] = {}
    for entry in entries:
        by_day.setdefault(entry.day, []).append(entry)
    ledger = open_ledger(terms)
    while ledger.date < through:
        step(ledger, terms, sched, by_day.get(ledger.date + timedelta(days=1), ()))
    return ledger


def test_6_back_dated_payment_equals_posting_it_on_its_date():
    today = d("2025-03-20")
    daily = _run_daily(A, WITHOUT_P2, today)
    assert values(daily, A) == values(replay(A, WITHOUT_P2, today), A)
    late_view = values(daily, A)
    assert (late_view.days_past_due, late_view.due_fees, late_view.payoff) == (19, D("25.00"), D("1045.54"))

    # Mar 1 payment arrives on Mar 20: recomputed from Mar 1 it is exactly the on-time loan (no fee, DPD 0)
    back_dated = replay(A, WITHOUT_P2 + [pay("p2", "2025-03-01", "207.06")], today)
    on_time = _run_daily(A, WITH_P2, today)
    assert back_dated.to_doc() == on_time.to_doc()
    check_table(A, WITHOUT_P2 + [pay("p2", "2025-03-01", "207.06")], [P2_ON_TIME_MAR_20])

    # dated Mar 5 (late, but before the Mar 11 fee day): Feb 2..Mar 5 = 32 x 0.33 = 10.56 interest,
    # 207.06 - 10.56 = 196.50 principal -> 808.53; 808.53 x .12/365 = 0.265818 -> 0.27 x 15 (Mar 6..20) = 4.05
    mar5 = WITHOUT_P2 + [pay("p2", "2025-03-05", "207.06")]
    check_table(
        A,
        mar5,
        [
            R(
                "2025-03-04", 3, "207.06", "1015.26", "1005.03", "10.23", "0.00"
            ),  # as it would have looked then: 31 x .33
            R("2025-03-05", 0, "0.00", "808.53", "808.53", "0.00", "0.00", "2025-04-01", "207.06"),
            R("2025-03-20", 0, "0.00", "812.58", "808.53", "4.05", "0.00", "2025-04-01", "207.06", "0.27"),
        ],
    )
    assert allocation(A, mar5, "p2", "2025-03-20") == (D("0"), D("10.56"), D("196.50"), D("0"))


# ---------------------------------------------------------------------------------------------------------------
# 7. Stop interest then resume: stop dated Jan 11 takes effect before Jan 11's accrual; resume dated Jan 21 takes
#    effect before Jan 21's accrual. Accruing days: Jan 2..Jan 10 (9) and Jan 21..Feb 1 (12).

STOP = [Entry("s", "stop-interest", d("2025-01-11")), Entry("r", "resume-interest", d("2025-01-21"))]


def test_7_stop_interest_then_resume():
    check_table(
        A,
        STOP,
        [
            R("2025-01-10", 0, "0.00", "1203.51", "1200.00", "3.51", "0.00", per_diem="0.39"),  # 9 x .39
            R("2025-01-11", 0, "0.00", "1203.51", "1200.00", "3.51", "0.00", per_diem="0.00"),  # no accrual on Jan 11
            R("2025-01-20", 0, "0.00", "1203.51", "1200.00", "3.51", "0.00", per_diem="0.00"),
            R("2025-01-21", 0, "0.00", "1203.90", "1200.00", "3.90", "0.00", per_diem="0.39"),  # Jan 21 accrues
            R(
                "2025-02-01", 0, "0.00", "1208.19", "1200.00", "8.19", "0.00", "2025-02-01", "207.06", "0.39"
            ),  # 21 x .39
        ],
    )


def test_7b_payments_while_interest_is_stopped_still_count_and_dpd_still_runs():
    # Stop on Jan 11, never resumed: interest frozen at 3.51; Feb 1 payment 207.06 = 3.51 + 203.55 -> 996.45
    entries = [STOP[0], pay("p1", "2025-02-01", "207.06")]
    check_table(
        A,
        entries,
        [
            R("2025-02-01", 0, "0.00", "996.45", "996.45", "0.00", "0.00", per_diem="0.00"),
            R("2025-03-02", 1, "207.06", "996.45", "996.45", "0.00", "0.00", "2025-04-01", "207.06", "0.00"),
            R("2025-03-11", 10, "207.06", "1021.45", "996.45", "0.00", "25.00"),
        ],
    )


# ---------------------------------------------------------------------------------------------------------------
# 8. Charge-off: a credit with charge_off=True of the payoff.

# No payments. Apr 15: Jan 2..Apr 15 = 30 + 28 + 31 + 15 = 104 days x 0.39 = 40.56; fees Feb 11, Mar 11, Apr 11 = 75.00
#   payoff 1200.00 + 40.56 + 75.00 = 1315.56; DPD Apr 15 - Feb 1 = 73; past due 3 installments = 621.18


def test_8_charge_off_of_the_payoff():
    check_table(
        A,
        [],
        [
            R("2025-04-15", 73, "621.18", "1315.56", "1200.00", "40.56", "75.00", "2025-05-01", "207.06", "0.39"),
        ],
    )
    entries = [Entry("co", "credit", d("2025-04-15"), D("1315.56"), charge_off=True)]
    check_table(
        A,
        entries,
        [
            R("2025-04-15", 0, "0.00", "0.00", "0.00", "0.00", "0.00", per_diem="0.00"),
            R("2025-05-20", 0, "0.00", "0.00", "0.00", "0.00", "0.00", per_diem="0.00"),  # no fee May 11
            R("2025-07-20", 0, "0.00", "0.00", "0.00", "0.00", "0.00", None, None, "0.00"),
        ],
    )
    assert allocation(A, entries, "co", "2025-04-15") == (D("75.00"), D("40.56"), D("1200.00"), D("0"))
    later = replay(A, entries, d("2025-07-20"))
    assert later.interest_charged == D("40.56") and later.late_fees == 3


def test_8b_charge_off_for_less_than_the_payoff_stops_accrual_and_late_fees():
    # 1000.00 = 75.00 fees + 40.56 interest + 884.44 principal -> 315.56 left; no accrual or fee afterwards
    entries = [Entry("co", "credit", d("2025-04-15"), D("1000.00"), charge_off=True)]
    check_table(
        A,
        entries,
        [
            R("2025-04-15", 0, "0.00", "315.56", "315.56", "0.00", "0.00", per_diem="0.00"),
            R("2025-05-20", 0, "0.00", "315.56", "315.56", "0.00", "0.00", per_diem="0.00"),
            # installment 5 (1035.30) vs paid toward installments 925.00 -> 110.30 unpaid, but no fee on Jun 11
            R("2025-06-11", 10, "110.30", "315.56", "315.56", "0.00", "0.00", per_diem="0.00"),
            R("2025-07-20", 49, "315.56", "315.56", "315.56", "0.00", "0.00", None, None, "0.00"),
        ],
    )


# ---------------------------------------------------------------------------------------------------------------
# 9. Month-end due dates.

# Loan M: as A but contract 2024-12-31, first payment 2025-01-31 (anchor day 31).
M = loan_a(contract_date=d("2024-12-31"), first_payment_date=d("2025-01-31"))


def test_9_month_end_anchor_31_due_dates_and_dpd():
    assert [r.due_date for r in schedule(M)] == [
        d("2025-01-31"),
        d("2025-02-28"),
        d("2025-03-31"),
        d("2025-04-30"),
        d("2025-05-31"),
        d("2025-06-30"),
    ]
    # Jan 31: Jan 1..31 = 31 x 0.39 = 12.09; 207.06 -> 1005.03; 0.33 a day from Feb 1; Feb 28 installment missed.
    # fee day Feb 28 + 10 = Mar 10; Mar 31 installment past due from Apr 1, its fee day Apr 10.
    entries = [pay("p1", "2025-01-31", "207.06")]
    check_table(
        M,
        entries,
        [
            R("2025-02-27", 0, "0.00", "1013.94", "1005.03", "8.91", "0.00", "2025-02-28", "207.06"),  # 27 x .33
            R("2025-02-28", 0, "0.00", "1014.27", "1005.03", "9.24", "0.00", "2025-02-28", "207.06"),
            R("2025-03-01", 1, "207.06", "1014.60", "1005.03", "9.57", "0.00", "2025-03-31", "207.06"),  # 29 x .33
            R("2025-03-09", 9, "207.06", "1017.24", "1005.03", "12.21", "0.00"),
            R("2025-03-10", 10, "207.06", "1042.57", "1005.03", "12.54", "25.00"),  # 38 x .33 + fee
            R("2025-03-11", 11, "207.06", "1042.90", "1005.03", "12.87", "25.00"),
            R("2025-03-31", 31, "207.06", "1049.50", "1005.03", "19.47", "25.00", "2025-03-31", "207.06"),  # 59 x .33
            R("2025-04-01", 32, "414.12", "1049.83", "1005.03", "19.80", "25.00", "2025-04-30", "207.06"),
            R("2025-04-09", 40, "414.12", "1052.47", "1005.03", "22.44", "25.00"),
            R("2025-04-10", 41, "414.12", "1077.80", "1005.03", "22.77", "50.00"),  # 69 x .33 + second fee
        ],
    )


# Loan L: 1,400.00 at 12% actual/365 (365 even in 2028), 14 monthly, contract 2028-01-29, first payment 2028-02-29.
#   installment 1400 x .01 / (1 - 1.01^-14) = 14 / 0.130037 = 107.661 -> 107.66 (x13, last absorbs: 107.69)
#   per diem 1400 x .12/365 = 0.460274 -> 0.46
L = loan_a(loan_amount=D("1400.00"), term_periods=14, contract_date=d("2028-01-29"), first_payment_date=d("2028-02-29"))
L_DUES = [
    d("2028-02-29"),
    d("2028-03-29"),
    d("2028-04-29"),
    d("2028-05-29"),
    d("2028-06-29"),
    d("2028-07-29"),
    d("2028-08-29"),
    d("2028-09-29"),
    d("2028-10-29"),
    d("2028-11-29"),
    d("2028-12-29"),
    d("2029-01-29"),
    d("2029-02-28"),
    d("2029-03-29"),
]  # anchor 29 kept; Feb 2029 clamps to the 28th, March is back on the 29th


def test_9b_leap_day_anchor_due_dates_and_dpd():
    assert [r.due_date for r in schedule(L)] == L_DUES
    assert [r.payment for r in schedule(L)] == [D("107.66")] * 13 + [D("107.69")]
    # Nothing paid: Feb 29 installment past due from Mar 1; fee day Feb 29 + 10 = Mar 10
    check_table(
        L,
        [],
        [
            R("2028-02-28", 0, "0.00", "1413.80", "1400.00", "13.80", "0.00", "2028-02-29", "107.66"),  # 30 x .46
            R("2028-02-29", 0, "0.00", "1414.26", "1400.00", "14.26", "0.00", "2028-02-29", "107.66"),  # 31 x .46
            R("2028-03-01", 1, "107.66", "1414.72", "1400.00", "14.72", "0.00", "2028-03-29", "107.66"),
            R("2028-03-09", 9, "107.66", "1418.40", "1400.00", "18.40", "0.00"),  # 40 x .46
            R("2028-03-10", 10, "107.66", "1443.86", "1400.00", "18.86", "25.00"),
            R("2028-03-29", 29, "107.66", "1452.60", "1400.00", "27.60", "25.00", "2028-03-29", "107.66"),  # 60 x .46
            R("2028-03-30", 30, "215.32", "1453.06", "1400.00", "28.06", "25.00", "2028-04-29", "107.66"),
        ],
    )


def test_9c_leap_anchor_a_year_later_feb_28_2029_counts_dpd_from_mar_1():
    # On 2028-02-29 pay 12 installments at once: 12 x 107.66 = 1291.92 = 14.26 interest + 1277.66 principal -> 122.34.
    # Installments 1..12 are covered; the 13th (due 2029-02-28) is not.
    # 122.34 x .12/365 = 0.040221 -> 0.04 a day; 2028-03-01..2029-02-28 = 365 days x .04 = 14.60
    entries = [pay("lump", "2028-02-29", "1291.92")]
    check_table(
        L,
        entries,
        [
            R("2028-02-29", 0, "0.00", "122.34", "122.34", "0.00", "0.00", per_diem="0.04"),
            R("2029-02-28", 0, "0.00", "136.94", "122.34", "14.60", "0.00", "2029-02-28", "107.66"),
            R("2029-03-01", 1, "107.66", "136.98", "122.34", "14.64", "0.00", "2029-03-29", "29.32"),  # 136.98-107.66
            R("2029-03-09", 9, "107.66", "137.30", "122.34", "14.96", "0.00"),
            R("2029-03-10", 10, "107.66", "162.34", "122.34", "15.00", "25.00", "2029-03-29", "54.68"),
            R("2029-03-29", 29, "107.66", "163.10", "122.34", "15.76", "25.00"),
            # after the last due date the whole payoff is due: 163.10 + 0.04
            R("2029-03-30", 30, "163.14", "163.14", "122.34", "15.80", "25.00", None, None),
        ],
    )


# ---------------------------------------------------------------------------------------------------------------
# Day counts: 30/360 and actual/360.

# 1200.00 x .12/360 = 0.40 exactly per (30/360) day.


def test_30_360_month_of_accrual():
    t = loan_a(day_count="30/360")
    check_table(
        t,
        [],
        [
            R("2025-01-02", 0, "0.00", "1200.40", "1200.00", "0.40", "0.00", per_diem="0.40"),
            R("2025-01-30", 0, "0.00", "1211.60", "1200.00", "11.60", "0.00"),  # 29 x .40
            R("2025-01-31", 0, "0.00", "1211.60", "1200.00", "11.60", "0.00"),  # the 31st accrues nothing
            R("2025-02-01", 0, "0.00", "1212.00", "1200.00", "12.00", "0.00"),  # Jan 1 -> Feb 1 = 30 days = 12.00
            R("2025-02-27", 26, "207.06", "1247.40", "1200.00", "22.40", "25.00"),  # + 26 x .40; fee Feb 11
            R("2025-02-28", 27, "207.06", "1247.80", "1200.00", "22.80", "25.00"),
            # Mar 1 makes February up to 30 days: 31 - 28 = 3 days x .40 = 1.20 -> 24.00 = 60 days
            R("2025-03-01", 28, "207.06", "1249.00", "1200.00", "24.00", "25.00"),
            R("2025-03-02", 29, "414.12", "1249.40", "1200.00", "24.40", "25.00"),
        ],
    )
    # leap February: contract 2028-02-01; Feb 2..29 = 28 x .40 = 11.20; Mar 1 adds 31 - 29 = 2 days = 0.80 -> 12.00
    leap = loan_a(day_count="30/360", contract_date=d("2028-02-01"), first_payment_date=d("2028-03-01"))
    check_table(
        leap,
        [],
        [
            R("2028-02-28", 0, "0.00", "1210.80", "1200.00", "10.80", "0.00"),
            R("2028-02-29", 0, "0.00", "1211.20", "1200.00", "11.20", "0.00"),
            R("2028-03-01", 0, "0.00", "1212.00", "1200.00", "12.00", "0.00", "2028-03-01", "207.06"),
            R("2028-03-02", 1, "207.06", "1212.40", "1200.00", "12.40", "0.00", "2028-04-01", "207.06"),
        ],
    )


def test_actual_360_on_time():
    # Same schedule (periodic rate is 12%/12); daily 1200 x .12/360 = 0.40: Jan 2..Feb 1 = 31 x .40 = 12.40
    # Feb 1: 207.06 = 12.40 + 194.66 -> 1005.34; 1005.34 x .12/360 = 0.335113 -> 0.34; Feb 2..Mar 1 = 28 x .34 = 9.52
    # Mar 1: 207.06 = 9.52 + 197.54 -> 807.80; 807.80 x .12/360 = 0.269267 -> 0.27
    t = loan_a(day_count="actual/360")
    entries = ON_TIME[:2]
    check_table(
        t,
        entries,
        [
            R(
                "2025-01-31", 0, "0.00", "1212.00", "1200.00", "12.00", "0.00", "2025-02-01", "207.06", "0.40"
            ),  # 30 x .40
            R("2025-02-01", 0, "0.00", "1005.34", "1005.34", "0.00", "0.00", per_diem="0.34"),
            R("2025-02-02", 0, "0.00", "1005.68", "1005.34", "0.34", "0.00", "2025-03-01", "207.06"),
            R("2025-03-01", 0, "0.00", "807.80", "807.80", "0.00", "0.00", per_diem="0.27"),
            R("2025-03-02", 0, "0.00", "808.07", "807.80", "0.27", "0.00", "2025-04-01", "207.06", "0.27"),
        ],
    )
    assert allocation(t, entries, "p1", "2025-03-01") == (D("0"), D("12.40"), D("194.66"), D("0"))


def test_late_fees_follow_the_status_of_each_day():
    """Loan A misses Feb 1 and Mar 1 (fee days Feb 11 and Mar 11). Its status stops allowing late fees
    from Mar 1: the fee booked on Feb 11 stays, Mar 11's is never charged; allowing them again from
    Apr 1 charges Apr 11's (installment 3 unpaid) but not Mar 11's retroactively."""
    stopped = [(d("2025-01-01"), True), (d("2025-03-01"), False)]
    assert values(replay(A, [], d("2025-03-31"), stopped), A).due_fees == D("25.00")
    assert values(replay(A, [], d("2025-03-31"), True), A).due_fees == D("50.00")  # control: both fees
    again = stopped + [(d("2025-04-01"), True)]
    assert values(replay(A, [], d("2025-04-11"), again), A).due_fees == D("50.00")  # Feb 11 + Apr 11
    # before the first period: the first period's answer (a loan activated late)
    assert values(replay(A, [], d("2025-02-11"), [(d("2025-03-01"), False)]), A).due_fees == D("0.00")
