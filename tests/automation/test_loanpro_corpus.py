"""Rules written as LoanPro's documentation writes them, with LoanPro's variable names, each with its source,
validated and evaluated on the hand-computed loan of test_loanpro_variables (97 days past due, 400.00 past due,
30.00 of late fees, four delinquency buckets, status Open). Each must validate, and match exactly when LoanPro's
meaning says it should on that loan."""

from __future__ import annotations

import pytest

from tests.automation.test_loanpro_variables import hand  # noqa: F401  (the fixture)

SEEDS = "seeds: rules-applied-intermediate (LoanPro, Rules Applied - intermediate)"
AMOUNTS = "https://loanpro.helpjuice.com/context-engine/context-engine-glossary-amounts"
CALCULATED = "https://loanpro.helpjuice.com/context-engine/context-engine-glossary-calculated"
DATES = "https://loanpro.helpjuice.com/context-engine/context-engine-glossary-dates"
GENERAL = "https://loanpro.helpjuice.com/context-engine/context-engine-glossary-general"
NEXT = "https://help.loanpro.io/article/b3f5gfhtmb-context-engine-glossary-next-payment"
COLLECTED = "https://help.loanpro.io/article/uwh493tl9d-context-engine-glossary-collected"
SETUP = "https://loanpro.helpjuice.com/context-engine/context-engine-glossary-setup-terms"
BUCKETS = "https://help.loanpro.io/article/nmtdi2nl20-delinquency-buckets"
USING_DATES = "https://help.loanpro.io/article/5o81sswh5s-using-dates-in-computation-rules"
NEXT_STEPS = "LoanPro, Clojure Rules Next Steps"
CLOJURE_CORE = "https://clojure.org/api/cheatsheet (let, some, every?, boolean, re-find, re-matches)"
CLOJURE_STRING = "https://clojure.github.io/clojure/clojure.string-api.html"

