"""A loan's AutoPay (docs/http.md#autopay): what daily maintenance collects on each due date, through a
payment processor, and what the last collection did."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, StringConstraints, model_validator

from ..values import IsoDate, Money
from .base import STRICT, Entity, Request

# What each collection takes: the installment due that day, everything past due, a fixed amount, or the
# whole payoff (each at most the payoff).
AutopayAmount = Literal["scheduled", "amount-past-due", "fixed", "payoff"]
Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), STRICT]


class AutopayMethod(Request):
    type: Literal["ach", "card"]
    token: Token  # the processor's reference to the account or card (never the number itself)


class AutopayPut(Request):
    amount_type: AutopayAmount = "scheduled"
    amount: Annotated[Money, Field(gt=0)] | None = None
    method: AutopayMethod
    processor: Literal["local"] = "local"
    active: StrictBool = True
    suspended: StrictBool = False
    version: StrictInt | None = None  # the loan's version (If-Match works too)

    @model_validator(mode="after")
    def _amount_when_fixed(self) -> AutopayPut:
        if (self.amount_type == "fixed") != (self.amount is not None):
            raise ValueError("amountType fixed takes an amount; the others take none")
        return self


class AutopayResult(Entity):
    date: IsoDate
    status: Literal["succeeded", "failed"]
    amount: Money
    reference: str | None = None
    reason: str | None = None
    transaction_id: str | None = None


class Autopay(Entity):
    id: str
    amount_type: AutopayAmount
    amount: Money | None = None
    method: dict[str, str]
    processor: str
    active: bool = True
    suspended: bool = False
    last_result: AutopayResult | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
