"""A loan's bankruptcy records (docs/http.md#bankruptcies): LoanPro's fields; at most one active per loan."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt, field_validator

from ..values import IsoDate
from .base import Entity, Request, ShortText
from .loans import CustomFieldValue, check_custom_fields

# LoanPro's petition statuses and types (other text is kept as written: the bankruptcy action takes any).
PetitionStatus = Literal["petitionFiled", "planConfirmed", "discharged", "dismissed", "reaffirmed"]
PetitionType = Literal["single", "joint"]
Chapter = Annotated[StrictInt, Field(ge=1, le=15)]


class _BankruptcyFields(Request):
    case_number: ShortText | None = None
    petition_status: PetitionStatus | None = None
    petition_type: PetitionType | None = None
    automatic_stay: StrictBool | None = None
    dismissed_date: IsoDate | None = None
    discharged_date: IsoDate | None = None
    meeting_of_creditors_date: IsoDate | None = None
    proof_of_claim_date: IsoDate | None = None
    custom_fields: dict[str, CustomFieldValue] | None = None

    _check_custom_fields = field_validator("custom_fields", mode="before")(
        lambda cls, v: v if v is None else check_custom_fields(v)
    )


class BankruptcyCreate(_BankruptcyFields):
    chapter: Chapter
    filing_date: IsoDate
    active: StrictBool = True


class BankruptcyUpdate(_BankruptcyFields):
    chapter: Chapter | None = None
    filing_date: IsoDate | None = None
    active: StrictBool | None = None
    version: StrictInt | None = None  # the loan's version (If-Match works too)


class Bankruptcy(Entity):
    id: str
    chapter: int | None = None
    filing_date: IsoDate | None = None
    case_number: str | None = None
    petition_status: str | None = None
    petition_type: str | None = None
    automatic_stay: bool | None = None
    dismissed_date: IsoDate | None = None
    discharged_date: IsoDate | None = None
    meeting_of_creditors_date: IsoDate | None = None
    proof_of_claim_date: IsoDate | None = None
    custom_fields: dict[str, Any] = {}
    active: bool = True
    created_at: datetime | None = None
    updated_at: datetime | None = None
