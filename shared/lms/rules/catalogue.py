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
    _v("status-orig-maturity-date", "date", "last scheduled due date"),
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
    _v("customer.primary", "map", "the primary customer as a map: (-> customer.primary :status), :id, :credit-score"),
    _v("customer.secondary", "map", "the secondary customer as a map (nil if none)"),
    _v("custom-fields", "map", 'the loan\'s custom fields by name; (custom-field "Name") reads one'),
    _v("customer-statuses", "set-of-text", "statuses of every customer linked to the loan"),
    _v("current-date", "date", "the tenant's business date"),
)

BY_NAME = {v.name: v for v in VARIABLES}
