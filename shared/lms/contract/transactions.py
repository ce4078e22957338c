"""Loan transactions (payments, charges, credits), their allocation, the schedule."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    StrictBool,
    StringConstraints,
)

from ..values import IsoDate, Money
from .base import STRICT, Entity, Request
from .loans import MAX_LOAN_AMOUNT

PositiveMoney = Annotated[Money, Field(gt=0, le=MAX_LOAN_AMOUNT)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), STRICT]
Balance = Literal["fees", "interest", "principal"]


def _distinct(order: list[str]) -> list[str]:
    if len(set(order)) != len(order):
        raise ValueError("names each balance at most once")
    return order


# A credit's type: the balances it pays, in this order; what is left after them is unapplied.
CreditOrder = Annotated[list[Balance], Field(min_length=1, max_length=3), AfterValidator(_distinct)]


class PaymentCreate(Request):
    amount: PositiveMoney
    date: IsoDate | None = None
    method: Label | None = None


class ChargeCreate(Request):
    amount: PositiveMoney
    date: IsoDate | None = None
    title: Label


class CreditCreate(Request):
    amount: PositiveMoney
    date: IsoDate | None = None
    category: Label | None = None
    charge_off: StrictBool = False
    apply_to: CreditOrder | None = None  # default: fees, then interest, then principal (as a payment)


class Allocation(Entity):
    """Where a transaction's amount went, as the loan stands now (a back-dated payment can move
    later payments' splits). Unapplied: the part of a payment beyond the payoff."""

    fees: Money = Decimal("0")
    interest: Money = Decimal("0")
    principal: Money = Decimal("0")
    unapplied: Money = Decimal("0")


class Transaction(Entity):
    id: str
    loan_id: str
    type: Literal["payment", "charge", "credit", "reversal", "stop-interest", "resume-interest", "apd-reset"]
    amount: Money
    date: IsoDate
    method: str | None = None
    title: str | None = None
    category: str | None = None
    charge_off: bool = False
    apply_to: list[Balance] | None = None  # a credit's balances in order (None: fees, interest, principal)
    keeps_days_past_due: bool = False  # an apd-reset made with resetDaysPastDue false
    reversed: bool = False
    reversed_by: str | None = None
    reverses: str | None = None
    allocation: Allocation | None = None
    source: Literal["api", "rule", "autopay"] = "api"
    created_at: datetime


class ScheduleRow(Entity):
    number: int
    due_date: IsoDate
    payment: Money
    interest: Money
    principal: Money
    balance: Money


def today_utc() -> date:
    return datetime.utcnow().date()
