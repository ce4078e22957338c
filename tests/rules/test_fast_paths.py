"""The helpers' fast paths and the production call (issue 20): a rule compiled with its helpers' fast paths
(lms.rules.inline) gives exactly what the same rule compiled with every helper's call as written gives (the
value, or the error and its message), whatever the rule and the loan; and run() answers one of two shared
results, building a RuleResult only when the rule fails."""

from __future__ import annotations

import datetime
import re
import types
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, note, settings
from hypothesis import strategies as st

from lms.rules import CompiledRule, RuleInvalid, RuleResult, compile_rule, runtime_error_message
from lms.rules.compiler import compile_tree
from lms.rules.reader import read
from lms.rules.runtime import MATCHED, NOT_MATCHED, parse_decimal, parse_int
from tests.conftest import examples
from tests.rules.test_functions import context
from tests.rules.test_properties import CTX, call, contexts, field, lit, n, render, same, trees, var

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")  # (some? 0), as in test_properties

D = Decimal


class FastPathRaised(Exception):
    """Raised in place of the fall-back to the exact rule, to see what a fast path gave on its own."""


def compiled(text: str, *, fast: bool = True) -> Any:
    rule, errors = compile_tree(read(text), criteria=False, fast=fast)
    assert not errors, errors
    return rule


def answer(function: Any, ctx: dict, variables: tuple[str, ...]) -> tuple[str, Any]:
    """What a rule function gives: its value, or its error's message (as run() records it)."""
    try:
        return "value", function(ctx)
    except Exception as error:
        return "error", runtime_error_message(error, variables, ctx)


def agrees(text: str, ctx: dict) -> tuple[str, Any]:
    """The rule with its fast paths gives what the rule with the helpers' calls gives: value or error message,
    through value() and through run(). Returns that answer."""
    fast, exact = compiled(text), compiled(text, fast=False)
    expected = answer(exact.function, ctx, exact.variables)
    given = answer(fast.function, ctx, fast.variables)
    assert given[0] == expected[0], (text, given, expected)
    if expected[0] == "value":
        assert same(given[1], expected[1]), (text, given, expected)
    else:
        assert given[1] == expected[1], (text, given, expected)
    rule = compile_rule(text, criteria=False)
    result = rule.run(ctx)
    if expected[0] == "error":
        assert result == RuleResult(False, expected[1]), (text, result)
    else:
        assert result is (MATCHED if expected[1] is True else NOT_MATCHED), (text, result)
    return expected


def alone(text: str, ctx: dict) -> tuple[str, Any]:
    """What the fast paths give without the fall-back (FastPathRaised where one raised)."""
    rule = compiled(text)
    rule.function.__globals__["_exact"] = _raise  # this uncached rule's own namespace
    try:
        return "value", rule.function(ctx)
    except FastPathRaised:
        return "raised", None


def _raise(ctx: dict) -> Any:
    raise FastPathRaised


ANY_TREE = st.one_of(
    trees("bool"),
    trees("bool", dynamic=True),
    trees("num", dynamic=True),
    trees("int"),
    trees("text", dynamic=True),
    trees("date", dynamic=True),
    trees("any"),
)


@settings(max_examples=examples(400), deadline=None)
@given(tree=ANY_TREE, ctx=contexts())
@example(tree=call("contains?", lit(frozenset({1, 2})), field("Any")), ctx={**CTX, "custom-fields": {"Any": True}})
@example(tree=call("=", field("Any"), n(1)), ctx={**CTX, "custom-fields": {"Any": True}})
@example(tree=call("count", var("customer.secondary.status")), ctx=CTX)
@example(tree=call("quot", var("setup-grace-days"), n(7)), ctx={**CTX, "setup-grace-days": -15})
@example(tree=call("abs", n("-0.00")), ctx=CTX)
def test_fast_paths_give_the_helpers_answer(tree, ctx):
    """Given any rule and any loan (custom fields of any type, nil where a variable may be), the rule with its
    fast paths gives the value, or the error and message, that the rule with every helper's call gives."""
    text = render(tree)
    note(f"rule: {text}")
    agrees(text, ctx)


