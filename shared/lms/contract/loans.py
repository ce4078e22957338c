"""Loans: setup, labels, values, customers, and a loan as a customer sees it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from ..text import safe, strict
from ..values import IsoDate, Money, Rate, exact_decimal
from .base import MAX_CUSTOM_FIELDS, MAX_LABELS_ON_ENTITY, STRICT, Entity, Request, Title
from .settings import DayCount


class Role(StrEnum):
    primary = "primary"
    secondary = "secondary"
    additional = "additional"
    authorized = "authorized"  # an authorized user: may act on the account, not liable for it
    unassigned = "unassigned"  # linked to the loan with no role in it (LoanPro's "unassigned")


class PaymentFrequency(StrEnum):
    monthly = "monthly"
    semi_monthly = "semi-monthly"
    biweekly = "biweekly"
    weekly = "weekly"


class LateFee(Entity):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, extra="forbid")

    amount: Annotated[Money, Field(ge=0)] | None = None
    percent: Rate | None = None

    @model_validator(mode="after")
    def _one_of(self) -> LateFee:
        if (self.amount is None) == (self.percent is None):
            raise ValueError('a late fee is either {"amount": …} or {"percent": …}')
        return self


EARLIEST_DATE, LATEST_DATE = date(1970, 1, 1), date(2199, 12, 31)  # loan dates (the last due date stays < 2300)
MAX_LOAN_AMOUNT = Decimal("1000000000.00")  # a billion: balances with interest and fees stay far inside money's range


class DueDateShift(Entity):
    """Installment `fromInstallment` and every later one moved by `days` (the change-due-date action)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, extra="forbid")

    from_installment: Annotated[StrictInt, Field(ge=1, le=1200)]
    days: Annotated[StrictInt, Field(ge=-365, le=365)]


class LoanSetup(Entity):
    """Loan terms (docs/servicing.md#loan-terms)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, extra="forbid")

    loan_amount: Annotated[Money, Field(gt=0, le=MAX_LOAN_AMOUNT)]
    interest_rate: Rate
    term_periods: Annotated[StrictInt, Field(ge=1, le=1200)]
    payment_frequency: PaymentFrequency
    contract_date: IsoDate
    first_payment_date: IsoDate
    day_count: DayCount | None = None
    grace_days: Annotated[StrictInt, Field(ge=0, le=365)] = 10
    late_fee: LateFee | None = None
    due_date_shifts: Annotated[list[DueDateShift], Field(max_length=100)] = []

    @model_validator(mode="after")
    def _dates_in_order(self) -> LoanSetup:
        if self.first_payment_date <= self.contract_date:
            raise ValueError("firstPaymentDate must be after contractDate")
        for name, day in (("contractDate", self.contract_date), ("firstPaymentDate", self.first_payment_date)):
            if not EARLIEST_DATE <= day <= LATEST_DATE:
                raise ValueError(f"{name} must be between {EARLIEST_DATE} and {LATEST_DATE}")
        return self


class LoanCustomer(Entity):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, extra="forbid")

    customer_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), STRICT]
    role: Role


CustomFieldValue = StrictBool | Decimal | str | None


def check_custom_fields(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError("customFields is an object of name: value")
    if len(value) > MAX_CUSTOM_FIELDS:
        raise ValueError(f"at most {MAX_CUSTOM_FIELDS} custom fields")
    clean: dict[str, Any] = {}
    for name, field_value in value.items():
        if not isinstance(name, str) or not name.strip() or len(name) > 64:
            raise ValueError("a custom field name is 1 to 64 characters")
        try:
            name = strict(name)
            if isinstance(field_value, str):
                field_value = strict(field_value, multiline=True)
        except ValueError as error:
            raise ValueError(f"custom field {safe(name)!r}: {error}") from None
        if isinstance(field_value, str) and len(field_value) > 1000:
            raise ValueError(f"custom field {name!r}: at most 1000 characters")
        if isinstance(field_value, (int, float, Decimal)) and not isinstance(field_value, bool):
            field_value = exact_decimal(field_value)
        elif field_value is not None and not isinstance(field_value, (str, bool)):
            raise ValueError(f"custom field {name!r}: a value is text, a number, true/false or null")
        clean[name] = field_value
    return clean


class _LoanLabels(Request):
    display_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), STRICT] | None = (
        None
    )
    loan_status: Title | None = None
    loan_sub_status: Title | None = None
    credit_status: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), STRICT] | None = None
    portfolios: Annotated[list[Title], Field(max_length=MAX_LABELS_ON_ENTITY)] | None = None
    sub_portfolios: Annotated[list[Title], Field(max_length=MAX_LABELS_ON_ENTITY)] | None = None
    checklist: Annotated[list[Title], Field(max_length=MAX_LABELS_ON_ENTITY)] | None = None
    custom_fields: dict[str, CustomFieldValue] | None = None
    customers: Annotated[list[LoanCustomer], Field(max_length=20)] | None = None

    _check_custom_fields = field_validator("custom_fields", mode="before")(
        lambda cls, v: v if v is None else check_custom_fields(v)
    )


class LoanCreate(_LoanLabels):
    setup: LoanSetup


class LoanUpdate(_LoanLabels):
    setup: LoanSetup | None = None
    rule_opt_outs: (
        Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=64)]], Field(max_length=500)] | None
    ) = None
    version: StrictInt | None = None


# LoanPro's Loan Settings as Metro 2 reports them: the ECOA code of each borrower, the portfolio type the
# account is reported as, the bureaus it is reported to.
EcoaCode = Literal["1", "2", "3", "5", "7", "T", "W", "X", "Z"]
ReportingType = Literal["C", "I", "M", "O", "R"]
CreditBureau = Literal["none", "all", "equifax", "experian", "transunion"]
SETTINGS_FIELDS = (
    "creditBureau",
    "reportingType",
    "ecoaPrimary",
    "ecoaSecondary",
    "eBilling",
    "repossessionDate",
    "closedDate",
    "liquidationDate",
    "merchantProcessorGroup",
    "agent",
)


class LoanSettings(Entity):
    """The loan's reporting and servicing settings (LoanPro's Loan Settings), set by the loan-settings action."""

    credit_bureau: CreditBureau | None = None
    reporting_type: ReportingType | None = None
    ecoa_primary: EcoaCode | None = None
    ecoa_secondary: EcoaCode | None = None
    e_billing: bool = False
    repossession_date: IsoDate | None = None
    closed_date: IsoDate | None = None
    liquidation_date: IsoDate | None = None
    merchant_processor_group: str | None = None
    agent: str | None = None


class LoanValues(Entity):
    """The servicing calculator's current values (docs/servicing.md#values)."""

    days_past_due: int = 0
    amount_past_due: Money = Decimal("0")
    payoff: Money = Decimal("0")
    per_diem: Money = Decimal("0")
    principal_balance: Money = Decimal("0")
    interest_accrued: Money = Decimal("0")
    due_fees: Money = Decimal("0")
    next_payment_date: IsoDate | None = None
    next_payment_amount: Money | None = None
    last_payment_date: IsoDate | None = None
    last_payment_amount: Money | None = None
    total_paid: Money = Decimal("0")


