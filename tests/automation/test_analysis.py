"""The rulebook analysis (lms.automation.analysis), pure: no AWS, no loan. A tenant of 50 realistic rules reports
nothing; the same rules with a planted cycle, conflict, never-true and always-true criteria report exactly those,
naming the planted rules; then the reasoning behind each kind of finding, one behaviour per test."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from lms.automation import analysis
from lms.automation.analysis import analyse, introduced, report
from lms.automation.analysis.criteria import _true, criteria_of
from lms.automation.analysis.writes import rule_writes
from lms.contract import NotifyAction, Rule
from lms.contract.analysis import Finding, RulebookAnalysis
from lms.labels import Labels
from lms.rules import RuleInvalid, compile_rule
from lms.rules.catalogue import BY_NAME
from lms.store.settings import SettingRow

CREATED = datetime(2026, 1, 15, tzinfo=UTC)
WEBHOOK = "whk_01J8Z3NDEKTSV4RRFFQ69G5FAV"
NOTIFY = {"type": "notify", "webhookId": WEBHOOK}


def _labels() -> Labels:
    """The lender's labels: the default statuses with more sub-statuses, customer statuses, portfolios, checklist."""
    rows: list[tuple[str, dict[str, Any]]] = [
        ("loan-status", {"title": "Application", "active": True, "lateFees": False, "subStatuses": []}),
        (
            "loan-status",
            {
                "title": "Open",
                "active": True,
                "lateFees": True,
                "subStatuses": [
                    {"title": t, "active": True, "lateFees": True}
                    for t in ("Repaying", "Past Due", "Delinquent", "Default")
                ],
            },
        ),
        (
            "loan-status",
            {
                "title": "Closed",
                "active": True,
                "lateFees": False,
                "subStatuses": [{"title": t, "active": True, "lateFees": False} for t in ("Paid Off", "Charged Off")],
            },
        ),
        *(
            ("customer-status", {"title": t, "active": True, "displayOrder": i})
            for i, t in enumerate(("Active", "Lead", "SCRA", "Deceased", "Bankrupt"))
        ),
        ("portfolio", {"title": "Collections", "subPortfolios": ["Early", "Late"]}),
        *(("portfolio", {"title": t, "subPortfolios": []}) for t in ("Prime", "Subprime", "Bankruptcy", "Legal")),
        ("portfolio", {"title": "Hardship", "subPortfolios": []}),
        *(
            ("checklist-item", {"title": t, "active": True})
            for t in (
                "Called",
                "Letter sent",
                "Demand letter",
                "Skip trace",
                "SCRA verified",
                "Welcome call",
                "Promise to pay",
                "Promise kept",
                "Broken promise",
                "Manager review",
                "Due date change requested",
                "Plan on file",
                "Funded",
                "Sold",
                "Hardship review",
            )
        ),
    ]
    return Labels([SettingRow(kind, f"lbl_{i}", body) for i, (kind, body) in enumerate(rows)])


LABELS = _labels()


def rule(name: str, criteria: str, *actions: dict[str, Any], **settings: Any) -> Rule:
    """A saved rule as the store gives it back: its id from its name, the defaults of POST /rules."""
    body = {
        "id": "rul_" + name.lower().replace(" ", "_"),
        "name": name,
        "active": True,
        "criteria": criteria,
        "actions": list(actions),
        "evalDaily": True,
        "evalRealTime": True,
        "addToNewLoans": True,
        "preactivation": False,
        "order": 1,
        "version": 1,
        "createdAt": CREATED,
        "updatedAt": CREATED,
    }
    return Rule.model_validate({**body, **settings})


def settings(**options: Any) -> dict[str, Any]:
    return {"type": "loan-settings", **options}


def checklist(check: tuple[str, ...] = (), uncheck: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "loan-checklist", "check": list(check), "uncheck": list(uncheck)}


DPD = "status-days-past-due"
NOT_BANKRUPT = "(not bankruptcy-active)"

# ---------------------------------------------------------------- a realistic rulebook of 50 rules, and plants