@settings(max_examples=examples(300), deadline=None)
@given(tree=ANY_TREE, ctx=contexts())
def test_a_fast_path_that_gives_a_value_gives_the_helpers_value(tree, ctx):
    """Given any rule and loan, where the fast paths give a value on their own (without falling back to the
    helpers' calls), it is the helpers' value: the fall-back is there for errors only."""
    text = render(tree)
    note(f"rule: {text}")
    exact = compiled(text, fast=False)
    expected = answer(exact.function, ctx, exact.variables)
    given_alone = alone(text, ctx)
    if given_alone[0] == "value":
        assert expected[0] == "value", (text, given_alone, expected)
        assert same(given_alone[1], expected[1]), (text, given_alone, expected)


MAPS = ["customer.primary", "customer.secondary", "custom-fields", "portfolio", "status-delinquent-bucket-balance"]
KEYS = [":status", ":id", ":credit-score", ":nope", '"status"', '"Dealer"', '"Amount"', '"Any"', '"pfl_auto"']
LOOKUPS = st.one_of(
    st.builds(lambda m, k: f"(get {m} {k})", st.sampled_from(MAPS), st.sampled_from(KEYS)),
    st.builds(
        lambda m, k, d: f"(get {m} {k} {d})",
        st.sampled_from(MAPS),
        st.sampled_from(KEYS),
        st.sampled_from(["0", '"x"', "nil"]),
    ),
    st.builds(lambda m, k: f"(get-in {m} [{k}])", st.sampled_from(MAPS), st.sampled_from(KEYS)),
    st.builds(
        lambda m, k, d: f"(get-in {m} [{k}] {d})",
        st.sampled_from(MAPS),
        st.sampled_from(KEYS),
        st.sampled_from(["0", "nil"]),
    ),
    st.builds(lambda m, k: f"(contains? {m} {k})", st.sampled_from(MAPS), st.sampled_from(KEYS)),
    st.builds(lambda m, k: f"(-> {m} {k})", st.sampled_from(MAPS), st.sampled_from([k for k in KEYS if k[0] == ":"])),
    st.builds(lambda f: f'(custom-field "{f}")', st.sampled_from(["Dealer", "Amount", "Flag", "Any", "Since", "Nope"])),
)


@settings(max_examples=examples(300), deadline=None)
@given(text=LOOKUPS, ctx=contexts())
def test_a_map_lookup_gives_the_helpers_answer(text, ctx):
    """Given a lookup in a map variable (nil, or holding any value, or not the key), the fast path's answer is
    the helpers' (get, get-in, contains?, ->, custom-field; the trees above do not draw get and get-in)."""
    for form in (text, f"(str {text})", f"(some? {text})"):
        try:
            compile_rule(form, criteria=False)
        except RuleInvalid:
            continue  # (-> customer.primary :nope) and the like are refused when saved
        agrees(form, ctx)


# ---------------------------------------------------------------- each specialisation's edge cases


