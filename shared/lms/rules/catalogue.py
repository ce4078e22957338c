"""The rule variable catalogue (docs/rules.md#variables): every name a criteria may read, with its type."""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class VariableSpec:
    name: str
    type: str  # int, money, decimal, date, text, bool, set-of-text, map
    description: str


def _v(name: str, type_: str, description: str) -> VariableSpec:
    # Interned: compiled rules look names up in contexts keyed by these very strings, and a dict
    # lookup that finds the same object skips comparing the characters.
    return VariableSpec(sys.intern(name), type_, description)


VARIABLES: tuple[VariableSpec, ...] = (
    _v("status-days-past-due", "int", "days since the oldest unpaid due date (0 when current)"),
    _v("status-amount-due", "money", "amount past due (APD)"),
    _v("status-payoff", "money", "principal + accrued unpaid interest + unpaid fees, today"),
    _v("status-perdiem", "money", "one day's interest at today's principal balance"),
    _v("status-principal-balance", "money", "unpaid principal"),
    _v("status-interest-accrued", "money", "accrued, unpaid interest"),
    _v("status-due-fees", "money", "unpaid fees"),
    _v("status-next-payment-date", "date", "next scheduled installment's due date"),
    _v("status-next-payment-amount", "money", "next scheduled installment's amount"),
    _v("status-last-payment-date", "date", "date of the last payment (nil if none)"),
    _v("status-last-payment-amount", "money", "amount of the last payment (nil if none)"),
    _v("status-loan-recency", "int", "days since the last payment (nil if none)"),
    _v("status-total-paid", "money", "all payments received"),
    _v("loan-status", "text", "the loan's status title"),
    _v("loan-sub-status", "text", "the loan's sub-status title"),
    _v("credit-status", "text", "credit reporting status"),
    _v("portfolios", "set-of-text", "titles of the portfolios the loan belongs to"),
    _v("sub-portfolios", "set-of-text", "titles of the sub-portfolios the loan belongs to"),
    _v("checklist", "set-of-text", "checked checklist item titles"),
    _v("loan-active", "bool", "the loan is activated"),
    _v("loan-archived", "bool", "the loan is archived"),
    _v("interest-stopped", "bool", "interest accrual is suspended"),
    _v("charged-off", "bool", "the loan is charged off"),
    _v("bankruptcy-active", "bool", "the loan has an active bankruptcy"),
    _v("bankruptcy-chapter", "int", "chapter of the active bankruptcy (nil if none)"),
    _v("bankruptcy-filing-date", "date", "filing date of the active bankruptcy (nil if none)"),
    _v("bankruptcy-case-number", "text", "case number of the active bankruptcy (nil if none)"),
    _v(
        "bankruptcy-petition-status",
        "text",
        "petitionFiled, planConfirmed, discharged, dismissed, reaffirmed (nil if none)",
    ),
    _v("bankruptcy-petition-type", "text", "single or joint (nil if none)"),
    _v("bankruptcy-automatic-stay", "bool", "whether the automatic stay is in effect (nil if none or unset)"),
    _v("bankruptcy-dismissed-date", "date", "date the active bankruptcy was dismissed (nil if none)"),
    _v("bankruptcy-discharged-date", "date", "date the active bankruptcy was discharged (nil if none)"),
    _v("bankruptcy-meeting-of-creditors-date", "date", "its 341 meeting of creditors (nil if none)"),
    _v("bankruptcy-proof-of-claim-date", "date", "its proof of claim deadline (nil if none)"),
    _v("setup-loan-amount", "money", "loan amount"),
    _v("setup-interest-rate", "decimal", "annual interest rate, percent"),
    _v("setup-loan-term", "int", "number of payment periods"),
    _v("setup-payment-frequency", "text", "monthly, semi-monthly, biweekly or weekly"),
    _v("setup-contract-date", "date", "contract date"),
    _v("setup-first-payment-date", "date", "first payment date"),
    _v("setup-grace-days", "int", "days after a due date before a late fee"),
    _v("customer.primary.status", "text", "customer status of the primary customer (nil if none)"),
    _v("customer.secondary.status", "text", "customer status of the secondary customer (nil if none)"),
    _v("customer.primary.id", "text", "id of the primary customer (nil if none)"),
    _v("customer.secondary.id", "text", "id of the secondary customer (nil if none)"),
    _v("customer.primary.credit-score", "int", "credit score of the primary customer (nil if none)"),
    _v("customer.secondary.credit-score", "int", "credit score of the secondary customer (nil if none)"),
    *(
        _v(f"customer.{role}.credit-score-{bureau}", "int", f"the {role} customer's {label} score (nil if none)")
        for role in ("primary", "secondary")
        for bureau, label in (
            ("equifax", "Equifax"),
            ("experian", "Experian"),
            ("transunion", "TransUnion"),
            ("average", "average bureau"),
        )
    ),
    _v("customer.primary", "map", "the primary customer as a map: (-> customer.primary :status), :id, :credit-score"),
    _v("customer.secondary", "map", "the secondary customer as a map (nil if none)"),
    _v("custom-fields", "map", 'the loan\'s custom fields by name; (custom-field "Name") reads one'),
    _v("customer-statuses", "set-of-text", "statuses of every customer linked to the loan"),
    _v("current-date", "date", "the tenant's business date"),
    _v(
        "current-utc-date",
        "date",
        "the UTC date the rule runs on, what (u/today) gives (the business-date override if set)",
    ),
    _v("current-time", "text", "the time of day (UTC) the rule runs, HH:MM:SS"),
    _v("loan-display-id", "text", "the loan's display id"),
    _v("loan-create-time", "date", "the day (UTC) the loan was created"),
    _v("setup-days-in-year", "int", "days in the interest year: 365 (actual/365), else 360"),
)
# LoanPro's escrow and discount figures: this service keeps neither, so each is 0.00 (a ported rule that
# reads one still runs, and reads what the loan has).
ESCROW_AND_DISCOUNT: tuple[VariableSpec, ...] = tuple(
    _v(name, "money", f"always 0.00: this service keeps no {kind}")
    for name, kind in (
        ("status-due-escrow", "escrow"),
        ("status-due-discount", "discount"),
        ("status-remaining-discount", "discount"),
        ("status-total-paid-escrow", "escrow"),
        ("status-total-paid-discount", "discount"),
        ("status-next-payment-escrow", "escrow"),
        ("status-next-payment-discount", "discount"),
        ("next-scheduled-payment-escrow", "escrow"),
        ("next-scheduled-payment-discount", "discount"),
    )
)
VARIABLES += ESCROW_AND_DISCOUNT