CLEAN: list[Rule] = [
    # the delinquency ladder: disjoint bands of days past due, bankruptcies aside
    rule(
        "Past due",
        f'(and (= loan-status "Open") (> {DPD} 0) (< {DPD} 30) (= loan-sub-status "Repaying") {NOT_BANKRUPT})',
        settings(loanStatus="Open", loanSubStatus="Past Due"),
    ),
    rule(
        "Delinquent",
        f'(and (= loan-status "Open") (>= {DPD} 30) (< {DPD} 60) (not= loan-sub-status "Delinquent") {NOT_BANKRUPT})',
        settings(loanStatus="Open", loanSubStatus="Delinquent", creditStatus="71"),
    ),
    rule(
        "Default",
        f'(let [dpd {DPD}] (and (= loan-status "Open") (>= dpd 60) (< dpd 120) {NOT_BANKRUPT}))',
        settings(loanStatus="Open", loanSubStatus="Default", creditStatus="78"),
    ),
    rule(
        "Cured",
        f'(and (= loan-status "Open") (zero? {DPD}) (contains? #{{"Past Due" "Delinquent" "Default"}} loan-sub-status)'
        f" {NOT_BANKRUPT})",
        settings(loanStatus="Open", loanSubStatus="Repaying", creditStatus="11"),
    ),
    # collections
    rule(
        "Collections in",
        f'(and (>= {DPD} 30) (not (contains? portfolios "Collections")))',
        settings(addPortfolios=["Collections"]),
        checklist(check=("Letter sent",)),
    ),
    rule(
        "Collections out",
        f'(and (zero? {DPD}) (contains? portfolios "Collections"))',
        settings(removePortfolios=["Collections"]),
    ),
    rule(
        "Early collections",
        f'(and (contains? portfolios "Collections") (>= {DPD} 30) (< {DPD} 60))',
        settings(addSubPortfolios=["Early"]),
    ),
    rule(
        "Late collections",
        f'(and (contains? portfolios "Collections") (>= {DPD} 60))',
        settings(addSubPortfolios=["Late"], removeSubPortfolios=["Early"]),
    ),
    # bankruptcy
    rule(
        "Bankruptcy filed",
        '(and bankruptcy-active (not (contains? portfolios "Bankruptcy")))',
        settings(addPortfolios=["Bankruptcy"]),
        {"type": "stop-interest", "mode": "suspend"},
        NOTIFY,
    ),
    rule(
        "Bankruptcy dismissed",
        '(and (contains? portfolios "Bankruptcy") (not bankruptcy-active))',
        settings(removePortfolios=["Bankruptcy"]),
        NOTIFY,
    ),
    rule(
        "Chapter 13 plan",
        '(and bankruptcy-active (= bankruptcy-chapter 13) (= bankruptcy-petition-status "planConfirmed"))',
        checklist(check=("Plan on file",)),
    ),
    rule(
        "Bankruptcy discharged",
        '(and bankruptcy-active (= bankruptcy-petition-status "discharged") (= loan-status "Open"))',
        {"type": "credit", "amount": {"base": "payoff"}, "category": "Bankruptcy discharge", "chargeOff": True},
        settings(loanStatus="Closed", loanSubStatus="Charged Off"),
    ),
    # charge-off and payoff
    rule(
        "Charge off",
        f'(and (= loan-status "Open") (>= {DPD} 120) (not charged-off) {NOT_BANKRUPT})',
        {"type": "credit", "amount": {"base": "payoff"}, "category": "Charge-off", "chargeOff": True},
        settings(
            loanStatus="Closed", loanSubStatus="Charged Off", creditStatus="97", closedDate="today", autopay="suspend"
        ),
    ),
    rule(
        "Paid off",
        f'(and (= loan-status "Open") (= loan-sub-status "Repaying") (zero? {DPD}) (<= status-payoff 0)'
        f" {NOT_BANKRUPT})",
        settings(loanStatus="Closed", loanSubStatus="Paid Off", creditStatus="13", closedDate="today"),
    ),
    rule(
        "Small balance write-off",
        f'(and (= loan-status "Open") (> status-payoff 0) (< status-payoff 25) (>= {DPD} 60))',
        {"type": "credit", "amount": {"base": "payoff"}, "category": "Small balance write-off"},
    ),
    # hardship and fees
    rule(
        "Hardship reset",
        '(and (contains? portfolios "Hardship") (> status-amount-due 0) (= loan-status "Open"))',
        {"type": "apd-reset", "adjustment": "zero"},
    ),
    rule(
        "Courtesy fee waiver",
        f'(and (> status-due-fees 0) (<= status-due-fees 15) (> {DPD} 0) (< {DPD} 10) (= loan-sub-status "Past Due"))',
        {"type": "credit", "amount": {"base": "due-fees"}, "applyTo": ["fees"], "category": "Courtesy waiver"},
    ),
    rule(
        "Due date change",
        f'(and (contains? checklist "Due date change requested") (zero? {DPD}))',
        {"type": "change-due-date", "shiftDays": 5, "chargeFee": "15.00"},
        checklist(uncheck=("Due date change requested",)),
    ),
    rule(
        "Autopay suspend",
        f'(and (> status-due-fees 100) (= loan-status "Open") (> {DPD} 30))',
        settings(autopay="suspend"),
    ),
    rule(
        "Autopay continue",
        f'(and (zero? status-due-fees) (zero? {DPD}) (= loan-status "Open"))',
        settings(autopay="continue"),
    ),
    rule(
        "Interest stop",
        f"(and (>= {DPD} 180) (not interest-stopped) {NOT_BANKRUPT})",
        {"type": "stop-interest", "mode": "suspend"},
    ),
    # SCRA and customers
    rule(
        "SCRA",
        '(and (= customer.primary.status "SCRA") (> setup-interest-rate 6))',
        checklist(check=("SCRA verified",)),
        settings(customFields={"SCRA": True}),
    ),
    rule(
        "SCRA ended",
        '(and (not= customer.primary.status "SCRA") (= (custom-field "SCRA") true))',
        settings(customFields={"SCRA": False}),
    ),
    rule(
        "Secondary SCRA",
        '(or (= customer.secondary.status "SCRA") (= (-> customer.primary :status) "SCRA"))',
        checklist(check=("SCRA verified",)),
    ),
    rule(
        "Deceased",
        '(= customer.primary.status "Deceased")',
        settings(ecoaPrimary="X"),
        NOTIFY,
    ),
    rule(
        "Bankrupt customer",
        '(and bankruptcy-active (not= customer.primary.status "Bankrupt") (some? customer.primary.id))',
        {"type": "customer-tools", "target": "primary", "setStatus": "Bankrupt"},
    ),
    rule(
        "Lead to active",
        f'(and (= loan-status "Open") (= customer.primary.status "Lead") {NOT_BANKRUPT})',
        {"type": "customer-tools", "target": "primary", "setStatus": "Active"},
    ),
    # letters, promises and reviews
    rule(
        "Broken promise",
        f'(and (contains? checklist "Promise to pay") (> {DPD} 5))',
        checklist(check=("Broken promise",), uncheck=("Promise to pay",)),
    ),
    rule(
        "Promise kept",
        f'(and (contains? checklist "Promise to pay") (zero? {DPD}))',
        checklist(check=("Promise kept",), uncheck=("Promise to pay",)),
    ),
    rule(
        "Demand letter",
        f'(and (>= {DPD} 45) (not (contains? checklist "Demand letter")))',
        checklist(check=("Demand letter",)),
        NOTIFY,
    ),
    rule(
        "Demand letter reset",
        f'(and (zero? {DPD}) (contains? checklist "Demand letter"))',
        checklist(uncheck=("Demand letter",)),
    ),
    rule(
        "Skip trace",
        f'(and (>= {DPD} 90) (contains? portfolios "Collections") (not (contains? checklist "Skip trace")))',
        checklist(check=("Skip trace",)),
        settings(agent="Recovery"),
    ),
    rule(
        "Manager review",
        f"(and (> status-principal-balance 25000) (>= {DPD} 60))",
        checklist(check=("Manager review",)),
    ),
    rule(
        "Legal review",
        f'(and (>= {DPD} 150) (contains? portfolios "Collections") (not (contains? portfolios "Legal")))',
        settings(addPortfolios=["Legal"]),
        NOTIFY,
    ),
    rule(
        "Legal out",
        f'(and (contains? portfolios "Legal") (< {DPD} 30))',
        settings(removePortfolios=["Legal"]),
    ),
    rule(
        "Repossession",
        f'(and (>= {DPD} 90) (= setup-payment-frequency "monthly") (contains? portfolios "Collections")'
        ' (not (contains? portfolios "Legal")))',
        settings(repossessionDate="today"),
        NOTIFY,
    ),
    # reporting and settings
    rule(
        "Report to bureaus",
        '(and (= loan-status "Open") (> setup-loan-amount 1000))',
        settings(creditBureau="all", reportingType="I"),
    ),
    rule(
        "Small loans unreported",
        '(and (= loan-status "Open") (<= setup-loan-amount 1000))',
        settings(creditBureau="none"),
    ),
    rule(
        "Paper statements when closed",
        '(and (= loan-status "Closed") (= loan-sub-status "Paid Off"))',
        settings(eBilling=False),
    ),
    rule(
        "E-billing",
        '(and (= loan-status "Open") (some? customer.primary.id))',
        settings(eBilling=True),
    ),
    rule(
        "Charged off to recovery",
        '(and (= loan-status "Closed") (= loan-sub-status "Charged Off") (not (contains? checklist "Sold")))',
        settings(merchantProcessorGroup="Recovery"),
    ),
    # notifications
    rule("Payment reminder", "(= (u/date-compare status-next-payment-date current-date) 3)", NOTIFY),
    rule("Large payoff", "(> status-payoff 50000)", NOTIFY),
    rule("First payment missed", "(and (= status-delinquent-buckets 1) (nil? status-last-payment-date))", NOTIFY),
    rule("Large amount past due", "(> status-amount-due (* 3 status-next-payment-amount))", NOTIFY),
    rule(
        "Welcome call",
        '(and (= loan-status "Open") (< (u/date-compare current-date setup-contract-date) 7)'
        ' (not (contains? checklist "Welcome call")))',
        NOTIFY,
    ),
    rule(
        "Holiday season",
        '(cond (>= current-date (date "2026-12-20")) (<= current-date (date "2026-12-31")) :else false)',
        NOTIFY,
    ),
    # applications (preactivation)
    rule(
        "Prime",
        '(and (>= customer.primary.credit-score 700) (not (contains? portfolios "Prime")))',
        settings(addPortfolios=["Prime"]),
        preactivation=True,
    ),
    rule(
        "Subprime",
        '(and (< customer.primary.credit-score 700) (not (contains? portfolios "Subprime")))',
        settings(addPortfolios=["Subprime"]),
        preactivation=True,
    ),
    rule(
        "Stale application",
        '(and (= loan-status "Application") (> (u/date-compare current-date loan-create-time) 30))',
        {"type": "account-tools", "operation": "archive"},
        preactivation=True,
    ),
]