@pytest.mark.parametrize(
    "text, fields, expected",
    [
        ('(contains? #{1 2} (custom-field "Any"))', {"Any": True}, False),  # Python's True == 1
        ('(contains? #{1 2} (custom-field "Any"))', {"Any": 1}, True),
        ('(contains? #{1 2} (custom-field "Any"))', {"Any": D("1.0")}, True),
        ('(contains? #{0 5} (custom-field "Any"))', {"Any": False}, False),
        ('(contains? #{2 3} (custom-field "Any"))', {"Any": True}, False),
        ('(contains? #{"a" "b"} (custom-field "Any"))', {"Any": True}, False),
        ('(contains? #{"a" nil} (custom-field "Any"))', {}, True),
        ('(contains? #{true} (custom-field "Any"))', {"Any": 1}, False),
        ('(contains? #{true} (custom-field "Any"))', {"Any": True}, True),
        ('(= (custom-field "Any") 1)', {"Any": True}, False),
        ('(= (custom-field "Any") 1)', {"Any": D("1.00")}, True),
        ('(= (custom-field "Any") 0)', {"Any": False}, False),
        ('(= (custom-field "Any") 5)', {"Any": 5}, True),
        ('(= (custom-field "Any") "x")', {"Any": "x"}, True),
        ('(= (custom-field "Any") (custom-field "Flag"))', {"Any": 1, "Flag": True}, False),
        ('(= (custom-field "Any") nil)', {}, True),
        ('(not= (custom-field "Any") 1)', {"Any": True}, True),
        ('(= (custom-field "Any") true)', {"Any": 1}, False),
    ],
)
def test_true_and_false_never_equal_1_and_0(text, fields, expected):
    """Given a set literal or a number facing a custom field, true and false equal only themselves, as in
    Clojure (Python's True == 1 does not leak through the fast paths)."""
    ctx = context(**{"custom-fields": fields})
    assert agrees(text, ctx) == ("value", expected)


@pytest.mark.parametrize(
    "text, changes, expected",
    [
        ("(mod status-days-past-due 2)", {"status-days-past-due": -7}, 1),
        ("(mod status-days-past-due -2)", {"status-days-past-due": 7}, -1),
        ("(mod status-days-past-due -2)", {"status-days-past-due": -7}, -1),
        ("(quot status-days-past-due 2)", {"status-days-past-due": -7}, -3),
        ("(quot status-days-past-due 2)", {"status-days-past-due": 7}, 3),
        ("(quot status-days-past-due -2)", {"status-days-past-due": 7}, -3),
        ("(rem status-days-past-due 2)", {"status-days-past-due": -7}, -1),
        ("(rem status-days-past-due 2)", {"status-days-past-due": 7}, 1),
        ("(rem status-days-past-due -2)", {"status-days-past-due": -7}, -1),
        ("(rem (- 0 status-days-past-due) 30)", {"status-days-past-due": 45}, -15),
        ("(= (rem status-days-past-due 3) 0)", {"status-days-past-due": -6}, True),
        ("(= 0 (rem status-days-past-due 3))", {"status-days-past-due": -7}, False),
        ("(not= (rem status-days-past-due 3) 0)", {"status-days-past-due": -7}, True),
        ("(= (rem status-days-past-due 3) -1)", {"status-days-past-due": -7}, True),
        ("(mod status-payoff 7)", {"status-payoff": D("-7.50")}, D("6.50")),
        ("(quot status-payoff 2)", {"status-payoff": D("-7.50")}, D("-3")),
    ],
)
def test_negative_numbers_keep_clojures_quot_rem_and_mod(text, changes, expected):
    """quot truncates toward zero, rem has the dividend's sign and mod the divisor's, also where Python's //
    and % (floored) would differ; a remainder compared with 0 is 0 whatever its sign."""
    assert agrees(text, context(**changes)) == ("value", expected)