CORPUS: list[tuple[str, str, bool]] = [  # (source, rule, matches on the hand-computed loan)
    (SEEDS, '(and (= status-days-past-due 10) (= loan-status "Active"))', False),
    (SEEDS, '(and (> status-days-past-due 30) (= loan-status "Active"))', False),
    (SEEDS, '(and (> status-days-past-due 30) (= loan-status "Open"))', True),
    (NEXT_STEPS, "(> (+ status-next-payment-amount status-amount-due) 450)", True),
    (NEXT_STEPS, "(= (+ status-next-payment-amount status-amount-due) 500)", True),
    (AMOUNTS, "(>= status-24-dpd-30 3)", True),
    (AMOUNTS, "(> status-24-dpd-60 0)", True),
    (AMOUNTS, "(= status-24-dpd-90 1)", True),
    (AMOUNTS, "(zero? status-24-dpd-120)", True),
    (AMOUNTS, "(and (zero? status-24-dpd-150) (zero? status-24-dpd-180))", True),
    (AMOUNTS, '(starts-with? status-24-dpd-history "32")', True),
    (AMOUNTS, "(> status-due-fees 25)", True),
    (AMOUNTS, "(= status-full-due (+ status-amount-due status-due-fees))", True),
    (AMOUNTS, "(zero? status-due-escrow)", True),
    (AMOUNTS, "(and (zero? status-due-discount) (zero? status-remaining-discount))", True),
    (CALCULATED, "(= next-period-amount (+ status-full-due status-next-payment-amount))", True),
    (CALCULATED, '(= status-delinquent-bucket-date (date "2026-03-15"))', True),
    (CALCULATED, "(>= status-delinquent-bucket-amount 100)", True),
    (CALCULATED, "(= (get-in status-delinquent-bucket-balance [1 :days-past-due]) 5)", True),
    (CALCULATED, "(= (-> status-delinquent-bucket-balance :1 :new-due-amount) 400)", True),
    (
        BUCKETS,
        "(<= (-> status-delinquent-bucket-balance :LARGEST-BUCKET :amount-due)"
        " (* (-> status-delinquent-bucket-balance :LARGEST-BUCKET :scheduled-payment) 1))",
        True,
    ),
    (BUCKETS, "(> (-> status-delinquent-bucket-balance :LARGEST-BUCKET :days-past-due) 90)", True),
    (DATES, '(= subsequent-due-date (date "2026-08-15"))', True),
    (DATES, "(< status-period-start current-date status-period-end)", True),
    (DATES, "(= (u/date-compare current-date today-minus-dpd) status-days-past-due)", True),
    (DATES, "(= status-final-payment-date status-orig-maturity-date)", True),
    (DATES, "(> status-loan-recency 120)", True),
    (DATES, '(> status-orig-maturity-date (date "2027-01-01"))', True),
    (GENERAL, '(= date-of-first-delinquency (date "2026-04-14"))', True),
    (GENERAL, "(some? current-time)", True),
    (GENERAL, "(>= (u/date-compare current-date date-of-first-delinquency) 60)", True),
    (NEXT, "(= status-next-payment-principal 100)", True),
    (NEXT, "(zero? status-next-payment-interest)", True),
    (NEXT, "(= status-next-payment-fees status-due-fees)", True),
    (NEXT, "(= next-scheduled-payment-date status-next-payment-date)", True),
    (
        NEXT,
        "(= next-scheduled-payment-amount (+ next-scheduled-payment-principal next-scheduled-payment-interest))",
        True,
    ),
    (NEXT, "(and (zero? next-scheduled-payment-escrow) (zero? status-next-payment-discount))", True),
    (
        COLLECTED,
        "(= status-total-paid (+ status-total-paid-principal status-total-paid-interest status-total-paid-fees))",
        True,
    ),
    (COLLECTED, "(< status-total-paid 200)", True),
    (COLLECTED, "(and (zero? status-total-paid-escrow) (zero? status-total-paid-discount))", True),
    (SETUP, "(and (= setup-loan-amount 1200) (= setup-loan-term 12))", True),
    (SETUP, '(= setup-payment-frequency "monthly")', True),
    (SETUP, "(= setup-days-in-year 365)", True),
    (SETUP, "(> (u/date-compare setup-first-payment-date setup-contract-date) 30)", True),
    (USING_DATES, "(> (u/date-compare (u/today :format :date) setup-contract-date) 100)", True),
    (USING_DATES, '(>= current-date (date "2026-06-01"))', True),
    (AMOUNTS, "(and (> status-days-past-due 90) (< status-days-past-due 120))", True),
    (AMOUNTS, "(>= status-days-past-due 120)", False),
    # The Clojure a lender's rules use beyond the glossary: the core and clojure.string functions.
    (CLOJURE_CORE, "(let [dpd status-days-past-due fees status-due-fees] (and (> dpd 90) (pos? fees)))", True),
    (CLOJURE_CORE, "(let [owed (+ status-amount-due status-due-fees)] (= owed status-full-due))", True),
    (CLOJURE_CORE, '(not (some #{"Legal" "Bankruptcy"} portfolios))', True),  # in neither portfolio
    (CLOJURE_CORE, '(every? #{"Collections"} portfolios)', True),  # no portfolio: true of every one, as in Clojure
    (CLOJURE_CORE, '(boolean (re-find #"^3" status-24-dpd-history))', True),
    (CLOJURE_CORE, '(boolean (re-matches #"[0-6B]{24}" status-24-dpd-history))', True),
    (CLOJURE_STRING, '(= (clojure.string/upper-case loan-status) "OPEN")', True),
    (CLOJURE_STRING, '(clojure.string/starts-with? loan-sub-status "Repay")', True),
    (CLOJURE_STRING, "(not (clojure.string/blank? loan-status))", True),
]


def test_the_corpus_is_at_least_40_rules_each_with_its_source():
    assert len(CORPUS) >= 40
    assert all(source and rule for source, rule, _ in CORPUS)


@pytest.mark.parametrize("source, rule, matches", CORPUS, ids=[c[1][:60] for c in CORPUS])
def test_a_loanpro_rule_validates_and_evaluates_as_loanpro_documents(hand, source, rule, matches):  # noqa: F811
    api, _loan = hand
    validated = api.post("/rules/validate", {"criteria": rule}).json
    assert validated["valid"] is True and validated["errors"] == [], (source, validated)
    preview = api.post("/rules/preview", {"criteria": rule})
    assert preview.status == 200, preview
    assert preview.json["matched"] == (1 if matches else 0), (source, rule, preview.json)
    if '"Active"' in rule:  # the seeds' status: this tenant has none, and is told so
        assert [w["code"] for w in validated["warnings"]] == ["unknown-label"]