PLANTED_CYCLE = [
    rule(
        "Hardship ended",
        '(and (contains? portfolios "Hardship") (contains? checklist "Hardship review"))',
        settings(removePortfolios=["Hardship"]),
    ),
    rule(
        "Hardship requested",
        '(and (not (contains? portfolios "Hardship")) (contains? checklist "Hardship review"))',
        settings(addPortfolios=["Hardship"]),
    ),
]
PLANTED_CONFLICT = rule(
    "Legal hold",
    f'(and (contains? portfolios "Legal") (>= {DPD} 120))',
    settings(creditStatus="XB"),
)  # and "Charge off" sets creditStatus 97 on such loans
PLANTED_NEVER = rule(
    "Impossible band", f'(and (> {DPD} 30) (< {DPD} 10) (= loan-status "Open"))', checklist(check=("Called",))
)
PLANTED_ALWAYS = rule("Every loan", "(or (>= status-payoff 1000) (< status-payoff 1000))", NOTIFY)


def _planted() -> list[Rule]:
    """The clean rules with the plants among them (not all at the end: findings follow the tenant order)."""
    rules = list(CLEAN)
    rules.insert(5, PLANTED_CYCLE[0])
    rules.insert(20, PLANTED_CYCLE[1])
    rules.insert(30, PLANTED_CONFLICT)
    rules.insert(2, PLANTED_NEVER)
    rules.append(PLANTED_ALWAYS)
    return rules