@pytest.mark.parametrize(
    "text, changes, expected",
    [
        ("(round status-payoff 2)", {"status-payoff": D("2.345")}, D("2.35")),
        ("(round status-payoff 2)", {"status-payoff": D("-2.345")}, D("-2.35")),
        ("(round status-payoff 2)", {"status-payoff": D("2.344999")}, D("2.34")),
        ("(round status-payoff 2)", {"status-payoff": D("5")}, D("5.00")),
        ("(round status-payoff 0)", {"status-payoff": D("2.5")}, D("3")),
        ("(round status-payoff)", {"status-payoff": D("2.5")}, 3),
        ("(round status-payoff)", {"status-payoff": D("-2.5")}, -3),
        ("(round status-days-past-due)", {"status-days-past-due": 7}, 7),
        ("(round status-days-past-due 2)", {"status-days-past-due": 7}, D("7.00")),
        ("(round (/ status-payoff 3) 10)", {"status-payoff": D("1")}, D("0.3333333333")),
        ("(/ status-payoff 4)", {"status-payoff": D("1")}, D("0.25")),
        ("(/ status-days-past-due 4)", {"status-days-past-due": 2}, D("0.5")),
        ("(/ 1 status-days-past-due)", {"status-days-past-due": 3}, D("0.3333333333333333333333333333")),
        ("(/ status-days-past-due)", {"status-days-past-due": 8}, D("0.125")),
        ("(abs status-payoff)", {"status-payoff": D("-0.00")}, D("0.00")),
        ("(abs status-payoff)", {"status-payoff": D("-2.50")}, D("2.50")),
        ("(min status-payoff 1 status-days-past-due)", {"status-payoff": D("1.0"), "status-days-past-due": 1}, 1),
        ("(max status-payoff 1)", {"status-payoff": D("1.0")}, 1),
        ("(inc status-payoff)", {"status-payoff": D("1.50")}, D("2.50")),
        ("(dec status-days-past-due)", {"status-days-past-due": 0}, -1),
    ],
)
def test_arithmetic_keeps_exact_decimals(text, changes, expected):
    """Rounding is half away from zero at the precision asked; division is Decimal's, a whole number's too;
    min and max give the later argument on a tie; abs of -0.00 is 0.00 (Clojure's BigDecimal has no -0)."""
    assert agrees(text, context(**changes)) == ("value", expected)


@pytest.mark.parametrize(
    "text, changes, expected",
    [
        ("(str status-amount-due)", {"status-amount-due": D("-0.00")}, "0.00"),
        ("(str (* status-amount-due -1))", {"status-amount-due": D("0.00")}, "0.00"),
        ("(str status-payoff)", {"status-payoff": D("1E+2")}, "100"),
        ("(str loan-sub-status)", {"loan-sub-status": None}, ""),
        ("(str status-loan-recency status-last-payment-date)", {"status-loan-recency": None}, "2026-09-15"),
        ('(str status-days-past-due "/" (date "2026-01-31") :x nil true 1.50)', {}, "45/2026-01-31:xtrue1.50"),
        ('(str loan-status "/" loan-sub-status)', {"loan-sub-status": None}, "Open/"),
        ("(str)", {}, ""),
    ],
)
def test_str_shows_values_as_clojure_does(text, changes, expected):
    """str prints nil as nothing, never -0.00, and a Decimal as its plain digits."""
    assert agrees(text, context(**changes)) == ("value", expected)


@pytest.mark.parametrize(
    "text, changes, says",
    [
        ("(/ status-payoff status-due-fees)", {"status-due-fees": D("0.00")}, "division by zero"),
        ("(/ status-due-fees status-due-fees)", {"status-due-fees": D("0.00")}, "division by zero"),
        ("(/ status-days-past-due setup-grace-days)", {"setup-grace-days": 0}, "division by zero"),
        ("(mod status-days-past-due setup-grace-days)", {"setup-grace-days": 0}, "division by zero"),
        ("(rem status-days-past-due setup-grace-days)", {"setup-grace-days": 0}, "division by zero"),
        ("(/ status-last-payment-amount 2)", {"status-last-payment-amount": None}, "expected a number, got nil"),
        ("(round status-last-payment-amount 2)", {"status-last-payment-amount": None}, "expected a number, got nil"),
        ("(quot status-loan-recency 30)", {"status-loan-recency": None}, "expected a number, got nil"),
        ("(zero? status-loan-recency)", {"status-loan-recency": None}, "is nil where a value is needed"),
        ("(lower-case customer.secondary.status)", {}, "expected text, got nil"),
        ('(starts-with? customer.secondary.status "S")', {}, "expected text, got nil"),
        ("(includes? loan-status customer.secondary.status)", {}, "expected text, got nil"),
        ("(subs loan-status 2 10)", {}, "subs: positions 2..10 are outside a text of 4 characters"),
        ("(str loan-status loan-status loan-status)", {"loan-status": "x" * 4_000}, "text longer than 10,000"),
        ('(> (custom-field "Any") 1)', {"custom-fields": {"Any": True}}, "expected a number or a date, got true"),
        ('(> (custom-field "Any") 1)', {"custom-fields": {"Any": "7"}}, 'expected a number or a date, got "7"'),
        ('(< (custom-field "Any") 1)', {"custom-fields": {}}, "expected a number or a date, got nil"),
    ],
)
def test_a_runtime_error_keeps_the_helpers_reason(text, changes, says):
    """Given a nil, a zero divisor or text out of range where a fast path runs, the rule fails as the helper
    would, with the helper's own words (a fast path that raises hands the loan to the helpers' calls)."""
    kind, message = agrees(text, context(**changes))
    assert kind == "error" and says in message, message


