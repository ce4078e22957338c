"""Customers: what a request may carry and what an answer shows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
)
from pydantic.alias_generators import to_camel

from .base import STRICT, Entity, Name, Request, ShortText, Title


class CustomerType(StrEnum):
    individual = "individual"
    company = "company"


class Address(Entity):
    """An address as stored and shown: checked as text when it came in (AddressInput), read back as it is."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, extra="forbid")

    line1: str
    line2: str | None = None
    city: str
    state: str | None = None
    postal_code: str | None = None
    country: str = "US"


class AddressInput(Address):
    """An address as a request sends it (an AddressInput is an Address: a customer holds it as it is)."""

    line1: ShortText
    line2: ShortText | None = None
    city: ShortText
    state: ShortText | None = None
    postal_code: ShortText | None = None
    country: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2, to_upper=True), STRICT
    ] = "US"


CreditScore = Annotated[StrictInt, Field(ge=300, le=850)]
BUREAUS = ("equifax", "experian", "transunion")


class CreditScoresInput(Request):
    """The customer's score at each bureau (LoanPro's customer.*.credit-score-equifax/-experian/-transunion)."""

    equifax: CreditScore | None = None
    experian: CreditScore | None = None
    transunion: CreditScore | None = None


class CreditScores(Entity):
    equifax: int | None = None
    experian: int | None = None
    transunion: int | None = None


class CustomerCreate(Request):
    first_name: Name
    last_name: Name
    email: ShortText | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), STRICT] | None = None
    customer_type: CustomerType
    status: Title | None = None
    credit_score: CreditScore | None = None
    credit_scores: CreditScoresInput | None = None
    address: AddressInput | None = None


class CustomerUpdate(Request):
    first_name: Name | None = None
    last_name: Name | None = None
    email: ShortText | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), STRICT] | None = None
    customer_type: CustomerType | None = None
    status: Title | None = None
    credit_score: CreditScore | None = None
    credit_scores: CreditScoresInput | None = None  # replaces the three (null clears them)
    address: AddressInput | None = None
    version: StrictInt | None = None


class Customer(Entity):
    id: str
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    customer_type: CustomerType
    status: str
    credit_score: int | None = None
    credit_scores: CreditScores | None = None
    address: Address | None = None
    version: int
    created_at: datetime
    updated_at: datetime