def found(findings: list[Finding]) -> set[tuple[str, tuple[str, ...]]]:
    return {(f.kind, tuple(f.rule_ids)) for f in findings}


def one(criteria: str, *actions: dict[str, Any], name: str = "Only", **options: Any) -> list[Finding]:
    """The findings about a rulebook of one rule."""
    return analyse([rule(name, criteria, *(actions or (NOTIFY,)), **options)], LABELS)


def kinds(criteria: str) -> list[str]:
    return [f.kind for f in one(criteria)]


# ---------------------------------------------------------------- the rulebook


def test_the_clean_rulebook_is_50_rules_using_every_action_type_but_bankruptcy():
    types = {a.type for r in CLEAN for a in r.actions}
    assert len(CLEAN) == len({r.id for r in CLEAN}) == 50
    assert types == {
        "loan-settings",
        "account-tools",
        "apd-reset",
        "change-due-date",
        "credit",
        "customer-tools",
        "loan-checklist",
        "stop-interest",
        "notify",
    }


def test_a_clean_rulebook_reports_nothing():
    # Given 50 realistic rules whose overlapping criteria never set one field differently
    # When the rulebook is analysed
    findings = analyse(CLEAN, LABELS)
    # Then nothing is found
    assert findings == []


def test_every_plant_is_found_and_nothing_else():
    findings = analyse(_planted(), LABELS)
    assert found(findings) == {
        ("cycle", ("rul_hardship_ended", "rul_hardship_requested")),
        ("conflict", ("rul_charge_off", "rul_legal_hold")),
        ("never-true", ("rul_impossible_band",)),
        ("always-true", ("rul_every_loan",)),
    }


def test_the_planted_cycle_names_both_rules_and_what_they_write():
    cycle = next(f for f in analyse(_planted(), LABELS) if f.kind == "cycle")
    assert cycle.variables == ["portfolios"]
    assert '"Hardship ended" changes portfolios, which can make "Hardship requested" match' in cycle.why
    assert '"Hardship requested" changes portfolios, which can make "Hardship ended" match' in cycle.why


def test_the_planted_conflict_names_the_field_and_who_wins():
    conflict = next(f for f in analyse(_planted(), LABELS) if f.kind == "conflict")
    assert conflict.variables == ["credit-status"]
    assert '"Charge off" sets credit-status "97", "Legal hold" sets credit-status "XB"' in conflict.why
    assert '"Legal hold" runs later' in conflict.why


def test_the_planted_criteria_findings_name_their_variables():
    by_kind = {f.kind: f for f in analyse(_planted(), LABELS)}
    assert by_kind["never-true"].variables == ["loan-status", DPD]
    assert by_kind["always-true"].variables == ["status-payoff"]
    assert "can be evaluated" in by_kind["always-true"].why  # a nil payoff fails both comparisons


def test_findings_come_in_the_tenant_order_then_by_kind():
    findings = analyse(_planted(), LABELS)
    ids = [r.id for r in _planted()]
    firsts = [min(ids.index(i) for i in f.rule_ids) for f in findings]
    assert firsts == sorted(firsts)
    assert analyse(_planted(), LABELS) == findings  # deterministic


def test_the_report_counts_the_rules_analysed():
    result = report(_planted(), LABELS)
    assert isinstance(result, RulebookAnalysis) and result.rules == 55 and len(result.findings) == 4
    shown = result.model_dump(mode="json", by_alias=True)
    assert set(shown["findings"][0]) == {"kind", "ruleIds", "variables", "why"}


# ---------------------------------------------------------------- never-true and always-true: interval reasoning


@pytest.mark.parametrize(
    "criteria",
    [
        f"(and (> {DPD} 30) (< {DPD} 10))",
        f"(and (> {DPD} 10) (< {DPD} 11))",  # whole days: nothing between 10 and 11
        f"(= {DPD} 2.5)",  # a whole number never equals 2.5
        f"(and (>= {DPD} 10) (<= {DPD} 10) (not= {DPD} 10))",
        '(and (= loan-status "Open") (= loan-status "Closed"))',
        '(and (contains? portfolios "Legal") (not (contains? portfolios "Legal")))',
        '(and (> current-date (date "2026-02-01")) (< current-date (date "2026-02-02")))',
        "(< 5 3)",
        f"(let [d {DPD}] (and (pos? d) (neg? d)))",
        f"(if (> {DPD} 30) (< {DPD} 20) false)",
        '(and (contains? #{"Open" "Closed"} loan-status) (= loan-status "Application"))',
    ],
)
def test_a_criteria_no_values_satisfy_is_never_true(criteria):
    assert kinds(criteria) == ["never-true"]


@pytest.mark.parametrize(
    "criteria",
    [
        f"(or (> {DPD} 5) (<= {DPD} 5))",
        "(= 1 1)",
        f"(or (nil? {DPD}) (some? {DPD}))",
        f"(not (and (> {DPD} 30) (< {DPD} 10)))",
        '(or (= loan-status "Open") (not= loan-status "Open"))',
        f"(cond (> {DPD} 30) true :else (<= {DPD} 30))",
        '(or (starts-with? loan-sub-status "Past") true)',
    ],
)
def test_a_criteria_every_value_satisfies_is_always_true(criteria):
    assert kinds(criteria) == ["always-true"]