@pytest.mark.parametrize(
    "text, changes, expected",
    [
        ("(count loan-sub-status)", {"loan-sub-status": None}, 0),
        ("(count customer.secondary)", {}, 0),
        ("(count portfolios)", {}, 2),
        ("(empty? loan-sub-status)", {"loan-sub-status": None}, True),
        ('(empty? "")', {}, True),
        ('(get customer.secondary :status "none")', {}, "none"),
        ('(get customer.primary :status "none")', {}, "Active"),
        ('(get customer.primary "nope" 7)', {}, 7),
        ("(get-in customer.secondary [:status])", {}, None),
        ('(get-in customer.primary [:status] "x")', {}, "Active"),
        ("(contains? customer.secondary :status)", {}, False),
        ("(contains? customer.primary :status)", {}, True),
        ('(custom-field "Dealer")', {"custom-fields": None}, None),
        ("(-> customer.secondary :status)", {}, None),
        ("(subs loan-status 0 2)", {}, "Op"),
        ("(subs loan-status 2)", {}, "en"),
        ("(subs loan-status 4)", {}, ""),
        ('(> (custom-field "Any") 1)', {"custom-fields": {"Any": D("1.5")}}, True),
        ('(< (custom-field "Any") (date "2027-01-01"))', {"custom-fields": {"Any": datetime.date(2026, 1, 1)}}, True),
    ],
)
def test_nil_and_maps_give_clojures_answers(text, changes, expected):
    """A nil text or map counts 0 and is empty; a nil map's keys are nil (or the default)."""
    assert agrees(text, context(**changes)) == ("value", expected)


# ---------------------------------------------------------------- what the compiled code calls

SPECIALISED = [
    "(> (round (/ status-principal-balance setup-loan-amount) 2) 0.75)",
    "(and (pos? status-days-past-due) (< (mod status-days-past-due 30) 10) (even? setup-loan-term))",
    "(> (quot status-days-past-due 30) (rem setup-loan-term 12))",
    "(>= (min status-amount-due status-payoff) (max 250 (abs status-due-fees)))",
    "(and (>= (dec status-days-past-due) setup-grace-days) (< (inc status-days-past-due) 60))",
    "(or (neg? status-payoff) (odd? status-days-past-due) (zero? status-amount-due))",
    '(includes? (str loan-status " " loan-sub-status status-days-past-due (u/today)) "Open Past")',
    '(and (starts-with? (lower-case loan-sub-status) "past") (ends-with? (upper-case credit-status) "LATE"))',
    '(= (subs loan-display-id 0 3) "AUT")',
    "(and (> (count portfolios) 1) (empty? checklist))",
    '(contains? #{"Bankruptcy" "Hardship"} loan-sub-status)',
    '(= (get customer.primary :status "none") "SCRA")',
    '(contains? #{"SCRA" "Deceased"} (get-in customer.primary [:status]))',
    '(and (contains? customer.secondary :status) (= (-> customer.secondary :status) "SCRA"))',
    '(contains? #{"Acme Motors" "Zeta Auto"} (custom-field "Dealer"))',
    '(let [tier (custom-field "Risk tier")] (and (some? tier) (>= tier 4)))',
    '(or (= (custom-field "Dealer") "Northwind") (= (custom-field "Risk tier") 5))',
]
_HELPERS = re.compile(
    r"_(div|round|mod|quot|rem|min|max|abs|inc|dec|is_\w+|str|lower|upper|starts|ends|includes|count|empty|"
    r"contains|eq|same|get|get_value|get_in|num|ord)"
)