# LoanPro's figures derived from the loan's ledger and schedule (lms.servicing.status): computed only when a
# rule reads one of them (lms.automation.context.LoanContext).
LEDGER_FIGURES: tuple[VariableSpec, ...] = (
    _v("status-due-interest", "money", "the interest part of the amount past due"),
    _v("status-due-principal", "money", "the principal part of the amount past due"),
    _v("status-full-due", "money", "everything due now: the amount past due and the unpaid fees"),
    _v("status-next-payment-principal", "money", "principal part of the next installment (nil when paid off)"),
    _v(
        "status-next-payment-interest",
        "money",
        "interest part of the next installment, as scheduled (nil when paid off)",
    ),
    _v("status-next-payment-fees", "money", "unpaid fees the next payment pays first (nil when paid off)"),
    _v(
        "next-period-amount",
        "money",
        "what to pay by the next due date to be current: the full due and the next installment",
    ),
    _v(
        "next-scheduled-payment-date",
        "date",
        "the next due date on the schedule, whatever was paid ahead (nil after the last)",
    ),
    _v("next-scheduled-payment-amount", "money", "that scheduled installment's amount (nil after the last)"),
    _v("next-scheduled-payment-principal", "money", "its principal part, as scheduled (nil after the last)"),
    _v("next-scheduled-payment-interest", "money", "its interest part, as scheduled (nil after the last)"),
    _v("next-scheduled-payment-fees", "money", "unpaid fees a payment pays first (nil after the last)"),
    _v("subsequent-due-date", "date", "the due date after the next payment's (nil when the next is the last)"),
    _v("status-period-start", "date", "the most recent due date (the contract date before the first)"),
    _v("status-period-end", "date", "the day before the next due date on the schedule (nil after the last)"),
    _v("status-final-payment-date", "date", "the last due date as the schedule now stands (due-date changes included)"),
    _v("status-orig-maturity-date", "date", "the last due date of the original terms (no due-date change)"),
    _v(
        "date-of-first-delinquency",
        "date",
        "30 days after the oldest unpaid due date, once the loan is 30+ days past due (else nil)",
    ),
    _v("today-minus-dpd", "date", "today minus the days past due"),
    _v(
        "status-delinquent-bucket-date",
        "date",
        "due date of the delinquency bucket with the largest unpaid amount (nil if none)",
    ),
    _v("status-delinquent-bucket-amount", "money", "unpaid amount of that bucket (nil if none)"),
    _v("status-delinquent-buckets", "int", "number of installments past due and not fully paid"),
    _v(
        "status-delinquent-bucket-balance",
        "map",
        'each installment past due and unpaid, by bucket ("1" the most recent, :LARGEST-BUCKET the oldest): '
        ":bucket-number, :installment, :due-date, :days-past-due, :scheduled-payment, :amount-due, "
        ":past-due-amount (due before it), :new-due-amount",
    ),
    _v("status-total-paid-principal", "money", "principal paid by all payments"),
    _v("status-total-paid-interest", "money", "interest paid by all payments"),
    _v("status-total-paid-fees", "money", "fees paid by all payments"),
    _v("status-total-credits", "money", "all credits applied"),
    _v("status-total-fees-charged", "money", "all fees charged"),
    _v("status-total-interest-charged", "money", "all interest accrued"),
    _v("status-late-fees-charged", "int", "number of late fees charged"),
)
# LoanPro's 24-month delinquency history: the loan's days past due on the same day of each of the last 24
# months, from a replay of its transactions (read only when a rule reads one of them).
DPD_HISTORY: tuple[VariableSpec, ...] = (
    _v(
        "status-24-dpd-history",
        "text",
        "24 codes, this month first, the days past due on today's day of each month: B before the loan, "
        "0 under 30 days, 1 for 30-59, 2 for 60-89, 3 for 90-119, 4 for 120-149, 5 for 150-179, 6 for 180+",
    ),
    *(
        _v(f"status-24-dpd-{days}", "int", f"how many of the last 24 months found the loan {days}+ days past due")
        for days in (30, 60, 90, 120, 150, 180)
    ),
)
# When interest stopped, from the loan's transactions (read only when a rule reads one of them).
INTEREST_STOP: tuple[VariableSpec, ...] = (
    _v("stop-interest-date", "date", "the day interest stopped accruing, while it is stopped (nil while it accrues)"),
    _v("stop-interest-days", "int", "days interest has been stopped, counting that day (nil while it accrues)"),
)
# The loan's portfolios indexed by the tenant's portfolio ids, as LoanPro indexes them (the set form is `portfolios`).
PORTFOLIO_INDEX: tuple[VariableSpec, ...] = (
    _v("portfolio-ids", "set-of-text", "the ids of the portfolios the loan belongs to (GET /portfolios)"),
    _v(
        "portfolio",
        "map",
        "the loan's portfolios by portfolio id: each :id, :title and :sub-portfolios (the loan's sub-portfolios "
        'of it, a set): (-> portfolio :pfl_... :title), (get-in portfolio ["pfl_..." :sub-portfolios])',
    ),
)
VARIABLES += LEDGER_FIGURES + DPD_HISTORY + INTEREST_STOP + PORTFOLIO_INDEX

BY_NAME = {v.name: v for v in VARIABLES}