@pytest.mark.parametrize(
    "criteria",
    [
        f"(> {DPD} 30)",
        f"(or (> {DPD} 5) (< {DPD} 5))",  # 5 itself fails both
        "(and (> status-payoff 10.00) (< status-payoff 10.01))",  # decimals: 10.005 is between
        '(and (starts-with? loan-sub-status "Past") (> status-days-past-due 3))',
        "(> (+ status-amount-due status-due-fees) 100)",  # arithmetic: opaque
        f"(< {DPD} 0)",  # the catalogue does not say days past due are never negative
        '(not= loan-status "Open")',  # a nil status is not "Open"
    ],
)
def test_a_criteria_some_values_satisfy_and_some_do_not_is_neither(criteria):
    assert kinds(criteria) == []


def test_a_nil_is_noted_only_when_it_is_what_makes_a_criteria_fail():
    (numbers,) = one(f"(or (> {DPD} 5) (<= {DPD} 5))")
    (texts,) = one('(or (= loan-status "Open") (not= loan-status "Open"))')
    assert "can be evaluated" in numbers.why and "can be evaluated" not in texts.why


def test_past_the_combination_limit_a_criteria_is_unknown_and_reports_nothing():
    # Given a contradiction next to 12 opaque parts (2**12 combinations of them alone)
    def contradiction(letters: str) -> str:
        opaque = " ".join(f'(starts-with? loan-sub-status "{letter}")' for letter in letters)
        return f"(and (> {DPD} 30) (< {DPD} 10) (or {opaque}))"

    assert kinds(contradiction("ABCDEFGHIJKL")) == []
    # The same contradiction with fewer opaque parts is found
    assert kinds(contradiction("ABCDEFGH")) == ["never-true"]


def test_a_string_compared_with_a_number_is_refused_by_the_language_and_left_out():
    # the compiler refuses (= x "30") when the rule is saved; a stored rule that no longer compiles is skipped,
    # so the never-true rule next to it is still found
    rules = [rule("Wrong type", f'(= {DPD} "30")', NOTIFY), rule("Broken", f"(> {DPD}", NOTIFY), PLANTED_NEVER]
    assert found(analyse(rules, LABELS)) == {("never-true", ("rul_impossible_band",))}


# ---------------------------------------------------------------- conflicts


def test_overlapping_rules_that_set_the_status_differently_conflict():
    rules = [
        rule("Late", f"(> {DPD} 30)", settings(loanStatus="Open", loanSubStatus="Past Due")),
        rule("Very late", f"(> {DPD} 60)", settings(loanStatus="Open", loanSubStatus="Default")),
    ]
    (finding,) = analyse(rules, LABELS)
    assert (finding.kind, finding.rule_ids, finding.variables) == (
        "conflict",
        ["rul_late", "rul_very_late"],
        ["loan-sub-status"],
    )


@pytest.mark.parametrize(
    "first, second",
    [
        (f"(> {DPD} 30)", f"(< {DPD} 10)"),
        ('(= loan-sub-status "Past Due")', '(= loan-sub-status "Default")'),
        ('(contains? portfolios "Legal")', '(not (contains? portfolios "Legal"))'),
        (f"(and (>= {DPD} 30) (< {DPD} 60))", f"(and (>= {DPD} 60) (< {DPD} 90))"),
    ],
)
def test_provably_disjoint_criteria_never_conflict(first, second):
    rules = [
        rule("A", first, settings(addPortfolios=["Legal"])),
        rule("B", second, settings(removePortfolios=["Legal"])),
    ]
    assert [f.kind for f in analyse(rules, LABELS)] == []


def test_add_and_remove_of_one_portfolio_conflict_and_the_same_change_does_not():
    add = rule("Add", f"(> {DPD} 30)", settings(addPortfolios=["Legal"]))
    remove = rule("Remove", '(= loan-status "Open")', settings(removePortfolios=["Legal"]))
    also_add = rule("Also add", '(= loan-status "Open")', settings(addPortfolios=["Legal"]))
    assert found(analyse([add, remove], LABELS)) == {("conflict", ("rul_add", "rul_remove"))}
    assert analyse([add, also_add], LABELS) == []


def test_inactive_shadow_and_preactivation_rules_do_not_conflict_with_live_ones():
    late = rule("Late", f"(> {DPD} 30)", settings(loanStatus="Open", loanSubStatus="Past Due"))
    other = ("Other", f"(> {DPD} 60)", settings(loanStatus="Open", loanSubStatus="Default"))
    assert analyse([late, rule(*other, active=False)], LABELS) == []
    assert analyse([late, rule(*other, mode="shadow")], LABELS) == []
    assert analyse([late, rule(*other, preactivation=True)], LABELS) == []
    assert [f.kind for f in analyse([late, rule(*other)], LABELS)] == ["conflict"]


def test_of_hundreds_of_setters_of_one_field_only_the_overlapping_pairs_conflict():
    rules = [
        rule(f"Band {i}", f"(and (>= {DPD} {i * 10}) (< {DPD} {i * 10 + 10}))", settings(creditStatus=f"C{i}"))
        for i in range(200)
    ] + [rule("Overlap", f"(and (>= {DPD} 55) (< {DPD} 65))", settings(creditStatus="X"))]
    findings = analyse(rules, LABELS)
    assert found(findings) == {("conflict", ("rul_band_5", "rul_overlap")), ("conflict", ("rul_band_6", "rul_overlap"))}