@pytest.mark.parametrize("text", SPECIALISED)
def test_a_rule_on_known_types_calls_no_helper(text):
    """Given criteria whose argument types the checker knows (or literal sets, literal places), the compiled
    rule is plain Python: it calls no runtime helper where it gives a value (only where a text is too short for
    subs, a custom field's value is not a number or a date, or zero? meets nil, is the helper there to say so)."""
    rule = compile_rule(text)
    called = {name for name in rule.test.__code__.co_names if _HELPERS.fullmatch(name)}
    assert called <= {"_subs", "_ord", "_is_zero"}, called


def test_run_answers_a_shared_result_and_builds_one_only_on_failure():
    """Given a criteria, when it runs on loans that match, that do not and where it fails, then the first two
    are the very same two objects every time, and only a failure gives a result of its own, with the reason."""
    rule = compile_rule("(> (/ status-payoff status-due-fees) 100)")
    assert rule.run(context()) is rule.run(context(**{"status-payoff": D("9000.00")})) is MATCHED
    assert rule.run(context(**{"status-payoff": D("1.00")})) is NOT_MATCHED
    failed = rule.run(context(**{"status-due-fees": D("0")}))
    assert failed == RuleResult(False, "division by zero") and failed is not NOT_MATCHED


@pytest.mark.parametrize(
    "text, changes",
    [
        ('(and (> status-days-past-due 30) (= loan-status "Open"))', {}),
        ('(and (> status-days-past-due 30) (= loan-status "Open"))', {"status-days-past-due": 3}),
        ("(> status-last-payment-amount 100)", {"status-last-payment-amount": None}),
        ("(count portfolios)", {}),  # a value, not true: no match
        ('(if (> status-days-past-due 30) "yes" true)', {"status-days-past-due": 3}),
        ("(when (> status-days-past-due 30) true)", {"status-days-past-due": 3}),  # nil
    ],
)
def test_the_compiled_run_is_the_documented_run(text, changes):
    """The run compiled into each rule's class answers what CompiledRule.run (test, then `is True`) answers."""
    rule = compile_rule(text, criteria=False)
    ctx = context(**changes)
    assert type(rule).run is not CompiledRule.run
    assert rule.run(ctx) == CompiledRule.run(rule, ctx)


@pytest.mark.parametrize("text", SPECIALISED)
def test_the_compiled_run_reaches_nothing_but_its_helpers(text):
    """The production call's code, like the rule's, reads only names of its namespace (all starting with _),
    and of attributes only the rule's own `failed`, where it goes when anything raises."""
    rule = compile_rule(text)
    run = type(rule).run
    names = run.__globals__
    assert names["__builtins__"] == {}
    assert set(run.__code__.co_names) <= set(names) | {"failed"}
    assert all(isinstance(k, types.CodeType) is False for k in run.__code__.co_consts)


class CountingContext(dict):
    """A loan context that counts its lookups (the real one computes some groups of variables when first read)."""

    def __init__(self, values: dict) -> None:
        super().__init__(values)
        self.read: dict[str, int] = {}

    def __getitem__(self, name: str) -> Any:
        self.read[name] = self.read.get(name, 0) + 1
        return super().__getitem__(name)


