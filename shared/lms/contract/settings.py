"""Tenants and their settings: labels (customer and loan statuses, portfolios, checklist items),
variables, rule-text validation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
)

from ..values import IsoDate
from .base import MAX_LABELS_ON_ENTITY, Entity, Name, Request, SafeText, Timezone, Title

DayCount = Literal["actual/365", "actual/360", "30/360"]


class TenantCreate(Request):
    name: Name
    timezone: Timezone = "UTC"


class TenantCreated(Entity):
    tenant_id: str
    api_key: str


class Tenant(Entity):
    tenant_id: str
    name: str
    timezone: str
    maintenance_hour: int
    business_date: IsoDate | None
    day_count: DayCount
    version: int


class TenantUpdate(Request):
    name: Name | None = None
    timezone: Timezone | None = None
    maintenance_hour: Annotated[StrictInt, Field(ge=0, le=23)] | None = None
    business_date: IsoDate | None = None
    day_count: DayCount | None = None
    version: StrictInt | None = None


class CustomerStatus(Entity):
    id: str
    title: str
    active: bool
    display_order: int
    version: int = 1


class CustomerStatusCreate(Request):
    title: Title
    active: StrictBool = True
    display_order: Annotated[StrictInt, Field(ge=0, le=10_000)] | None = None


class CustomerStatusUpdate(Request):
    title: Title | None = None
    active: StrictBool | None = None
    display_order: Annotated[StrictInt, Field(ge=0, le=10_000)] | None = None
    version: StrictInt | None = None


class SubStatus(Entity):
    title: str
    active: bool = True
    late_fees: bool = True


class SubStatusIn(Request):
    title: Title
    active: StrictBool = True
    late_fees: StrictBool = True


class LoanStatus(Entity):
    id: str
    title: str
    active: bool
    late_fees: bool
    sub_statuses: list[SubStatus]
    version: int = 1


class LoanStatusCreate(Request):
    title: Title
    active: StrictBool = True
    late_fees: StrictBool = True
    sub_statuses: Annotated[list[SubStatusIn], Field(max_length=MAX_LABELS_ON_ENTITY)] = []


class LoanStatusUpdate(Request):
    title: Title | None = None
    active: StrictBool | None = None
    late_fees: StrictBool | None = None
    sub_statuses: Annotated[list[SubStatusIn], Field(max_length=MAX_LABELS_ON_ENTITY)] | None = None
    version: StrictInt | None = None


class Portfolio(Entity):
    id: str
    title: str
    sub_portfolios: list[str]
    version: int = 1


class PortfolioCreate(Request):
    title: Title
    sub_portfolios: Annotated[list[Title], Field(max_length=MAX_LABELS_ON_ENTITY)] = []


class PortfolioUpdate(Request):
    title: Title | None = None
    sub_portfolios: Annotated[list[Title], Field(max_length=MAX_LABELS_ON_ENTITY)] | None = None
    version: StrictInt | None = None


class ChecklistItem(Entity):
    id: str
    title: str
    version: int = 1


class ChecklistItemCreate(Request):
    title: Title


class ChecklistItemUpdate(Request):
    title: Title | None = None
    version: StrictInt | None = None


class Variable(Entity):
    name: str
    type: str
    description: str


class RuleText(Request):
    criteria: StrictStr


class RuleProblem(Entity):
    code: str
    message: SafeText
    line: int
    column: int
    hint: SafeText | None = None


class RuleValidation(Entity):
    valid: bool
    errors: list[RuleProblem]
    warnings: list[RuleProblem] = []  # valid, but names what the tenant does not have (docs/rules.md#label-warnings)
    variables: list[str]

    @classmethod
    def of(cls, validation: Any, warnings: Sequence[Any] = ()) -> RuleValidation:
        """From lms.rules.Validation (the language knows nothing of HTTP) and the tenant's label warnings."""
        return cls(
            valid=validation.valid,
            variables=validation.variables,
            errors=[RuleProblem(**vars(e)) for e in validation.errors],
            warnings=[RuleProblem(**vars(w)) for w in warnings],
        )