# ---------------------------------------------------------------- cycles


def test_a_status_set_to_what_the_other_rule_does_not_test_makes_no_cycle():
    # Given A sets the sub-status to Delinquent and B only tests for Repaying, B sets it to Past Due and A
    # only tests for Default: neither change makes the other match
    rules = [
        rule("A", '(= loan-sub-status "Default")', settings(loanStatus="Open", loanSubStatus="Delinquent")),
        rule("B", '(= loan-sub-status "Repaying")', settings(loanStatus="Open", loanSubStatus="Past Due")),
    ]
    assert analyse(rules, LABELS) == []


def test_two_rules_that_set_what_the_other_tests_make_a_cycle():
    rules = [
        rule("A", f'(and (= loan-sub-status "Past Due") (> {DPD} 15))', settings(loanSubStatus="Delinquent")),
        rule("B", f'(and (= loan-sub-status "Delinquent") (< {DPD} 45))', settings(loanSubStatus="Past Due")),
    ]
    (finding,) = analyse(rules, LABELS)
    assert (finding.kind, finding.rule_ids, finding.variables) == ("cycle", ["rul_a", "rul_b"], ["loan-sub-status"])


def test_a_change_only_on_loans_the_other_rule_excludes_makes_no_cycle():
    # the same pair, with bands of days past due that never meet: A's loans are never B's
    rules = [
        rule("A", f'(and (= loan-sub-status "Past Due") (> {DPD} 45))', settings(loanSubStatus="Delinquent")),
        rule("B", f'(and (= loan-sub-status "Delinquent") (< {DPD} 45))', settings(loanSubStatus="Past Due")),
    ]
    assert analyse(rules, LABELS) == []


def test_a_credit_lowers_balances_so_it_never_makes_a_balance_higher_than_a_threshold():
    # Given two rules each crediting fees on loans with fees above a threshold: a credit only lowers the fees
    rules = [
        rule("Waive", "(> status-due-fees 50)", {"type": "credit", "amount": {"base": "due-fees"}}),
        rule("Waive more", "(> status-due-fees 100)", {"type": "credit", "amount": {"base": "zero", "plus": "10.00"}}),
    ]
    # Then neither makes the other match: no cycle
    assert analyse(rules, LABELS) == []
    # while a rule that raises the fees (a due date change with a fee) can make both match again
    fee = rule("Fee", "(< status-due-fees 10)", {"type": "change-due-date", "shiftDays": 3, "chargeFee": "60.00"})
    cycle = [f for f in analyse([*rules, fee], LABELS) if f.kind == "cycle"]
    assert [f.rule_ids for f in cycle] == [["rul_waive", "rul_waive_more", "rul_fee"]]


def test_a_three_rule_cycle_is_one_finding():
    rules = [
        rule("One", '(contains? checklist "Called")', checklist(check=("Letter sent",), uncheck=("Called",))),
        rule("Two", '(contains? checklist "Letter sent")', checklist(check=("Skip trace",), uncheck=("Letter sent",))),
        rule("Three", '(contains? checklist "Skip trace")', checklist(check=("Called",), uncheck=("Skip trace",))),
    ]
    (finding,) = [f for f in analyse(rules, LABELS) if f.kind == "cycle"]  # each pair also conflicts
    assert finding.rule_ids == ["rul_one", "rul_two", "rul_three"]
    assert '"Three" changes checklist, which can make "One" match' in finding.why


def test_a_shadow_or_inactive_rule_breaks_a_cycle():
    first, second = PLANTED_CYCLE
    assert [f.kind for f in analyse([first, second], LABELS)] == ["cycle"]
    assert analyse([first, second.model_copy(update={"mode": "shadow"})], LABELS) == []
    assert analyse([first.model_copy(update={"active": False}), second], LABELS) == []


def test_an_archiving_rule_starts_no_cycle():
    # Given two rules that undo each other's checklist change, one of which also archives the loan
    undo = rule("Undo", '(contains? checklist "Called")', checklist(uncheck=("Called",)))
    call = rule("Call", '(not (contains? checklist "Called"))', checklist(check=("Called",)))
    archive = undo.model_copy(
        update={"actions": [*undo.actions, _action({"type": "account-tools", "operation": "archive"})]}
    )
    assert [f.kind for f in analyse([undo, call], LABELS)] == ["cycle"]
    # Then once the loan is archived no rule runs on it again: no cycle
    assert analyse([archive, call], LABELS) == []


def _action(body: dict[str, Any]) -> Any:
    return rule("Action", "true", body).actions[0]


# ---------------------------------------------------------------- shadowed


def test_a_duplicate_rule_is_shadowed_by_the_first():
    first = rule("First", f"(> {DPD}   30) ; late", checklist(check=("Called",)))
    again = rule("Again", f"(> {DPD} 30)", checklist(check=("Called",)))
    (finding,) = analyse([first, again], LABELS)
    assert (finding.kind, finding.rule_ids) == ("shadowed", ["rul_first", "rul_again"])