@pytest.mark.parametrize(
    "text, changes, expected, lookups",
    [
        ("(and (> status-days-past-due 0) (< status-days-past-due 90))", {}, True, {"status-days-past-due": 1}),
        (
            "(and (pos? status-days-past-due) (< (mod status-days-past-due 30) 10))",
            {},
            False,
            {"status-days-past-due": 1},
        ),
        (
            "(cond (> status-days-past-due 90) 1 (> status-days-past-due 30) 2 :else 3)",
            {},
            2,
            {"status-days-past-due": 1},
        ),
        # an or's later operands run each after the one before: they share what they read
        (
            "(or (> status-payoff 1) (> status-days-past-due 0) (< status-days-past-due 90))",
            {"status-payoff": D("0.50"), "status-days-past-due": 0},
            True,
            {"status-payoff": 1, "status-days-past-due": 1},
        ),
        # the first reading may not run (an or's second operand): a reading after the or looks up again
        (
            "(and (or (> status-payoff 1) (> status-days-past-due 0)) (< status-days-past-due 90))",
            {"status-payoff": D("0.50"), "status-days-past-due": 5},
            True,
            {"status-payoff": 1, "status-days-past-due": 2},
        ),
        # a branch that does not run reads nothing
        ("(if (> status-days-past-due 90) status-24-dpd-30 0)", {}, 0, {"status-days-past-due": 1}),
        ('(or (= (custom-field "Dealer") "Acme") (= (custom-field "Amount") 5))', {}, False, {"custom-fields": 1}),
    ],
)
def test_a_variable_is_looked_up_once_where_its_first_reading_always_runs(text, changes, expected, lookups):
    """Given a rule that reads a variable twice, when its first reading always runs, then the loan's context is
    asked once, as a hand-written function would keep the value in a local; a reading in a branch that does not
    run asks nothing (the context computes some variables only when first read)."""
    ctx = CountingContext(context(**changes))
    assert compile_rule(text, criteria=False).value(ctx) == expected
    assert ctx.read == lookups
    assert agrees(text, context(**changes)) == ("value", expected)


# ---------------------------------------------------------------- v/parse-int and v/parse-float

_INT = re.compile(r"[+-]?\d{1,18}")
_NUMBER = re.compile(r"[+-]?(\d{1,18}(\.\d{0,10})?|\.\d{1,10})")


def parse_int_as_specified(x: Any) -> int | None:
    """docs/rules.md: up to 18 digits, a sign and surrounding space allowed (the former regex)."""
    if isinstance(x, str):
        return int(x.strip()) if _INT.fullmatch(x.strip()) else None
    return x if isinstance(x, int) and not isinstance(x, bool) else None


def parse_decimal_as_specified(x: Any) -> Decimal | None:
    if isinstance(x, str):
        return Decimal(x.strip()) if _NUMBER.fullmatch(x.strip()) else None
    return Decimal(x) if isinstance(x, (int, Decimal)) and not isinstance(x, bool) else None


NUMBER_TEXTS = st.one_of(
    st.text(max_size=24),
    st.from_regex(r"\s?[+-]?[0-9٠-٩]{0,20}(\.[0-9]{0,12})?\s?", fullmatch=True),
    st.sampled_from(["", " ", "+", "-", ".", "+.", "12.", ".5", "1e3", "1_000", "٣", "²", "١٢٣", "12.3.4", " 42 "]),
)


@settings(max_examples=examples(1000), deadline=None)
@given(text=NUMBER_TEXTS)
@example(text="1" * 18)
@example(text="1" * 19)
@example(text="1" * 18 + "." + "1" * 10)
@example(text="1" * 18 + "." + "1" * 11)
def test_parse_int_and_parse_float_read_what_the_language_says(text):
    """Given any text, v/parse-int and v/parse-float give the number the documented pattern reads, or nil."""
    assert parse_int(text) == parse_int_as_specified(text)
    expected, got = parse_decimal_as_specified(text), parse_decimal(text)
    assert (None if got is None else got.as_tuple()) == (None if expected is None else expected.as_tuple())
