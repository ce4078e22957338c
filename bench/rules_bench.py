"""The rule language's benchmark (issues 3 and 20): compiled rules through the production call against a
hand-written lambda, the `rule-engine` and `zen-engine` packages, on criteria covering every function family.

    python -m bench.rules_bench            # what `make bench` runs
    python -m bench.rules_bench --strict   # also exit 2 when a target is missed
    RULES_BENCH_CONTEXTS=5000 python -m bench.rules_bench   # fewer generated loans, a quicker run

The compiled rule is timed as production calls it (lms.automation.engine): `rule.run(context).matched`. Each
rule's answer is compared with the lambda's and each peer engine's context by context before anything is
timed: a disagreement names the context and fails the bench (exit 1). Then the lambda and the compiled rule
take turns chunk by chunk, twice each (A B B A); a round's ratio is the median over its chunks of the two's
times on the chunk, and every round's ratio is printed with the median over rounds. The peer engines take
turns with the compiled rule the same way, over fewer rounds. Targets: compiled >= 0.9x the lambda and at
least as fast as every peer engine, on every rule.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "shared"):  # the same import roots as pytest.ini
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import rule_engine  # noqa: E402
import zen  # noqa: E402

from lms.rules import CompiledRule, compile_rule  # noqa: E402

CONTEXTS = int(os.environ.get("RULES_BENCH_CONTEXTS", "30000"))
SEED = 20260131
CHUNK = 1_000  # contexts per turn
ROUNDS = 21  # lambda and compiled, interleaved chunk by chunk
ENGINE_ROUNDS = 2  # compiled, rule-engine and zen-engine, interleaved the same way
COMPILE_REPETITIONS = 50
TARGET_RATIO = 0.9  # compiled >= 0.9x the lambda
TARGET_COMPILE_MS = {"R02": 5.0}  # validation+compile under 5 ms (issue 3)

# ------------------------------------------------------------------ the hand-written baselines' constants

CENT = Decimal("0.01")
D_0_05, D_0_5, D_0_75, D_1_1, D_5_0 = Decimal("0.05"), Decimal("0.5"), Decimal("0.75"), Decimal("1.1"), Decimal("5.0")
JUNE_1 = datetime.date(2026, 6, 1)
HARDSHIP_SUB_STATUSES = frozenset({"Bankruptcy", "Hardship"})
PROTECTED = frozenset({"SCRA", "Deceased"})
DEALERS = frozenset({"Acme Motors", "Zeta Auto"})
WATCHED = frozenset({"Open/Past Due", "Open/Hardship"})


def parse_int(text: Any) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def parse_decimal(text: Any) -> Decimal | None:
    try:
        return Decimal(text)
    except (TypeError, InvalidOperation):
        return None


# ------------------------------------------------------------------ the rules


@dataclass(frozen=True)
class Case:
    label: str
    family: str  # the function family it exercises
    text: str
    baseline: Callable[[dict[str, Any]], Any]  # the hand-written lambda
    rule_engine: str | None  # rule-engine's text; None: it cannot express the rule
    zen: str | None  # zen-engine's expression (its variables: the catalogue names with - and . made _)
    note: str = ""


def r01(c):
    return c["status-days-past-due"] > 30 and c["loan-status"] == "Open" and c["customer.primary.status"] != "SCRA"


def r02(c):
    return (
        (c["status-days-past-due"] > 90 and c["status-payoff"] * D_0_05 > 250)
        or (c["loan-sub-status"] == "Bankruptcy" and "Collections" not in c["portfolios"])
        or (
            c["status-principal-balance"] + c["status-interest-accrued"] + c["status-due-fees"]
            >= D_1_1 * c["setup-loan-amount"]
        )
    )


def r03(c):
    return (c["status-principal-balance"] / c["setup-loan-amount"]).quantize(CENT, ROUND_HALF_UP) > D_0_75


def r04(c):
    dpd = c["status-days-past-due"]
    return dpd > 0 and dpd % 30 < 10


def r05(c):
    return c["loan-status"] == "Open" and c["status-days-past-due"] // 30 >= 2  # never negative: floor is truncation


def r06(c):
    return c["setup-loan-term"] % 12 != 0 and c["status-days-past-due"] > 0  # terms are positive


def r07(c):
    return min(c["status-amount-due"], c["status-payoff"]) >= max(250, D_0_5 * c["status-next-payment-amount"])


def r08(c):
    return abs(c["status-total-paid"] - c["setup-loan-amount"]) < 2000


def r09(c):
    dpd = c["status-days-past-due"]
    return dpd - 1 >= c["setup-grace-days"] and dpd + 1 < 60


def r10(c):
    return c["status-amount-due"] != 0 and c["status-days-past-due"] % 2 == 0


def r11(c):
    dpd = c["status-days-past-due"]
    return c["setup-loan-amount"] - c["status-principal-balance"] < 0 or (dpd % 2 == 1 and dpd > 60)


def r12(c):
    return f"{c['loan-status']}/{c['loan-sub-status'] or ''}" in WATCHED or c["status-days-past-due"] > 90


def r13(c):
    sub_status = c["loan-sub-status"]
    return sub_status is not None and sub_status.lower().startswith("past")


def r14(c):
    return c["credit-status"].upper().endswith("LATE")


def r15(c):
    return c["loan-display-id"][:3] == "AUT" or "Auto" in c["portfolios"]


def r16(c):
    return len(c["portfolios"]) > 1


def r17(c):
    return not c["checklist"] and c["loan-status"] == "Open"


def r18(c):
    return c["loan-sub-status"] in HARDSHIP_SUB_STATUSES or "Late" in c["credit-status"]


def r19(c):
    primary = c["customer.primary"]
    return (primary.get("status", "none") if primary is not None else "none") == "SCRA"


def r20(c):
    primary = c["customer.primary"]
    return primary is not None and primary.get("status") in PROTECTED


def r21(c):
    secondary = c["customer.secondary"]
    if secondary is not None and "status" in secondary and secondary["status"] == "SCRA":
        return True
    primary = c["customer.primary"]
    return primary is not None and primary["credit-score"] < 500


def r22(c):
    last = c["status-last-payment-date"]
    return last is not None and (c["current-date"] - last).days > 45


def r23(c):
    due = c["status-next-payment-date"]
    return due < JUNE_1 and (due - c["current-utc-date"]).days <= 7


def r24(c):
    return c["custom-fields"].get("Dealer") in DEALERS


def r25(c):
    if c["status-days-past-due"] > 90:
        return True
    tier = c["custom-fields"].get("Risk tier")
    return tier is not None and tier >= 4


def r26(c):
    score = parse_int(c["custom-fields"].get("Bureau score"))
    return score is not None and score < 600


def r27(c):
    rate = parse_decimal(c["custom-fields"].get("Promo rate"))
    return rate is not None and rate < D_5_0


def r28(c):
    dpd = c["status-days-past-due"]
    if dpd > 90:
        return c["status-payoff"] > 10000
    if dpd > 30:
        return c["status-amount-due"] > 500
    return False


def r29(c):
    fields = c["custom-fields"]
    return fields.get("Dealer") == "Northwind" or fields.get("Risk tier") == 5


_R02_ENGINES = (
    "(status_days_past_due > 90 and status_payoff * 0.05 > 250)"
    ' or (loan_sub_status == "Bankruptcy" and not ("Collections" in portfolios))'
    " or (status_principal_balance + status_interest_accrued + status_due_fees >= 1.1 * setup_loan_amount)"
)
_R11 = (
    "setup_loan_amount - status_principal_balance < 0 or (status_days_past_due % 2 == 1 and status_days_past_due > 60)"
)
_R28 = (
    "status_days_past_due > 90 ? status_payoff > 10000 : (status_days_past_due > 30 ? status_amount_due > 500 : false)"
)
CASES = [
    Case(
        "R01",
        "comparison, logic",
        '(and (> status-days-past-due 30) (= loan-status "Open") (not= customer.primary.status "SCRA"))',
        r01,
        'status_days_past_due > 30 and loan_status == "Open" and customer_primary_status != "SCRA"',
        'status_days_past_due > 30 and loan_status == "Open" and customer_primary_status != "SCRA"',
    ),
    Case(
        "R02",
        "+ * or, contains? on a set variable",
        "(or (and (> status-days-past-due 90) (> (* status-payoff 0.05) 250))"
        ' (and (= loan-sub-status "Bankruptcy") (not (contains? portfolios "Collections")))'
        " (>= (+ status-principal-balance status-interest-accrued status-due-fees) (* 1.1 setup-loan-amount)))",
        r02,
        _R02_ENGINES,
        _R02_ENGINES,
    ),
    Case(
        "R03",
        "/ round",
        "(> (round (/ status-principal-balance setup-loan-amount) 2) 0.75)",
        r03,
        "((status_principal_balance / setup_loan_amount) * 100 + 0.5).floor / 100 > 0.75",
        "round(status_principal_balance / setup_loan_amount, 2) > 0.75",
        "rule-engine has no round: half up written with floor (the ratio is never negative)",
    ),
    Case(
        "R04",
        "mod pos?",
        "(and (pos? status-days-past-due) (< (mod status-days-past-due 30) 10))",
        r04,
        "status_days_past_due > 0 and status_days_past_due % 30 < 10",
        "status_days_past_due > 0 and status_days_past_due % 30 < 10",
    ),
    Case(
        "R05",
        "quot",
        '(and (= loan-status "Open") (>= (quot status-days-past-due 30) 2))',
        r05,
        'loan_status == "Open" and status_days_past_due // 30 >= 2',
        'loan_status == "Open" and floor(status_days_past_due / 30) >= 2',
    ),
    Case(
        "R06",
        "rem",
        "(and (not= (rem setup-loan-term 12) 0) (> status-days-past-due 0))",
        r06,
        "setup_loan_term % 12 != 0 and status_days_past_due > 0",
        "setup_loan_term % 12 != 0 and status_days_past_due > 0",
    ),
    Case(
        "R07",
        "min max",
        "(>= (min status-amount-due status-payoff) (max 250 (* 0.5 status-next-payment-amount)))",
        r07,
        "$min([status_amount_due, status_payoff]) >= $max([250, 0.5 * status_next_payment_amount])",
        "min([status_amount_due, status_payoff]) >= max([250, 0.5 * status_next_payment_amount])",
    ),
    Case(
        "R08",
        "abs",
        "(< (abs (- status-total-paid setup-loan-amount)) 2000)",
        r08,
        "$abs(status_total_paid - setup_loan_amount) < 2000",
        "abs(status_total_paid - setup_loan_amount) < 2000",
    ),
    Case(
        "R09",
        "inc dec",
        "(and (>= (dec status-days-past-due) setup-grace-days) (< (inc status-days-past-due) 60))",
        r09,
        "status_days_past_due - 1 >= setup_grace_days and status_days_past_due + 1 < 60",
        "status_days_past_due - 1 >= setup_grace_days and status_days_past_due + 1 < 60",
    ),
    Case(
        "R10",
        "zero? even? not",
        "(and (not (zero? status-amount-due)) (even? status-days-past-due))",
        r10,
        "status_amount_due != 0 and status_days_past_due % 2 == 0",
        "status_amount_due != 0 and status_days_past_due % 2 == 0",
    ),
    Case(
        "R11",
        "neg? odd?",
        "(or (neg? (- setup-loan-amount status-principal-balance))"
        " (and (odd? status-days-past-due) (> status-days-past-due 60)))",
        r11,
        _R11,
        _R11,
    ),
    Case(
        "R12",
        "str, contains? on a set literal",
        '(or (contains? #{"Open/Past Due" "Open/Hardship"} (str loan-status "/" loan-sub-status))'
        " (> status-days-past-due 90))",
        r12,
        '(loan_status + "/" + (loan_sub_status == null ? "" : loan_sub_status)) in ["Open/Past Due", "Open/Hardship"]'
        " or status_days_past_due > 90",
        '(loan_status + "/" + (loan_sub_status ?? "")) in ["Open/Past Due", "Open/Hardship"]'
        " or status_days_past_due > 90",
        "str checks its 10,000-character cap (a len and a comparison), which the lambda does not",
    ),
    Case(
        "R13",
        "lower-case starts-with? some?",
        '(and (some? loan-sub-status) (starts-with? (lower-case loan-sub-status) "past"))',
        r13,
        'loan_sub_status != null and loan_sub_status.as_lower.starts_with("past")',
        'loan_sub_status != null and startsWith(lower(loan_sub_status), "past")',
    ),
    Case(
        "R14",
        "upper-case ends-with?",
        '(ends-with? (upper-case credit-status) "LATE")',
        r14,
        'credit_status.as_upper.ends_with("LATE")',
        'endsWith(upper(credit_status), "LATE")',
    ),
    Case(
        "R15",
        "subs",
        '(or (= (subs loan-display-id 0 3) "AUT") (contains? portfolios "Auto"))',
        r15,
        'loan_display_id[0:3] == "AUT" or "Auto" in portfolios',
        'loan_display_id[0:2] == "AUT" or "Auto" in portfolios',
        "zen-engine's slices include their end",
    ),
    Case(
        "R16",
        "count",
        "(> (count portfolios) 1)",
        r16,
        "portfolios.length > 1",
        "len(portfolios) > 1",
    ),
    Case(
        "R17",
        "empty?",
        '(and (empty? checklist) (= loan-status "Open"))',
        r17,
        'checklist.is_empty and loan_status == "Open"',
        'len(checklist) == 0 and loan_status == "Open"',
    ),
    Case(
        "R18",
        "contains? on a set literal, includes?",
        '(or (contains? #{"Bankruptcy" "Hardship"} loan-sub-status) (includes? credit-status "Late"))',
        r18,
        'loan_sub_status in ["Bankruptcy", "Hardship"] or "Late" in credit_status',
        'loan_sub_status in ["Bankruptcy", "Hardship"] or contains(credit_status, "Late")',
    ),
    Case(
        "R19",
        "get with a default, keyword",
        '(= (get customer.primary :status "none") "SCRA")',
        r19,
        'customer_primary != null and customer_primary["status"] == "SCRA"',
        '(customer_primary.status ?? "none") == "SCRA"',
    ),
    Case(
        "R20",
        "get-in",
        '(contains? #{"SCRA" "Deceased"} (get-in customer.primary [:status]))',
        r20,
        'customer_primary != null and customer_primary["status"] in ["SCRA", "Deceased"]',
        'customer_primary.status in ["SCRA", "Deceased"]',
    ),
    Case(
        "R21",
        "-> and contains? on a map",
        '(or (and (contains? customer.secondary :status) (= (-> customer.secondary :status) "SCRA"))'
        " (and (some? customer.primary) (< (-> customer.primary :credit-score) 500)))",
        r21,
        '(customer_secondary != null and customer_secondary["status"] == "SCRA")'
        ' or (customer_primary != null and customer_primary["credit-score"] < 500)',
        '(customer_secondary != null and customer_secondary.status == "SCRA")'
        ' or (customer_primary != null and customer_primary["credit-score"] < 500)',
    ),
    Case(
        "R22",
        "u/date-compare",
        "(and (some? status-last-payment-date) (> (u/date-compare current-date status-last-payment-date) 45))",
        r22,
        "status_last_payment_date != null and (current_date - status_last_payment_date).days > 45",
        'status_last_payment_date != null and d(current_date).diff(d(status_last_payment_date), "day") > 45',
    ),
    Case(
        "R23",
        "date, u/today",
        '(and (< status-next-payment-date (date "2026-06-01"))'
        " (<= (u/date-compare status-next-payment-date (u/today)) 7))",
        r23,
        'status_next_payment_date < d"2026-06-01" and (status_next_payment_date - current_utc_date).days <= 7',
        'd(status_next_payment_date) < d("2026-06-01")'
        ' and d(status_next_payment_date).diff(d(current_utc_date), "day") <= 7',
    ),
    Case(
        "R24",
        "custom field in a set literal",
        '(contains? #{"Acme Motors" "Zeta Auto"} (custom-field "Dealer"))',
        r24,
        'custom_fields&["Dealer"] in ["Acme Motors", "Zeta Auto"]',
        'custom_fields.Dealer in ["Acme Motors", "Zeta Auto"]',
    ),
    Case(
        "R25",
        "custom field compared, let",
        '(or (> status-days-past-due 90) (let [tier (custom-field "Risk tier")] (and (some? tier) (>= tier 4))))',
        r25,
        'status_days_past_due > 90 or (custom_fields&["Risk tier"] != null and custom_fields["Risk tier"] >= 4)',
        'status_days_past_due > 90 or (custom_fields["Risk tier"] != null and custom_fields["Risk tier"] >= 4)',
    ),
    Case(
        "R26",
        "v/parse-int",
        '(let [score (v/parse-int (custom-field "Bureau score"))] (and (some? score) (< score 600)))',
        r26,
        None,
        'isNumeric(custom_fields["Bureau score"]) and number(custom_fields["Bureau score"]) < 600',
        "rule-engine cannot express it (to_int raises on text that is not a number); zen-engine's isNumeric"
        " also takes decimals (the data has none)",
    ),
    Case(
        "R27",
        "v/parse-float",
        '(let [rate (v/parse-float (custom-field "Promo rate"))] (and (some? rate) (< rate 5.0)))',
        r27,
        None,
        'isNumeric(custom_fields["Promo rate"]) and number(custom_fields["Promo rate"]) < 5.0',
        "rule-engine cannot express it (to_flt raises on text that is not a number)",
    ),
    Case(
        "R28",
        "cond",
        "(cond (> status-days-past-due 90) (> status-payoff 10000)"
        " (> status-days-past-due 30) (> status-amount-due 500) :else false)",
        r28,
        _R28,
        _R28,
    ),
    Case(
        "R29",
        "= on custom fields",
        '(or (= (custom-field "Dealer") "Northwind") (= (custom-field "Risk tier") 5))',
        r29,
        'custom_fields&["Dealer"] == "Northwind" or custom_fields&["Risk tier"] == 5',
        'custom_fields.Dealer == "Northwind" or custom_fields["Risk tier"] == 5',
    ),
]


def snake(name: str) -> str:
    return name.replace("-", "_").replace(".", "_")


# ------------------------------------------------------------------ the loan contexts

TODAY = datetime.date(2026, 5, 15)


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)  # exactly 2 places, like the domain's money


def make_context(rng: random.Random) -> dict[str, Any]:
    """One loan's rule context, keyed by catalogue names (string objects of their own: see _key): statuses,
    balances, delinquency, customers, dates and custom fields spread so that each rule matches about 5-40%
    of the loans, with some exact boundaries (dpd 30/90, payoff 5000.00, 110% of the amount)."""
    r = rng.random()
    status = "Application" if r < 0.08 else "Closed" if r < 0.16 else "Open"
    amount_cents = rng.randrange(1_000, 50_001) * 100 + rng.choice((0, 0, 0, rng.randrange(100)))
    rate = Decimal(rng.randrange(399, 3600)).scaleb(-2)
    term = rng.choice((12, 18, 24, 30, 36, 42, 48, 60, 72))
    dpd = 0
    if status == "Open":
        r = rng.random()
        dpd = (
            0
            if r < 0.50
            else rng.randint(1, 30)
            if r < 0.65
            else rng.randint(31, 90)
            if r < 0.77
            else rng.randint(91, 400)
        )
    if status == "Open":
        fraction = rng.uniform(1.0, 1.2) if rng.random() < 0.04 else rng.uniform(0.05, 1.0)  # 4% negative amortization
        principal_cents = int(amount_cents * fraction)
    else:
        principal_cents = amount_cents if status == "Application" else 0
    interest_cents = int(principal_cents * float(rate) / 36500 * (dpd + rng.randint(0, 30))) if status == "Open" else 0
    fees_cents = 0 if dpd == 0 else rng.choice((0, 1500, 2500, 3500)) * (1 + dpd // 30)
    boundary = rng.random()
    if status == "Open" and boundary < 0.004:  # payoff exactly 5000.00 (R02's first clause is false) or 5000.01
        dpd = rng.randint(91, 200)
        interest_cents, fees_cents = 12_345, 2_500
        principal_cents = 500_000 + rng.randint(0, 1) - interest_cents - fees_cents
    elif status == "Open" and boundary < 0.008:  # balances exactly 1.1 x the amount (>= holds), or a cent short
        amount_cents -= amount_cents % 10
        fees_cents = rng.randrange(0, 5_000)
        interest_cents = rng.randrange(0, 20_000)
        principal_cents = amount_cents * 11 // 10 - interest_cents - fees_cents - rng.randint(0, 1)
    elif status == "Open" and boundary < 0.012:
        dpd = rng.choice((30, 31, 60, 90, 91))
    elif status == "Open" and boundary < 0.016:  # principal exactly 75.5% or 75.4% of the amount (R03's rounding)
        amount_cents -= amount_cents % 1000
        principal_cents = amount_cents * rng.choice((755, 754)) // 1000
    amount, principal, interest, fees = (
        money(amount_cents),
        money(principal_cents),
        money(interest_cents),
        money(fees_cents),
    )
    installment = (amount / term * (1 + rate / 100)).quantize(CENT)
    if status == "Open":
        sub_status = (
            rng.choices(("Repaying", "Bankruptcy", "Hardship", None), (80, 7, 5, 8))[0]
            if dpd == 0
            else rng.choices(("Past Due", "Repaying", "Bankruptcy", "Hardship", None), (55, 20, 10, 7, 8))[0]
        )
    elif status == "Closed":
        sub_status = rng.choice(("Paid Off", "Charged Off", "Bankruptcy"))
    else:
        sub_status = None
    credit_status = (
        "Current"
        if dpd < 30
        else "30 Days Late"
        if dpd < 60
        else "60 Days Late"
        if dpd < 90
        else rng.choice(("90 Days Late", "Charge-off"))
    )
    portfolios = set()
    if rng.random() < (0.6 if dpd > 30 else 0.05):
        portfolios.add("Collections")
    for title, p in (("Auto", 0.4), ("Personal", 0.5), ("Hardship", 0.05)):
        if rng.random() < p:
            portfolios.add(title)
    has_primary = rng.random() >= 0.04
    primary_status = rng.choices(("Active", "SCRA", "Deceased"), (85, 12, 3))[0] if has_primary else None
    has_secondary = rng.random() < 0.25
    secondary_status = rng.choices(("Active", "SCRA"), (55, 45))[0] if has_secondary else None
    contract = TODAY - datetime.timedelta(days=rng.randint(30, 1800))
    first_payment = contract + datetime.timedelta(days=30)
    paid_cents = max(0, amount_cents - principal_cents) + rng.randrange(0, 100_000)
    last_payment = (
        None
        if status == "Application" or rng.random() < 0.05
        else TODAY - datetime.timedelta(days=dpd + rng.randint(0, 30))
    )
    primary_score = rng.randint(450, 850) if has_primary else None
    secondary_score = rng.randint(450, 850) if has_secondary else None
    bankrupt = sub_status == "Bankruptcy"
    product = "AUT" if "Auto" in portfolios else rng.choice(("PER", "PER", "CRD"))
    context = {
        "status-days-past-due": dpd,
        "status-amount-due": money(
            min(fees_cents + (dpd // 30) * int(installment * 100), principal_cents + interest_cents + fees_cents)
        ),
        "status-payoff": principal + interest + fees,
        "status-perdiem": (principal * rate / 36500).quantize(CENT),
        "status-principal-balance": principal,
        "status-interest-accrued": interest,
        "status-due-fees": fees,
        "status-next-payment-date": TODAY + datetime.timedelta(days=rng.randint(1, 30)),
        "status-next-payment-amount": installment,
        "status-last-payment-date": last_payment,
        "status-last-payment-amount": None if last_payment is None else installment,
        "status-loan-recency": None if last_payment is None else (TODAY - last_payment).days,
        "status-total-paid": money(paid_cents),
        "status-orig-maturity-date": first_payment + datetime.timedelta(days=30 * (term - 1)),
        "loan-status": status,
        "loan-sub-status": sub_status,
        "credit-status": credit_status,
        "portfolios": frozenset(portfolios),
        "sub-portfolios": frozenset(),
        "checklist": frozenset({"Docs signed"} if rng.random() < 0.7 else ()),
        "loan-active": status != "Application",
        "loan-archived": False,
        "interest-stopped": rng.random() < 0.02,
        "charged-off": sub_status == "Charged Off",
        "bankruptcy-active": bankrupt,
        "bankruptcy-chapter": rng.choice((7, 13)) if bankrupt else None,
        "setup-loan-amount": amount,
        "setup-interest-rate": rate,
        "setup-loan-term": term,
        "setup-payment-frequency": "monthly",
        "setup-contract-date": contract,
        "setup-first-payment-date": first_payment,
        "setup-grace-days": 10,
        "customer.primary.status": primary_status,
        "customer.secondary.status": secondary_status,
        "customer.primary.id": f"cus_{rng.randrange(10**9):09d}" if has_primary else None,
        "customer.secondary.id": f"cus_{rng.randrange(10**9):09d}" if has_secondary else None,
        "customer.primary.credit-score": primary_score,
        "customer.secondary.credit-score": secondary_score,
        "customer.primary": {"status": primary_status, "credit-score": primary_score} if has_primary else None,
        "customer.secondary": {"status": secondary_status, "credit-score": secondary_score} if has_secondary else None,
        "custom-fields": custom_fields(rng),
        "customer-statuses": frozenset(s for s in (primary_status, secondary_status) if s is not None),
        "current-date": TODAY,
        "current-utc-date": TODAY + datetime.timedelta(days=rng.choice((0, 0, 0, 1))),  # late in the day, UTC
        "loan-display-id": f"{product}-{rng.randrange(10**6):06d}",
    }
    return {_key(name): value for name, value in context.items()}


def custom_fields(rng: random.Random) -> dict[str, Any]:
    """A lender's own fields, each missing on some loans: a dealer (text), a risk tier (a number: JSON numbers
    are stored as Decimal), a bureau score and a promotional rate typed in as text (sometimes "n/a")."""
    fields: dict[str, Any] = {}
    if rng.random() < 0.85:
        fields["Dealer"] = rng.choices(("Acme Motors", "Zeta Auto", "Northwind", "Contoso"), (20, 10, 15, 55))[0]
    if rng.random() < 0.9:
        fields["Risk tier"] = Decimal(rng.choices((1, 2, 3, 4, 5), (25, 25, 25, 15, 10))[0])  # JSON numbers: Decimal
    if rng.random() < 0.8:
        fields["Bureau score"] = "n/a" if rng.random() < 0.1 else str(rng.randint(480, 850))
    if rng.random() < 0.5:
        fields["Promo rate"] = "n/a" if rng.random() < 0.1 else f"{rng.randint(199, 999) / 100:.2f}"
    return fields


_KEYS: dict[str, str] = {}


def _key(name: str) -> str:
    """The context's key for a name: an equal string but not the very object in this module's code (which
    the lambdas' constants are), nor the catalogue's (which the compiled rule's are), so that no engine gets
    the dict's identity fast path that the others miss."""
    key = _KEYS.get(name)
    if key is None:
        key = _KEYS[name] = "".join(list(name))
    return key


# ------------------------------------------------------------------ the peer engines' set-up


def rule_engine_rule(text: str, variables: Sequence[str]) -> rule_engine.Rule:
    """Built once. rule-engine takes Decimal as its FLOAT type and dates natively; its resolver maps each
    symbol to the catalogue key, and turns frozenset into set (rule-engine refuses frozenset)."""
    keys = {snake(name): name for name in variables}

    def resolve(thing: dict[str, Any], name: str) -> Any:
        value = thing[keys[name]]
        return set(value) if type(value) is frozenset else value

    return rule_engine.Rule(text, context=rule_engine.Context(resolver=resolve))


def zen_value(value: Any) -> Any:
    """zen-engine refuses Decimal: money goes as float (a 2-place amount survives float -> zen's decimal);
    sets as sorted lists, dates as ISO text (zen's d() reads them), maps value by value."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: zen_value(v) for k, v in value.items()}
    return value


def zen_contexts(contexts: Sequence[dict[str, Any]], variables: Sequence[str]) -> list[dict[str, Any]]:
    """The rule's variables only, renamed and converted, beforehand (not timed)."""
    keys = [(name, snake(name)) for name in variables]
    return [{short: zen_value(c[name]) for name, short in keys} for c in contexts]


# ------------------------------------------------------------------ timing


def lambda_loop(fn: Callable[[Any], Any], contexts: Sequence[Any]) -> tuple[float, int]:
    """The loop every callable runs in: call, test truthiness, count."""
    n = 0
    start = time.perf_counter()
    for c in contexts:
        if fn(c):
            n += 1
    return time.perf_counter() - start, n


def production_loop(rule: CompiledRule, contexts: Sequence[Any]) -> tuple[float, int]:
    """The same loop around what production calls (lms.automation.engine): rule.run(context).matched."""
    n = 0
    start = time.perf_counter()
    for c in contexts:
        if rule.run(c).matched:
            n += 1
    return time.perf_counter() - start, n


Timed = tuple[Callable[[Any, Sequence[Any]], tuple[float, int]], Any, Sequence[Any]]


def interleaved(rounds: int, runs: dict[str, Timed]) -> list[dict[str, list[float]]]:
    """Each round, chunk by chunk, every run over the chunk twice, in turn and back (A B B A: the first to go
    changes from chunk to chunk), so that neither machine noise nor the caches the chunk's first pass warms
    favour one of them: each round's time per run and chunk (its two passes)."""
    names = list(runs)
    size = len(next(iter(runs.values()))[2])
    per_round = []
    for round_ in range(rounds):
        times: dict[str, list[float]] = {name: [] for name in names}
        for index, start in enumerate(range(0, size, CHUNK)):
            turn = (round_ + index) % len(names)
            order = names[turn:] + names[:turn]
            elapsed = dict.fromkeys(names, 0.0)
            for name in order + order[::-1]:
                loop, target, contexts = runs[name]
                elapsed[name] += loop(target, contexts[start : start + CHUNK])[0]
            for name in names:
                times[name].append(elapsed[name])
        per_round.append(times)
    return per_round


def round_ratio(times: dict[str, list[float]], slower: str, faster: str) -> float:
    """One round's speed of `faster` relative to `slower` (above 1: faster is faster): the median over the chunks
    of the two's times on the same chunk, so that a chunk in which the machine was busy elsewhere (another
    process, a page fault) does not weigh on the round."""
    return statistics.median(s / f for s, f in zip(times[slower], times[faster], strict=True))


def compile_ms(text: str) -> float:
    """Median milliseconds of compile_rule (read with hy, check, compile), bypassing its per-text cache."""
    uncached = getattr(compile_rule, "__wrapped__", compile_rule)
    samples = []
    for _ in range(COMPILE_REPETITIONS):
        start = time.perf_counter()
        uncached(text)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


# ------------------------------------------------------------------ one rule


@dataclass
class Measured:
    case: Case
    matched: int
    errors: int
    ratios: list[float]  # compiled vs lambda, one per round (above 1: the compiled rule is faster)
    engines: dict[str, list[float]]  # compiled vs each peer engine, one per round
    compile_ms: float
    disagreements: list[str]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def answers(case: Case, rule: CompiledRule, contexts: Sequence[dict], peers: dict[str, Timed]) -> tuple[list[str], int]:
    """Each context's answer from every engine, compared one by one: the disagreements (at most a few shown
    per rule), and how many contexts the compiled rule failed on (a failure is no match, with a reason)."""
    found, errors = [], 0
    for index, c in enumerate(contexts):
        result = rule.run(c)
        errors += result.error is not None
        expected = bool(case.baseline(c))
        given = {"compiled": result.matched}
        for name, (_, target, engine_contexts) in peers.items():
            try:
                given[name] = bool(target(engine_contexts[index]))
            except Exception as error:  # an engine that raises has no answer: a disagreement too
                given[name] = f"raised {type(error).__name__}"  # type: ignore[assignment]
        wrong = {name: answer for name, answer in given.items() if answer != expected}
        if wrong:
            values = {name: c[name] for name in rule.variables}
            found.append(f"context {index}: lambda {expected}, {wrong}; values {values}")
    return found, errors


def measure(case: Case, contexts: list[dict[str, Any]]) -> Measured:
    rule = compile_rule(case.text)
    missing = [name for name in rule.variables if name not in contexts[0]]
    if missing:
        raise SystemExit(f"{case.label}: the generated contexts lack {missing}")
    peers: dict[str, Timed] = {}
    if case.rule_engine is not None:
        peers["rule-engine"] = (lambda_loop, rule_engine_rule(case.rule_engine, rule.variables).matches, contexts)
    if case.zen is not None:
        peers["zen-engine"] = (
            lambda_loop,
            zen.compile_expression(case.zen).evaluate,
            zen_contexts(contexts, rule.variables),
        )
    disagreements, errors = answers(case, rule, contexts, peers)
    matched = sum(1 for c in contexts if rule.run(c).matched)
    gc.collect()
    gc.disable()
    try:
        fast = interleaved(
            ROUNDS, {"lambda": (lambda_loop, case.baseline, contexts), "compiled": (production_loop, rule, contexts)}
        )
        slow = interleaved(ENGINE_ROUNDS, {"compiled": (production_loop, rule, contexts), **peers})
    finally:
        gc.enable()
    return Measured(
        case,
        matched,
        errors,
        [round_ratio(r, "lambda", "compiled") for r in fast],
        {name: [round_ratio(r, name, "compiled") for r in slow] for name in peers},
        compile_ms(case.text),
        disagreements,
    )


# ------------------------------------------------------------------ report


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def print_rule(m: Measured) -> list[str]:
    """The rule's lines, and the targets it missed."""
    case, missed = m.case, []
    print(f"\n{case.label} {case.family}: {case.text}")
    share = m.matched / CONTEXTS
    agree = "every engine agrees" if not m.disagreements else f"!!!!!!!! {len(m.disagreements)} DISAGREEMENTS"
    print(f"  matched {m.matched:,} of {CONTEXTS:,} ({share:.1%}); compiled failed on {m.errors:,}; {agree}")
    for line in m.disagreements[:5]:
        print(f"    {line}")
    rounds = " ".join(f"{r:.2f}" for r in m.ratios)
    met = m.ratio >= TARGET_RATIO
    print(f"  compiled vs lambda, {ROUNDS} rounds: {rounds}")
    print(f"    median {m.ratio:.2f}x: target >= {TARGET_RATIO}x {'met' if met else 'NOT MET'}")
    if not met:
        missed.append(f"{case.label} vs lambda")
    for name, text in (("rule-engine", case.rule_engine), ("zen-engine", case.zen)):
        if text is None:
            print(f"  {name}: cannot express it")
            continue
        ratios = m.engines[name]
        median = statistics.median(ratios)
        met = median >= 1
        print(
            f"  {name} `{text}`: compiled {median:.1f}x as fast ({' '.join(f'{r:.1f}' for r in ratios)}):"
            f" target >= 1x {'met' if met else 'NOT MET'}"
        )
        if not met:
            missed.append(f"{case.label} vs {name}")
    if case.note:
        print(f"  note: {case.note}")
    limit = TARGET_COMPILE_MS.get(case.label)
    met = limit is None or m.compile_ms < limit
    target = f": target < {limit:g} ms {'met' if met else 'NOT MET'}" if limit is not None else ""
    print(f"  validation+compile {m.compile_ms:.2f} ms (median of {COMPILE_REPETITIONS}, uncached){target}")
    if not met:
        missed.append(f"{case.label} compile time")
    return missed


def print_table(measured: list[Measured]) -> None:
    header = ("rule", "family", "matched", "vs lambda", "vs rule-engine", "vs zen-engine", "compile")
    print("\n{:<5}{:<38}{:>8}{:>11}{:>16}{:>15}{:>10}".format(*header))
    for m in measured:
        engines = [
            f"{statistics.median(m.engines[name]):.1f}x" if name in m.engines else "cannot"
            for name in ("rule-engine", "zen-engine")
        ]
        print(
            f"{m.case.label:<5}{m.case.family[:37]:<38}{m.matched / CONTEXTS:>8.1%}{m.ratio:>10.2f}x"
            f"{engines[0]:>16}{engines[1]:>15}{m.compile_ms:>8.2f}ms"
        )
    print(
        f"median over rules: {statistics.median(m.ratio for m in measured):.2f}x the lambda; lowest "
        f"{min(m.ratio for m in measured):.2f}x ({min(measured, key=lambda m: m.ratio).case.label})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rules_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit 2 when a target is missed (noisy machines miss)")
    args = parser.parse_args(argv)
    wall = time.perf_counter()
    print(
        f"rules bench: {len(CASES)} rules on {CONTEXTS:,} generated loan contexts (seed {SEED}), Python "
        f"{platform.python_version()}, rule-engine {version('rule-engine')}, zen-engine {version('zen-engine')}"
    )
    print("  lambda: hand-written Python (Decimal constants at module level), the baseline of every ratio;")
    print("  compiled: rule.run(context).matched, the production call (lms.automation.engine);")
    print(
        f"  the two take turns chunk by chunk ({CHUNK:,} contexts), twice each (A B B A), {ROUNDS} rounds; a round's"
        " ratio is the median over its chunks; a ratio above 1: compiled faster;"
    )
    print("  rule-engine: its own syntax, built once, a resolver maps its symbols to the context keys;")
    print(
        "  zen-engine: a compiled expression; ZEN HAS NO DECIMAL: money is passed as float, sets as lists, dates"
        " as ISO text, the rule's variables only, converted beforehand (not timed);"
    )
    print(f"  the peer engines take turns with the compiled rule the same way, {ENGINE_ROUNDS} rounds.")
    rng = random.Random(SEED)
    contexts = [make_context(rng) for _ in range(CONTEXTS)]
    measured, missed = [], []
    for case in CASES:
        m = measure(case, contexts)
        measured.append(m)
        missed += print_rule(m)
    print_table(measured)
    print(
        f"\ntotal {time.perf_counter() - wall:.0f} s; "
        + ("targets: all met" if not missed else f"targets NOT MET: {', '.join(missed)}")
    )
    disagreeing = [m.case.label for m in measured if m.disagreements]
    if disagreeing:
        print(f"FAILED: the engines disagree on {', '.join(disagreeing)}", file=sys.stderr)
        return 1
    if missed and args.strict:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