def test_a_narrower_rule_the_earlier_one_always_disables_is_shadowed():
    # Given "30 days" adds Collections to loans not in it, and a later "60 days" asks for loans not in it
    wide = rule(
        "30 days",
        f'(and (> {DPD} 30) (not (contains? portfolios "Collections")))',
        settings(addPortfolios=["Collections"]),
    )
    narrow = rule(
        "60 days",
        f'(and (> {DPD} 60) (not (contains? portfolios "Collections")))',
        settings(addPortfolios=["Collections"]),
        checklist(check=("Demand letter",)),
    )
    (finding,) = analyse([wide, narrow], LABELS)
    assert (finding.kind, finding.rule_ids, finding.variables) == (
        "shadowed",
        ["rul_30_days", "rul_60_days"],
        ["portfolios"],
    )
    # in the other order both apply: nothing
    assert analyse([narrow, wide], LABELS) == []


def test_an_earlier_rule_whose_change_leaves_the_later_one_matching_shadows_nothing():
    # Given the earlier rule matches every loan the later one does, but adds a portfolio the later one ignores
    wide = rule(
        "30 days", f'(and (> {DPD} 30) (not (contains? portfolios "Collections")))', settings(addPortfolios=["Legal"])
    )
    narrow = rule(
        "60 days",
        f'(and (> {DPD} 60) (not (contains? portfolios "Collections")) (not (contains? portfolios "Prime")))',
        checklist(check=("Demand letter",)),
    )
    # Then the later rule still applies after it: nothing is found
    assert analyse([wide, narrow], LABELS) == []
    # nor when the later rule asks for the very portfolio the earlier one adds
    legal = rule(
        "Legal 60",
        f'(and (> {DPD} 60) (not (contains? portfolios "Collections")) (contains? portfolios "Legal"))',
        checklist(check=("Demand letter",)),
    )
    assert analyse([wide, legal], LABELS) == []


def test_a_rule_between_that_changes_what_the_later_one_reads_prevents_the_shadowing():
    wide = rule(
        "30 days",
        f'(and (> {DPD} 30) (not (contains? portfolios "Collections")))',
        settings(addPortfolios=["Collections"]),
    )
    between = rule("Undo", '(contains? checklist "Called")', settings(removePortfolios=["Collections"]))
    narrow = rule(
        "60 days", f'(and (> {DPD} 60) (not (contains? portfolios "Collections")))', checklist(check=("Skip trace",))
    )
    assert "shadowed" not in [f.kind for f in analyse([wide, between, narrow], LABELS)]


def test_an_earlier_rule_that_runs_less_often_or_can_fail_shadows_nothing():
    wide = (
        "30 days",
        f'(and (> {DPD} 30) (not (contains? portfolios "Collections")))',
        settings(addPortfolios=["Collections"]),
    )
    narrow = rule("60 days", f'(and (> {DPD} 60) (not (contains? portfolios "Collections")))', NOTIFY)
    assert [f.kind for f in analyse([rule(*wide), narrow], LABELS)] == ["shadowed"]
    assert analyse([rule(*wide, evalDaily=False), narrow], LABELS) == []
    assert analyse([rule(*wide, addToNewLoans=False), narrow], LABELS) == []
    failing = rule(wide[0], wide[1], wide[2], {"type": "change-due-date", "shiftDays": 3})
    assert analyse([failing, narrow], LABELS) == []


# ---------------------------------------------------------------- unknown labels (lms.automation.warnings)


def test_an_unknown_title_is_found_with_the_warning_of_a_save():
    (finding,) = one(f'(and (= loan-status "Opne") (> {DPD} 10))')
    assert (finding.kind, finding.variables) == ("unknown-label", ["loan-status"])
    assert 'no loan status of this tenant is titled "Opne"' in finding.why


def test_a_title_in_the_wrong_case_is_found_with_its_hint():
    (finding,) = one('(contains? portfolios "legal")')
    assert (finding.kind, finding.variables) == ("unknown-label", ["portfolios"])
    assert 'did you mean "Legal"?' in finding.why


# ---------------------------------------------------------------- introduced: what a save adds


def test_a_save_introduces_only_the_findings_the_rulebook_did_not_have():
    before = _planted()
    after = [*before, rule("Also late", f"(> {DPD} 150)", settings(creditStatus="XC"))]
    added = introduced(before, after, LABELS)
    assert found(added) == {
        ("conflict", ("rul_charge_off", "rul_also_late")),
        ("conflict", ("rul_legal_hold", "rul_also_late")),
    }


def test_an_edit_that_keeps_a_finding_introduces_nothing_and_a_fix_introduces_nothing():
    before = _planted()
    edited = [
        r.model_copy(update={"criteria": f'(and (> {DPD} 31) (< {DPD} 10) (= loan-status "Open"))'})
        if r.id == "rul_impossible_band"
        else r
        for r in before
    ]
    fixed = [r for r in before if r.id != "rul_every_loan"]
    assert introduced(before, edited, LABELS) == []
    assert introduced(before, fixed, LABELS) == []
    assert found(introduced(fixed, before, LABELS)) == {("always-true", ("rul_every_loan",))}


def test_a_first_rule_introduces_its_own_findings():
    assert found(introduced([], [PLANTED_NEVER], LABELS)) == {("never-true", ("rul_impossible_band",))}


# ---------------------------------------------------------------- the table of what actions write


def test_every_variable_the_write_table_names_is_in_the_catalogue():
    named = {
        *analysis.BALANCES,
        *analysis.PAST_DUE,
        *analysis.SCHEDULE,
        *analysis.DELINQUENCY,
        *analysis.LEDGER,
        *analysis.BANKRUPTCY_FIELDS.values(),
        *itertools.chain(*analysis.CUSTOMER.values()),
    }
    assert named <= set(BY_NAME)