class LateFeePeriod(Entity):
    """From `since` on, the loan's status did (or did not) allow late fees."""

    since: IsoDate
    allowed: bool


class Loan(Entity):
    id: str
    display_id: str
    setup: LoanSetup
    loan_status: str
    loan_sub_status: str | None = None
    credit_status: str | None = None
    portfolios: list[str] = []
    sub_portfolios: list[str] = []
    customers: list[LoanCustomer] = []
    active: bool = False
    activated_at: datetime | None = None
    archived: bool = False
    interest_stopped: bool = False
    charged_off: bool = False
    bankruptcy: dict[str, Any] | None = None  # the latest bankruptcy record (lms.bankruptcies)
    bankruptcy_history: SkipJsonSchema[list[dict[str, Any]]] = Field(default=[], exclude=True)  # the earlier ones
    settings: LoanSettings = LoanSettings()
    autopay: dict[str, Any] | None = None  # lms.autopay: shown at GET /loans/{id}/autopay
    checklist: list[str] = []
    custom_fields: dict[str, CustomFieldValue] = {}
    values: LoanValues
    late_fee_history: list[LateFeePeriod] = []
    rule_opt_outs: list[str] = []
    # Which rule-made change this state comes from (depth, rules applied): never shown; an API
    # write drops it (model_dump excludes it), which starts a new cascade.
    cascade: SkipJsonSchema[dict[str, Any] | None] = Field(default=None, exclude=True)
    # The servicing calculator's state at the end of as_of (servicing.Ledger.to_doc): daily
    # maintenance steps it forward instead of replaying the loan's history. Never shown.
    ledger: SkipJsonSchema[dict[str, Any] | None] = Field(default=None, exclude=True)
    # The first date after as_of on which a transaction of the loan takes effect (a stop-interest or an
    # amount-past-due reset dated ahead): daily maintenance applies it on that day. Never shown.
    pending_from: SkipJsonSchema[IsoDate | None] = Field(default=None, exclude=True)
    as_of: IsoDate
    # The last business date daily maintenance ran for this loan (snapshot and daily rules).
    maintained_through: IsoDate | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerLoan(Entity):
    """A loan as seen from one of its customers."""

    role: str
    loan: Loan
