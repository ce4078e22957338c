"""Every function of the rule language and every catalogue variable, each read, checked, compiled
and run against a loan context (docs/rules.md#functions, Clojure semantics on exact numbers)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest

from lms.rules import FUNCTION_NAMES, compile_rule
from lms.rules.catalogue import ESCROW_AND_DISCOUNT, VARIABLES

BUREAU_NAMES = ("equifax", "experian", "transunion", "average")
# The active bankruptcy's fields beyond active and chapter: nil in the reference context (no bankruptcy).
BANKRUPTCY_FIELDS = [
    v.name
    for v in VARIABLES
    if v.name.startswith("bankruptcy-") and v.name not in ("bankruptcy-active", "bankruptcy-chapter")
]

D = Decimal
TODAY = datetime.date(2026, 11, 23)


def context(**changes) -> dict:
    """A loan context with every catalogue variable set (keys are the catalogue names)."""
    base = {
        "status-days-past-due": 45,
        "status-amount-due": D("250.00"),
        "status-payoff": D("6012.34"),
        "status-perdiem": D("1.57"),
        "status-principal-balance": D("5900.00"),
        "status-interest-accrued": D("87.34"),
        "status-due-fees": D("25.00"),
        "status-next-payment-date": datetime.date(2026, 12, 15),
        "status-next-payment-amount": D("384.40"),
        "status-last-payment-date": datetime.date(2026, 9, 15),
        "status-last-payment-amount": D("384.40"),
        "status-loan-recency": 69,
        "status-total-paid": D("3843.99"),
        "status-orig-maturity-date": datetime.date(2029, 1, 15),
        "loan-status": "Open",
        "loan-sub-status": "Past Due",
        "credit-status": "Current",
        "portfolios": frozenset({"Auto", "Collections"}),
        "sub-portfolios": frozenset({"Used cars"}),
        "checklist": frozenset({"ID verified"}),
        "loan-active": True,
        "loan-archived": False,
        "interest-stopped": False,
        "stop-interest-date": None,
        "stop-interest-days": None,
        "portfolio-ids": frozenset({"pfl_auto", "pfl_collections"}),
        "portfolio": {
            "pfl_auto": {"id": "pfl_auto", "title": "Auto", "sub-portfolios": frozenset({"Used cars"})},
            "pfl_collections": {"id": "pfl_collections", "title": "Collections", "sub-portfolios": frozenset()},
        },
        "charged-off": False,
        "bankruptcy-active": False,
        "bankruptcy-chapter": None,
        "setup-loan-amount": D("12000.00"),
        "setup-interest-rate": D("9.5"),
        "setup-loan-term": 36,
        "setup-payment-frequency": "monthly",
        "setup-contract-date": datetime.date(2026, 1, 15),
        "setup-first-payment-date": datetime.date(2026, 2, 15),
        "setup-grace-days": 10,
        "customer.primary.status": "Active",
        "customer.secondary.status": None,
        "customer.primary.id": "cus_01PRIMARY",
        "customer.secondary.id": None,
        "customer.primary.credit-score": 720,
        "customer.secondary.credit-score": None,
        "customer.primary": {"status": "Active", "id": "cus_01PRIMARY", "credit-score": 720},
        "customer.secondary": None,
        "custom-fields": {"Dealer": "Acme Motors", "Term months": 36},
        "customer-statuses": frozenset({"Active", "SCRA"}),
        "current-date": TODAY,
        "status-due-interest": D("87.34"),
        "status-due-principal": D("162.66"),
        "status-full-due": D("275.00"),
        "status-next-payment-principal": D("341.69"),
        "status-next-payment-interest": D("42.71"),
        "status-next-payment-fees": D("25.00"),
        "next-period-amount": D("659.40"),
        "next-scheduled-payment-date": datetime.date(2026, 12, 15),
        "next-scheduled-payment-amount": D("384.40"),
        "next-scheduled-payment-principal": D("341.69"),
        "next-scheduled-payment-interest": D("42.71"),
        "next-scheduled-payment-fees": D("25.00"),
        "subsequent-due-date": datetime.date(2027, 1, 15),
        "status-period-start": datetime.date(2026, 11, 15),
        "status-period-end": datetime.date(2026, 12, 14),
        "status-final-payment-date": datetime.date(2029, 1, 15),
        "date-of-first-delinquency": datetime.date(2026, 11, 14),
        "today-minus-dpd": datetime.date(2026, 10, 15),
        "status-delinquent-bucket-date": datetime.date(2026, 10, 15),
        "status-delinquent-bucket-amount": D("250.00"),
        "status-delinquent-buckets": 1,
        "status-delinquent-bucket-balance": {
            1: {
                "bucket-number": 1,
                "due-date": datetime.date(2026, 10, 15),
                "days-past-due": 45,
                "past-due-amount": D("250.00"),
            }
        },
        "status-total-paid-principal": D("3100.00"),
        "status-total-paid-interest": D("743.99"),
        "status-total-paid-fees": D("0.00"),
        "status-total-credits": D("0.00"),
        "status-total-fees-charged": D("25.00"),
        "status-total-interest-charged": D("831.33"),
        "status-late-fees-charged": 1,
        "status-24-dpd-history": "1000000000BBBBBBBBBBBBBB",
        "status-24-dpd-30": 1,
        "status-24-dpd-60": 0,
        "status-24-dpd-90": 0,
        "status-24-dpd-120": 0,
        "status-24-dpd-150": 0,
        "status-24-dpd-180": 0,
        "current-utc-date": TODAY,
        "current-time": "14:05:00",
        "loan-display-id": "LN-000042",
        "loan-create-time": datetime.date(2026, 1, 15),
        "setup-days-in-year": 365,
        **{v.name: D("0.00") for v in ESCROW_AND_DISCOUNT},
        **{f"customer.{r}.credit-score-{b}": None for r in ("primary", "secondary") for b in BUREAU_NAMES},
        "customer.primary.credit-score-equifax": 731,
        "customer.primary.credit-score-experian": 718,
        "customer.primary.credit-score-average": 725,
        **dict.fromkeys(BANKRUPTCY_FIELDS),
    }
    return {**base, **changes}


def value(text: str, **changes):
    return compile_rule(text, criteria=False).value(context(**changes))


# ---------------------------------------------------------------- every catalogue variable


@pytest.mark.parametrize("variable", [v.name for v in VARIABLES])
def test_every_catalogue_variable_reads_its_value_from_the_context(variable):
    """Given a context holding each variable, when a rule reads one, then it gets that value
    exactly (and names it among the variables it reads)."""
    ctx = context()
    rule = compile_rule(variable, criteria=False)
    assert rule.value(ctx) == ctx[variable]
    assert type(rule.value(ctx)) is type(ctx[variable])
    assert rule.variables == (variable,)


@pytest.mark.parametrize(
    "variable, text",
    [
        ("status-days-past-due", "(> status-days-past-due 30)"),
        ("status-amount-due", "(> status-amount-due 0)"),
        ("status-payoff", "(>= status-payoff 6012.34)"),
        ("status-perdiem", "(< status-perdiem 2)"),
        ("status-principal-balance", "(= status-principal-balance 5900)"),
        ("status-interest-accrued", "(> status-interest-accrued 87.33)"),
        ("status-due-fees", "(= status-due-fees 25.0)"),
        ("status-next-payment-date", '(= status-next-payment-date (date "2026-12-15"))'),
        ("status-next-payment-amount", "(= status-next-payment-amount 384.4)"),
        ("status-last-payment-date", "(< status-last-payment-date current-date)"),
        ("status-last-payment-amount", "(some? status-last-payment-amount)"),
        ("status-loan-recency", "(> status-loan-recency 60)"),
        ("status-total-paid", "(> status-total-paid 3843.98)"),
        ("status-orig-maturity-date", '(> status-orig-maturity-date (date "2028-12-31"))'),
        ("loan-status", '(= loan-status "Open")'),
        ("loan-sub-status", '(ends-with? loan-sub-status "Due")'),
        ("credit-status", '(= credit-status "Current")'),
        ("portfolios", '(contains? portfolios "Collections")'),
        ("sub-portfolios", '(contains? sub-portfolios "Used cars")'),
        ("checklist", '(contains? checklist "ID verified")'),
        ("loan-active", "loan-active"),
        ("loan-archived", "(not loan-archived)"),
        ("interest-stopped", "(= interest-stopped false)"),
        ("stop-interest-date", "(nil? stop-interest-date)"),
        ("stop-interest-days", "(nil? stop-interest-days)"),
        ("portfolio-ids", '(contains? portfolio-ids "pfl_auto")'),
        ("portfolio", '(= (-> portfolio :pfl_auto :title) "Auto")'),
        ("charged-off", "(not charged-off)"),
        ("bankruptcy-active", "(not bankruptcy-active)"),
        ("bankruptcy-chapter", "(nil? bankruptcy-chapter)"),
        ("setup-loan-amount", "(= setup-loan-amount 12000)"),
        ("setup-interest-rate", "(= setup-interest-rate 9.50)"),
        ("setup-loan-term", "(= setup-loan-term 36)"),
        ("setup-payment-frequency", '(= setup-payment-frequency "monthly")'),
        ("setup-contract-date", '(= setup-contract-date (date "2026-01-15"))'),
        ("setup-first-payment-date", "(= (u/date-compare setup-first-payment-date setup-contract-date) 31)"),
        ("setup-grace-days", "(= setup-grace-days 10)"),
        ("customer.primary.status", '(not= customer.primary.status "SCRA")'),
        ("customer.secondary.status", "(nil? customer.secondary.status)"),
        ("customer.primary.id", '(starts-with? customer.primary.id "cus_")'),
        ("customer.secondary.id", "(nil? customer.secondary.id)"),
        ("customer.primary.credit-score", "(>= customer.primary.credit-score 700)"),
        ("customer.secondary.credit-score", "(nil? customer.secondary.credit-score)"),
        ("customer.primary", '(= (-> customer.primary :status) "Active")'),
        ("customer.secondary", "(nil? (-> customer.secondary :status))"),
        ("custom-fields", '(= (custom-field "Dealer") "Acme Motors")'),
        ("customer-statuses", '(contains? customer-statuses "SCRA")'),
        ("current-date", '(= current-date (date "2026-11-23"))'),
        ("status-due-interest", "(> status-due-interest 0)"),
        ("status-due-principal", "(= (+ status-due-interest status-due-principal) status-amount-due)"),
        ("status-full-due", "(= status-full-due (+ status-amount-due status-due-fees))"),
        ("status-next-payment-principal", "(> status-next-payment-principal status-next-payment-interest)"),
        ("status-next-payment-interest", "(< status-next-payment-interest 50)"),
        ("status-next-payment-fees", "(= status-next-payment-fees status-due-fees)"),
        ("next-period-amount", "(= next-period-amount (+ status-full-due status-next-payment-amount))"),
        ("next-scheduled-payment-date", "(= next-scheduled-payment-date status-next-payment-date)"),
        ("next-scheduled-payment-amount", "(= next-scheduled-payment-amount 384.40)"),
        ("next-scheduled-payment-principal", "(> next-scheduled-payment-principal 300)"),
        ("next-scheduled-payment-interest", "(< next-scheduled-payment-interest 43)"),
        ("next-scheduled-payment-fees", "(pos? next-scheduled-payment-fees)"),
        ("subsequent-due-date", "(= (u/date-compare subsequent-due-date status-next-payment-date) 31)"),
        ("status-period-start", '(= status-period-start (date "2026-11-15"))'),
        ("status-period-end", "(< status-period-end status-next-payment-date)"),
        ("status-final-payment-date", "(= status-final-payment-date status-orig-maturity-date)"),
        ("date-of-first-delinquency", "(some? date-of-first-delinquency)"),
        ("today-minus-dpd", '(= today-minus-dpd (date "2026-10-15"))'),
        ("status-delinquent-bucket-date", "(= status-delinquent-bucket-date today-minus-dpd)"),
        ("status-delinquent-bucket-amount", "(= status-delinquent-bucket-amount status-amount-due)"),
        ("status-delinquent-buckets", "(= status-delinquent-buckets 1)"),
        ("status-delinquent-bucket-balance", "(= (get-in status-delinquent-bucket-balance [1 :days-past-due]) 45)"),
        ("status-total-paid-principal", "(> status-total-paid-principal status-total-paid-interest)"),
        ("status-total-paid-interest", "(pos? status-total-paid-interest)"),
        ("status-total-paid-fees", "(zero? status-total-paid-fees)"),
        ("status-total-credits", "(zero? status-total-credits)"),
        ("status-total-fees-charged", "(= status-total-fees-charged 25)"),
        ("status-total-interest-charged", "(> status-total-interest-charged status-total-paid-interest)"),
        ("status-late-fees-charged", "(= status-late-fees-charged 1)"),
        ("status-24-dpd-history", '(starts-with? status-24-dpd-history "1")'),
        ("status-24-dpd-30", "(= status-24-dpd-30 1)"),
        ("status-24-dpd-60", "(zero? status-24-dpd-60)"),
        ("status-24-dpd-90", "(zero? status-24-dpd-90)"),
        ("status-24-dpd-120", "(zero? status-24-dpd-120)"),
        ("status-24-dpd-150", "(zero? status-24-dpd-150)"),
        ("status-24-dpd-180", "(zero? status-24-dpd-180)"),
        ("current-utc-date", "(= current-utc-date (u/today))"),
        ("current-time", '(starts-with? current-time "14:")'),
        ("loan-display-id", '(= loan-display-id "LN-000042")'),
        ("loan-create-time", "(= loan-create-time setup-contract-date)"),
        ("setup-days-in-year", "(= setup-days-in-year 365)"),
        *((v.name, f"(zero? {v.name})") for v in ESCROW_AND_DISCOUNT),
        ("customer.primary.credit-score-equifax", "(> customer.primary.credit-score-equifax 700)"),
        ("customer.primary.credit-score-experian", "(< customer.primary.credit-score-experian 720)"),
        ("customer.primary.credit-score-transunion", "(nil? customer.primary.credit-score-transunion)"),
        ("customer.primary.credit-score-average", "(= customer.primary.credit-score-average 725)"),
        *(
            (f"customer.secondary.credit-score-{b}", f"(nil? customer.secondary.credit-score-{b})")
            for b in BUREAU_NAMES
        ),
        *((name, f"(nil? {name})") for name in BANKRUPTCY_FIELDS),
    ],
)
def test_every_catalogue_variable_works_in_a_criteria(variable, text):
    """Given the reference context, when a criteria typical for the variable runs, then it matches."""
    rule = compile_rule(text)
    assert rule.run(context()).matched is True, rule.run(context())
    assert variable in rule.variables


def test_every_catalogue_variable_has_a_criteria_case():
    names = {v.name for v in VARIABLES}
    tested = {case[0] for case in _marks(test_every_catalogue_variable_works_in_a_criteria)}
    assert names - tested == set()


def _marks(test) -> list:
    return next(m for m in test.pytestmark if m.name == "parametrize").args[1]


# ---------------------------------------------------------------- every function

CASES: list[tuple[str, str, dict[str, Any], Any]] = [  # (function, rule text, context changes, value)
    # logic: short-circuit, Clojure truthiness (only nil and false are falsy), values returned
    ("and", "(and true true)", {}, True),
    ("and", "(and)", {}, True),
    ("and", '(and 0 "x")', {}, "x"),
    ("and", '(and "" nil 1)', {}, None),
    ("and", "(and false (> bankruptcy-chapter 1))", {}, False),
    ("or", "(or false nil)", {}, None),
    ("or", "(or)", {}, None),
    ("or", "(or 0 1)", {}, 0),
    ("or", "(or true (> bankruptcy-chapter 1))", {}, True),
    ("or", "(or nil #{})", {}, frozenset()),
    ("not", "(not nil)", {}, True),
    ("not", "(not 0)", {}, False),
    ("not", '(not "")', {}, False),
    ("not", "(not loan-archived)", {}, True),
    ("if", "(if (> status-days-past-due 30) 1 2)", {}, 1),
    ("if", "(if 0 :yes :no)", {}, "keyword:yes"),
    ("if", "(if nil 1)", {}, None),
    ("when", "(when loan-active 5)", {}, 5),
    ("when", "(when false 5)", {}, None),
    ("cond", '(cond (> status-days-past-due 90) "late" (> status-days-past-due 30) "due" :else "current")', {}, "due"),
    ("cond", "(cond false 1)", {}, None),
    ("cond", "(cond nil 1 true 2)", {}, 2),
    # comparisons: variadic, numbers across int and Decimal, dates
    ("=", "(= 1 1.0 1.00)", {}, True),
    ("=", '(= "a" "a" "b")', {}, False),
    ("=", "(= 5)", {}, True),
    ("=", "(= nil nil)", {}, True),
    ("=", '(= #{"a" "b"} #{"b" "a"})', {}, True),
    ("not=", "(not= 1 2)", {}, True),
    ("not=", "(not= 1 1 1)", {}, False),
    ("not=", "(not= 1 1 2)", {}, True),
    ("<", "(< 1 2 3)", {}, True),
    ("<", "(< 1 2 2)", {}, False),
    ("<", "(< 0.1 0.2)", {}, True),
    (">", "(> 3 2 1)", {}, True),
    (">", "(> status-payoff 6012.33)", {}, True),
    ("<=", "(<= 1 1 2)", {}, True),
    ("<=", "(<= 2 1)", {}, False),
    (">=", "(>= 2 2 1)", {}, True),
    (">=", '(>= current-date (date "2026-11-23"))', {}, True),
    # arithmetic: exact Decimal, / gives Decimal, Clojure's quot/rem/mod signs
    ("+", "(+ 0.1 0.2)", {}, D("0.3")),
    ("+", "(+)", {}, 0),
    ("+", "(+ 1 2 3)", {}, 6),
    ("+", "(+ status-principal-balance status-interest-accrued status-due-fees)", {}, D("6012.34")),
    ("-", "(- 5)", {}, -5),
    ("-", "(- 10 1 2)", {}, 7),
    ("-", "(- status-payoff 0.34)", {}, D("6012.00")),
    ("*", "(*)", {}, 1),
    ("*", "(* status-payoff 0.05)", {}, D("300.6170")),
    ("*", "(* 2 3 4)", {}, 24),
    ("/", "(/ 1 4)", {}, D("0.25")),
    ("/", "(/ 2)", {}, D("0.5")),
    ("/", "(/ 100 2 5)", {}, D("10")),
    ("quot", "(quot 7 2)", {}, 3),
    ("quot", "(quot -7 2)", {}, -3),
    ("quot", "(quot 7.5 2)", {}, D("3")),
    ("rem", "(rem 7 2)", {}, 1),
    ("rem", "(rem -7 2)", {}, -1),
    ("rem", "(rem 7 -2)", {}, 1),
    ("mod", "(mod 7 2)", {}, 1),
    ("mod", "(mod -7 2)", {}, 1),
    ("mod", "(mod 7 -2)", {}, -1),
    ("min", "(min 3 1.5 2)", {}, D("1.5")),
    ("min", "(min 4)", {}, 4),
    ("max", "(max status-payoff 500)", {}, D("6012.34")),
    ("max", "(max 1 2)", {}, 2),
    ("abs", "(abs -2.50)", {}, D("2.50")),
    ("abs", "(abs 3)", {}, 3),
    ("round", "(round 2.5)", {}, 3),
    ("round", "(round -2.5)", {}, -3),
    ("round", "(round 2.4)", {}, 2),
    ("round", "(round 1.005 2)", {}, D("1.01")),
    ("round", "(round status-perdiem 1)", {}, D("1.6")),
    # text and collections
    ("str", '(str loan-status "/" loan-sub-status)', {}, "Open/Past Due"),
    ("str", "(str)", {}, ""),
    ("str", "(str nil true 1.50 :a)", {}, "true1.50:a"),
    ("str", "(str current-date)", {}, "2026-11-23"),
    ("subs", '(subs "Collections" 0 7)', {}, "Collect"),
    ("subs", '(subs "abc" 1)', {}, "bc"),
    ("count", "(count portfolios)", {}, 2),
    ("count", '(count "héllo")', {}, 5),
    ("count", "(count nil)", {}, 0),
    ("count", "(count [1 2 3])", {}, 3),
    ("empty?", "(empty? checklist)", {}, False),
    ("empty?", '(empty? "")', {}, True),
    ("empty?", "(empty? nil)", {}, True),
    ("contains?", '(contains? portfolios "Collections")', {}, True),
    ("contains?", '(contains? #{"a"} "b")', {}, False),
    ("contains?", "(contains? customer.primary :status)", {}, True),
    ("contains?", "(contains? customer.secondary :status)", {}, False),
    ("some?", "(some? status-last-payment-date)", {}, True),
    ("some?", "(some? false)", {}, True),
    ("some?", "(some? bankruptcy-chapter)", {}, False),
    ("nil?", "(nil? customer.secondary.status)", {}, True),
    ("nil?", "(nil? false)", {}, False),
    ("lower-case", '(lower-case "ÀBC")', {}, "àbc"),
    ("upper-case", "(upper-case loan-status)", {}, "OPEN"),
    ("starts-with?", '(starts-with? loan-sub-status "Past")', {}, True),
    ("ends-with?", '(ends-with? loan-sub-status "Past")', {}, False),
    ("includes?", '(includes? loan-sub-status "st D")', {}, True),
    # LoanPro helpers
    ("u/today", "(u/today)", {}, TODAY),
    ("u/today", "(u/today)", {"current-utc-date": datetime.date(2026, 11, 22)}, datetime.date(2026, 11, 22)),
    ("u/today", "(u/today :format :date)", {}, TODAY),
    ("u/date-compare", "(u/date-compare (u/today) status-last-payment-date)", {}, 69),
    ("u/date-compare", '(u/date-compare "2026-03-01" "2026-02-28")', {}, 1),
    ("u/date-compare", '(u/date-compare "2024-02-28" (date "2024-03-01"))', {}, -2),
    ("v/parse-int", '(v/parse-int "42")', {}, 42),
    ("v/parse-int", '(v/parse-int " -7 ")', {}, -7),
    ("v/parse-int", '(v/parse-int "4.2")', {}, None),
    ("v/parse-int", '(v/parse-int "x")', {}, None),
    ("v/parse-float", '(v/parse-float "4.25")', {}, D("4.25")),
    ("v/parse-float", '(v/parse-float "NaN")', {}, None),
    ("v/parse-float", '(v/parse-float "1e400")', {}, None),
    ("->", "(-> customer.primary :credit-score)", {}, 720),
    ("->", "(-> customer.secondary :status)", {}, None),
    ("->", "(-> custom-fields :Dealer)", {}, "Acme Motors"),
    ("date", '(date "2024-02-29")', {}, datetime.date(2024, 2, 29)),
    ("custom-field", '(custom-field "Term months")', {}, 36),
    ("custom-field", '(custom-field "Missing")', {}, None),
    # Clojure's (inc 41) => 42, (inc 1.5M) => 2.5M, (dec 0) => -1
    ("inc", "(inc 41)", {}, 42),
    ("inc", "(inc status-due-fees)", {}, D("26.00")),
    ("dec", "(dec 0)", {}, -1),
    ("dec", "(dec setup-loan-term)", {}, 35),
    ("zero?", "(zero? 0)", {}, True),
    ("zero?", "(zero? 0.00)", {}, True),
    ("zero?", "(zero? status-due-fees)", {}, False),
    ("pos?", "(pos? status-due-fees)", {}, True),
    ("pos?", "(pos? 0)", {}, False),
    ("neg?", "(neg? -0.01)", {}, True),
    ("neg?", "(neg? 0)", {}, False),
    ("even?", "(even? 36)", {}, True),
    ("even?", "(even? -3)", {}, False),
    ("odd?", "(odd? -3)", {}, True),
    ("odd?", "(odd? setup-loan-term)", {}, False),
    # (get {"Dealer" "Acme"} "Dealer"), (get m :missing :default), (get #{"a"} "a") => "a", (get [10 20] 1) => 20
    ("get", '(get custom-fields "Dealer")', {}, "Acme Motors"),
    ("get", "(get custom-fields :Dealer)", {}, "Acme Motors"),
    ("get", '(get custom-fields "Missing" "none")', {}, "none"),
    ("get", '(get portfolios "Auto")', {}, "Auto"),
    ("get", '(get portfolios "Mortgage")', {}, None),
    ("get", "(get [10 20] 1)", {}, 20),
    ("get", "(get [10 20] 2)", {}, None),
    ("get", "(get customer.secondary :status)", {}, None),
    ("get-in", "(get-in customer.primary [:credit-score])", {}, 720),
    ("get-in", "(get-in status-delinquent-bucket-balance [1 :past-due-amount])", {}, D("250.00")),
    ("get-in", "(get-in status-delinquent-bucket-balance [7 :past-due-amount] 0)", {}, 0),
    ("get-in", "(get-in customer.secondary [:status :x])", {}, None),
    # let: sequential bindings, (let [x 1 x (inc x)] x) => 2
    ("let", "(let [days status-days-past-due] (and (> days 30) (< days 90)))", {}, True),
    ("let", "(let [a 1 b (inc a)] (+ a b))", {}, 3),
    ("let", "(let [x 1 x (inc x)] x)", {}, 2),
    ("let", "(let [] 5)", {}, 5),
    # (some #{"a"} ["b" "a"]) => "a", (some even? [1 2]) => true, (every? pos? []) => true
    ("some", '(some #{"Collections" "Bankruptcy"} portfolios)', {}, "Collections"),
    ("some", '(some #{"Bankruptcy"} portfolios)', {}, None),
    ("some", "(some even? [1 3 4])", {}, True),
    ("some", "(some zero? [1 2])", {}, None),
    ("some", "(some inc [1 2])", {}, 2),
    ("every?", '(every? #{"Auto" "Collections"} portfolios)', {}, True),
    ("every?", "(every? pos? [1 2 0])", {}, False),
    ("every?", "(every? pos? [])", {}, True),
    ("boolean", '(boolean (re-find #"^Past" loan-sub-status))', {}, True),
    ("boolean", "(boolean nil)", {}, False),
    ("boolean", "(boolean 0)", {}, True),
    # (re-find #"\d+" "ab12cd345") => "12", (re-find #"(\d)(x)?" "a1") => ["1" "1" nil]
    ("re-find", '(re-find #"\\d+" "ab12cd345")', {}, "12"),
    ("re-find", '(re-find #"(\\d)(x)?" "a1")', {}, ("1", "1", None)),
    ("re-find", '(re-find #"z" "abc")', {}, None),
    ("re-matches", '(re-matches #"\\d+" "12")', {}, "12"),
    ("re-matches", '(re-matches #"\\d+" "12a")', {}, None),
    ("re-matches", '(re-matches #"(\\w+) (\\w+)" loan-sub-status)', {}, ("Past Due", "Past", "Due")),
    ("clojure.string/lower-case", '(clojure.string/lower-case "ÀB")', {}, "àb"),
    ("clojure.string/upper-case", "(clojure.string/upper-case loan-status)", {}, "OPEN"),
    ("clojure.string/capitalize", '(clojure.string/capitalize "pAST dUE")', {}, "Past due"),
    ("clojure.string/reverse", '(clojure.string/reverse "abc")', {}, "cba"),
    ("clojure.string/trim", '(clojure.string/trim " \t a b \n")', {}, "a b"),
    ("clojure.string/triml", '(clojure.string/triml "  a ")', {}, "a "),
    ("clojure.string/trimr", '(clojure.string/trimr "  a ")', {}, "  a"),
    ("clojure.string/blank?", '(clojure.string/blank? " \t")', {}, True),
    ("clojure.string/blank?", "(clojure.string/blank? nil)", {}, True),
    ("clojure.string/blank?", "(clojure.string/blank? loan-status)", {}, False),
    ("clojure.string/starts-with?", '(clojure.string/starts-with? loan-sub-status "Past")', {}, True),
    ("clojure.string/ends-with?", '(clojure.string/ends-with? loan-sub-status "Past")', {}, False),
    ("clojure.string/includes?", '(clojure.string/includes? loan-sub-status "st D")', {}, True),
    ("clojure.string/replace", '(clojure.string/replace "a-b-c" "-" " ")', {}, "a b c"),
    ("clojure.string/replace", '(clojure.string/replace "abc" "" "-")', {}, "-a-b-c-"),
    ("clojure.string/join", '(clojure.string/join ", " portfolios)', {}, "Auto, Collections"),
    ("clojure.string/join", "(clojure.string/join [1 nil 2.50 :a])", {}, "12.50:a"),
    ("clojure.string/index-of", '(clojure.string/index-of "abcabc" "c")', {}, 2),
    ("clojure.string/index-of", '(clojure.string/index-of "abcabc" "c" 3)', {}, 5),
    ("clojure.string/index-of", '(clojure.string/index-of "abc" "z")', {}, None),
    ("clojure.string/last-index-of", '(clojure.string/last-index-of "abcabc" "c")', {}, 5),
    ("clojure.string/last-index-of", '(clojure.string/last-index-of "abcabc" "c" 4)', {}, 2),
    ("clojure.string/split", '(clojure.string/split "a,b,,c,," #",")', {}, ("a", "b", "", "c")),
    ("clojure.string/split", '(clojure.string/split "a1b22c" #"\\d+" 2)', {}, ("a", "b22c")),
    ("clojure.string/split-lines", '(clojure.string/split-lines "a\r\nb\n\n")', {}, ("a", "b")),
]


@pytest.mark.parametrize("function, text, changes, expected", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_every_function_gives_its_clojure_value(function, text, changes, expected):
    """Given the reference context, when the expression runs, then it gives exactly the expected
    value, of the expected type (Decimal stays Decimal, whole numbers stay int)."""
    got = value(text, **changes)
    if isinstance(expected, str) and expected.startswith("keyword:"):
        assert repr(got) == ":" + expected.split(":", 1)[1]
        return
    assert got == expected
    assert type(got) is type(expected)
    if isinstance(expected, Decimal):
        assert str(got) == str(expected)


def test_every_function_has_a_case():
    assert set(FUNCTION_NAMES) - {case[0] for case in CASES} == set()
    for name, text, *_ in CASES:
        assert re.search(r"\(" + re.escape(name) + r"[\s)]", text), (name, text)


# ---------------------------------------------------------------- runtime errors


@pytest.mark.parametrize(
    "text, changes, says",
    [
        (
            "(> status-last-payment-amount 100)",
            {"status-last-payment-amount": None},
            "status-last-payment-amount is nil",
        ),
        ("(> (/ status-payoff status-due-fees) 1)", {"status-due-fees": D("0.00")}, "division by zero"),
        ("(= (quot 1 setup-grace-days) 1)", {"setup-grace-days": 0}, "division by zero"),
        ('(= (subs loan-status 2 10) "x")', {}, "subs"),
        ('(> (+ 1 (custom-field "Dealer")) 1)', {}, "expected a number"),
        ('(= (lower-case customer.secondary.status) "x")', {}, "expected text"),
    ],
)
def test_a_runtime_error_is_no_match_with_a_reason(text, changes, says):
    """Given a value that makes the rule fail for this loan (nil, zero divisor, out of range),
    when it runs, then it does not match and the reason names the cause; nothing is raised."""
    outcome = compile_rule(text).run(context(**changes))
    assert outcome.matched is False
    assert outcome.error is not None and says in outcome.error


def test_a_rule_reads_only_its_variables_and_is_compiled_once_per_text():
    """Given the same text twice, then the compiled rule is the same object (compiled once), and
    it reports the variables it reads in reading order."""
    text = '(and (> status-days-past-due 30) (= loan-status "Open") (> status-days-past-due 1))'
    assert compile_rule(text) is compile_rule(text)
    assert compile_rule(text).variables == ("status-days-past-due", "loan-status")


def test_money_stays_exact():
    """Given Decimal money, when summed and multiplied, then no binary float rounding appears."""
    assert value("(* (+ 0.1 0.2) 3)") == D("0.9")
    assert value("(- (* 1.1 setup-loan-amount) 13200)") == D("0")