def test_a_shadow_rule_writes_nothing():
    live = rule("Live", "(> status-days-past-due 3)", settings(loanStatus="Closed"))
    assert rule_writes(live, LABELS)
    assert rule_writes(live.model_copy(update={"mode": "shadow"}), LABELS) == {}


def test_activating_and_inactivating_rules_make_a_cycle_across_preactivation():
    # Given a preactivation rule activates funded loans, and a live one inactivates funded loans far past due
    activate = rule(
        "Activate funded",
        '(contains? checklist "Funded")',
        {"type": "account-tools", "operation": "activate"},
        preactivation=True,
    )
    inactivate = rule(
        "Inactivate",
        f'(and (contains? checklist "Funded") (> {DPD} 200))',
        {"type": "account-tools", "operation": "inactivate"},
    )
    # Then each starts the other running on the loan: a cycle (activation also brings the days past due to today)
    assert found(analyse([activate, inactivate], LABELS)) == {("cycle", ("rul_activate_funded", "rul_inactivate"))}
    (finding,) = analyse([activate, inactivate], LABELS)
    assert finding.variables == ["loan-active", DPD]
    assert '"Inactivate" changes loan-active, which can make "Activate funded" match' in finding.why
    # and a rule that only notifies leaves the activated loan activated: nothing
    assert (
        analyse(
            [activate, inactivate.model_copy(update={"actions": [NotifyAction(type="notify", webhook_id=WEBHOOK)]})],
            LABELS,
        )
        == []
    )


# ---------------------------------------------------------------- the reading agrees with the compiled rule


SETS = (
    '(boolean (some #{"Legal" "Collections"} portfolios))',
    '(contains? portfolios "Legal")',
    '(contains? #{"Open" "Closed"} loan-status)',
    '(contains? #{"Legal" "Prime"} "Legal")',
)
OTHERS = ("charged-off", "(nil? status-payoff)", "(pos? status-payoff)", "(zero? status-payoff)")


def _random_criteria(rng: random.Random, depth: int = 0) -> str:
    """A criteria over tracked parts only: comparisons of a few variables with literals, joined by the forms."""
    if depth >= 3 or rng.random() < 0.5:
        return _random_comparison(rng)
    inner = [_random_criteria(rng, depth + 1) for _ in range(3)]
    form = rng.choice(["and", "or", "not", "if", "when", "cond", "let"])
    if form in ("and", "or"):
        return f"({form} {' '.join(inner[: rng.randint(1, 3)])})"
    return {
        "not": f"(not {inner[0]})",
        "if": f"(if {inner[0]} {inner[1]} {inner[2]})",
        "when": f"(boolean (when {inner[0]} {inner[1]}))",
        "cond": f"(boolean (cond {inner[0]} {inner[1]} :else {inner[2]}))",
        "let": f"(let [d {DPD}] (or (> d 45) {inner[0]}))",
    }[form]


def _random_comparison(rng: random.Random) -> str:
    choice = rng.randrange(5)
    if choice == 0:
        op = rng.choice(["<", ">", "<=", ">=", "=", "not="])
        return f"({op} {DPD} {rng.choice([0, 10, 30, 2.5])})"
    if choice == 1:
        return f"({rng.choice(['<', '>=', '='])} {rng.choice([10, 30])} {DPD} {rng.choice([30, 60])})"
    if choice == 2:
        status = rng.choice(['"Open"', '"Closed"', "nil"])
        return f"({rng.choice(['=', 'not='])} loan-status {status})"
    return rng.choice(SETS if choice == 3 else OTHERS)


def _context(rng: random.Random) -> dict[str, Any]:
    # a loan's portfolios are a set, never nil (the analysis reads a title of a set variable as true or false)
    portfolios = rng.choice([frozenset(), frozenset({"Legal"}), frozenset({"Prime", "Legal"})])
    return {
        DPD: rng.choice([None, 0, 5, 10, 29, 30, 31, 60, 61, 100]),
        "loan-status": rng.choice([None, "Open", "Closed", "Application"]),
        "portfolios": portfolios,
        "charged-off": rng.choice([None, True, False]),
        "status-payoff": rng.choice([None, Decimal("0"), Decimal("0.00"), Decimal("-1"), Decimal("12.50")]),
    }


def test_the_reading_gives_what_the_compiled_rule_gives_and_its_claims_hold():
    rng = random.Random(20260131)
    checked = claims = 0
    for _ in range(300):
        text = _random_criteria(rng)
        try:
            compiled = compile_rule(text)
        except RuleInvalid:
            continue  # (some ...) is not a criteria on its own, a set literal is not = a text...
        criteria = criteria_of(text)
        assert criteria is not None and criteria.exact, text
        for _ in range(20):
            context = _context(rng)
            env = {
                key: key[2] in context["portfolios"] if isinstance(key, tuple) else context[key]
                for key in criteria.dims
            }
            assert compiled.run(context).matched == _true(criteria.test, env), (text, context)
            if criteria.verdict == "never":
                assert not compiled.run(context).matched, text
            if criteria.verdict == "always":
                outcome = compiled.run(context)
                assert outcome.matched or outcome.error, text
            checked += 1
        claims += criteria.verdict is not None
    assert checked > 4000 and claims > 10, (checked, claims)
