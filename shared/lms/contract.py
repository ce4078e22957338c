"""The HTTP contract's models (API.md): what requests may carry and what responses show.

The same models validate requests and generate GET /openapi.json. Requests refuse unknown
fields; responses are mapped from the store explicitly, never from a database item.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from .text import check, safe, strict
from .values import IsoDate, Money, Rate, exact_decimal

# Every name and title a user writes (lms.text.strict): no control characters, lone surrogates or line
# separators, NFC; free text that may run over lines (rule criteria, templates) allows tab, CR and LF.
STRICT = BeforeValidator(lambda value: strict(value) if isinstance(value, str) else value)  # before trimming
MULTILINE = BeforeValidator(lambda value: check(value, multiline=True) if isinstance(value, str) else value)
# Text about something a tenant wrote (an error quoting a rule's literal...): escaped by lms.text.safe, the
# one way such text reaches the audit log, an answer or a log line.
SafeText = Annotated[str, AfterValidator(safe)]

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), STRICT]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), STRICT]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), STRICT]
Timezone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), STRICT]

MAX_LABELS_ON_ENTITY = 100
MAX_CUSTOM_FIELDS = 50


class Request(BaseModel):
    """A request body: camelCase, unknown fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid")


class Entity(BaseModel):
    """A response body: camelCase out."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


T = TypeVar("T")


class Page(Entity, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class ErrorBody(Entity):
    code: str
    message: SafeText
    details: list[dict[str, Any]] = []


class ErrorResponse(Entity):
    error: ErrorBody


# ---------------------------------------------------------------- tenants and settings

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
    variables: list[str]

    @classmethod
    def of(cls, validation: Any) -> RuleValidation:
        """From lms.rules.Validation (the language knows nothing of HTTP)."""
        return cls(
            valid=validation.valid,
            variables=validation.variables,
            errors=[RuleProblem(**vars(e)) for e in validation.errors],
        )


# ---------------------------------------------------------------- customers


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


class CustomerCreate(Request):
    first_name: Name
    last_name: Name
    email: ShortText | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), STRICT] | None = None
    customer_type: CustomerType
    status: Title | None = None
    credit_score: CreditScore | None = None
    address: AddressInput | None = None


class CustomerUpdate(Request):
    first_name: Name | None = None
    last_name: Name | None = None
    email: ShortText | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), STRICT] | None = None
    customer_type: CustomerType | None = None
    status: Title | None = None
    credit_score: CreditScore | None = None
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
    address: Address | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerLoan(Entity):
    """A loan as seen from one of its customers."""

    role: str
    loan: Loan


# ---------------------------------------------------------------- loans


class Role(StrEnum):
    primary = "primary"
    secondary = "secondary"
    additional = "additional"


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
    """Loan terms (SERVICING.md)."""

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


def _custom_fields(value: Any) -> Any:
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
        lambda cls, v: v if v is None else _custom_fields(v)
    )


class LoanCreate(_LoanLabels):
    setup: LoanSetup


class LoanUpdate(_LoanLabels):
    setup: LoanSetup | None = None
    rule_opt_outs: (
        Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=64)]], Field(max_length=500)] | None
    ) = None
    version: StrictInt | None = None


class LoanValues(Entity):
    """The servicing calculator's current values (SERVICING.md)."""

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
    bankruptcy: dict[str, Any] | None = None
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
    as_of: IsoDate
    # The last business date daily maintenance ran for this loan (snapshot and daily rules).
    maintained_through: IsoDate | None = None
    version: int
    created_at: datetime
    updated_at: datetime


CustomerLoan.model_rebuild()


# ---------------------------------------------------------------- loan transactions (SERVICING.md)

PositiveMoney = Annotated[Money, Field(gt=0, le=MAX_LOAN_AMOUNT)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), STRICT]


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
    reversed: bool = False
    reversed_by: str | None = None
    reverses: str | None = None
    allocation: Allocation | None = None
    source: Literal["api", "rule"] = "api"
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


# ---------------------------------------------------------------- rules applied (RULES.md sections 3-5)

AmountBase = Literal[
    "zero", "amount-past-due", "principal-balance", "payoff", "due-fees", "interest-accrued", "next-payment-amount"
]
Titles = Annotated[list[Title], Field(max_length=MAX_LABELS_ON_ENTITY)]


class Strict(BaseModel):
    """A part of a request (camelCase, unknown fields refused) that is also shown back."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, extra="forbid")


class AmountSpec(Strict):
    """An amount computed when the action applies: one of the loan's values plus a fixed amount."""

    base: AmountBase
    plus: Money = Decimal("0")


class LoanSettingsAction(Strict):
    type: Literal["loan-settings"]
    loan_status: Title | None = None
    loan_sub_status: Title | None = None
    credit_status: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), STRICT] | None
    ) = None
    add_portfolios: Titles = []
    remove_portfolios: Titles = []
    add_sub_portfolios: Titles = []
    remove_sub_portfolios: Titles = []
    custom_fields: dict[str, AmountSpec | CustomFieldValue] = {}


class AccountToolsAction(Strict):
    type: Literal["account-tools"]
    operation: Literal["activate", "inactivate", "archive", "delete"]


class ApdResetAction(Strict):
    type: Literal["apd-reset"]
    adjustment: Literal["fixed", "zero"]
    amount: Annotated[Money, Field(ge=0)] | None = None
    days_from_applied: Annotated[StrictInt, Field(ge=0, le=365)] = 0
    reset_days_past_due: StrictBool = True

    @model_validator(mode="after")
    def _amount_when_fixed(self) -> ApdResetAction:
        if (self.adjustment == "fixed") != (self.amount is not None):
            raise ValueError("adjustment fixed takes an amount (the amount past due it leaves); zero takes none")
        return self


class BankruptcyAction(Strict):
    type: Literal["bankruptcy"]
    chapter: Annotated[StrictInt, Field(ge=1, le=15)] | None = None
    filing_date: IsoDate | None = None
    petition_status: ShortText | None = None
    automatic_stay: StrictBool | None = None
    case_number: ShortText | None = None
    set_null: list[Literal["chapter", "filingDate", "petitionStatus", "automaticStay", "caseNumber"]] = []


class ChangeDueDateAction(Strict):
    type: Literal["change-due-date"]
    new_due_date: IsoDate | None = None
    shift_days: Annotated[StrictInt, Field(ge=-365, le=365)] | None = None
    charge_fee: Annotated[Money, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> ChangeDueDateAction:
        if (self.new_due_date is None) == (self.shift_days is None):
            raise ValueError("give newDueDate or shiftDays (one of them)")
        return self


class CreditAction(Strict):
    type: Literal["credit"]
    amount: AmountSpec
    category: ShortText | None = None
    charge_off: StrictBool = False
    reset_past_due: StrictBool = False


class CustomerToolsAction(Strict):
    type: Literal["customer-tools"]
    target: Literal["primary", "secondary", "all"]
    set_status: Title | None = None
    validate_: StrictBool = Field(False, alias="validate")


class LoanChecklistAction(Strict):
    type: Literal["loan-checklist"]
    check: Titles = []
    uncheck: Titles = []


class StopInterestAction(Strict):
    type: Literal["stop-interest"]
    mode: Literal["suspend", "resume"]
    days_from_applied: Annotated[StrictInt, Field(ge=0, le=365)] = 0


class NotifyAction(Strict):
    type: Literal["notify"]
    webhook_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), STRICT]


Action = Annotated[
    LoanSettingsAction
    | AccountToolsAction
    | ApdResetAction
    | BankruptcyAction
    | ChangeDueDateAction
    | CreditAction
    | CustomerToolsAction
    | LoanChecklistAction
    | StopInterestAction
    | NotifyAction,
    Field(discriminator="type"),
]
RuleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), STRICT]
Criteria = Annotated[str, StringConstraints(min_length=1, max_length=4000), MULTILINE]


class RuleCreate(Request):
    name: RuleName
    active: StrictBool = True
    criteria: Criteria
    actions: Annotated[list[Action], Field(min_length=1, max_length=20)]
    eval_daily: StrictBool = True
    eval_real_time: StrictBool = True
    add_to_new_loans: StrictBool = True
    preactivation: StrictBool = False


class RuleUpdate(Request):
    name: RuleName | None = None
    active: StrictBool | None = None
    criteria: Criteria | None = None
    actions: Annotated[list[Action], Field(min_length=1, max_length=20)] | None = None
    eval_daily: StrictBool | None = None
    eval_real_time: StrictBool | None = None
    add_to_new_loans: StrictBool | None = None
    preactivation: StrictBool | None = None
    version: StrictInt | None = None


class Rule(Entity):
    id: str
    name: str
    active: bool
    criteria: str
    actions: list[Action]
    eval_daily: bool
    eval_real_time: bool
    add_to_new_loans: bool
    preactivation: bool
    order: int
    variables: list[str] = []
    version: int
    created_at: datetime
    updated_at: datetime


class RuleOrder(Request):
    rule_ids: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=64)]], Field(max_length=1000)]


class RulePreviewRequest(Request):
    criteria: Criteria
    limit: Annotated[StrictInt, Field(ge=1, le=100)] = 10


class PreviewSample(Entity):
    loan_id: str
    variables: dict[str, Any]


class RulePreview(Entity):
    matched: int
    evaluated: int
    sample: list[PreviewSample]


class ForceRequest(Request):
    explain: StrictBool = False


LoanId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
MAX_JOB_LOANS = 1000


class ForceJobRequest(Request):
    """One rule on many loans, in the background: these loans, or every enrolled loan when absent."""

    loan_ids: Annotated[list[LoanId], Field(min_length=1, max_length=MAX_JOB_LOANS)] | None = None


class JobStarted(Entity):
    job_id: str


class JobFailure(Entity):
    loan_id: str
    error: SafeText


class Job(Entity):
    """A background job's progress. loansTotal is null until every loan of the job is queued."""

    job_id: str
    type: Literal["force"]
    rule_id: str
    state: Literal["queued", "running", "completed", "failed"]
    loans_total: int | None
    loans_done: int
    loans_matched: int
    loans_failed: int
    failures: list[JobFailure] = []
    created_at: datetime
    finished_at: datetime | None = None


class ForceResult(Entity):
    matched: bool
    actions_applied: list[dict[str, Any]]
    variables: dict[str, Any] = {}
    error: SafeText | None = None


class MaintenanceRunRequest(Request):
    business_date: IsoDate | None = None


class MaintenanceRunStarted(Entity):
    run_id: str


class MaintenanceRun(Entity):
    run_id: str
    business_date: IsoDate
    state: Literal["queued", "running", "completed", "failed"]
    loans_queued: int | None
    loans_done: int
    loans_failed: int
    started_at: datetime
    finished_at: datetime | None = None


class Snapshot(Entity):
    """A loan's values at the end of one business day (daily maintenance)."""

    date: IsoDate
    values: LoanValues
    loan_status: str
    loan_sub_status: str | None = None
    charged_off: bool
    interest_stopped: bool


class RuleApplication(Entity):
    """One entry of a loan's audit log."""

    id: str
    loan_id: str
    rule_id: str
    rule_version: int
    trigger: str
    time: datetime
    matched: bool
    variables: dict[str, Any]
    actions_applied: list[dict[str, Any]]
    # why the rule did not apply: may quote anything a rule holds, so made safe (lms.text.safe) here,
    # the one way into the audit log, a force's answer and the log lines that show it
    error: SafeText | None = None
    business_date: IsoDate | None = None  # daily rules: the business day the evaluation was for
    # notify actions: [{webhookId, variables}] kept with the entry for the events function, never shown
    notifications: SkipJsonSchema[list[dict[str, Any]] | None] = Field(default=None, exclude=True)


# ---------------------------------------------------------------- webhooks

EVENT_TYPES = (
    "loan.created",
    "loan.activated",
    "loan.updated",
    "loan.status-changed",
    "loan.portfolios-changed",
    "payment.posted",
    "payment.reversed",
    "charge.posted",
    "customer.created",
    "customer.updated",
    "customer.status-changed",
    "rule.applied",
    "maintenance.completed",
)
EventType = Literal[
    "loan.created",
    "loan.activated",
    "loan.updated",
    "loan.status-changed",
    "loan.portfolios-changed",
    "payment.posted",
    "payment.reversed",
    "charge.posted",
    "customer.created",
    "customer.updated",
    "customer.status-changed",
    "rule.applied",
    "maintenance.completed",
]
WebhookMethod = Literal["POST", "PUT", "PATCH", "DELETE", "GET"]
WebhookUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048), STRICT]
HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")]
HeaderValue = Annotated[str, StringConstraints(max_length=2048, pattern=r"^[^\r\n\x00]*$")]
BodyTemplate = Annotated[str, StringConstraints(max_length=65536), MULTILINE]
MAX_WEBHOOK_HEADERS = 20


class WebhookCreate(Request):
    name: Name
    url: WebhookUrl
    method: WebhookMethod = "POST"
    headers: Annotated[dict[HeaderName, HeaderValue], Field(max_length=MAX_WEBHOOK_HEADERS)] = {}
    body_template: BodyTemplate | None = None
    events: Annotated[list[EventType], Field(max_length=len(EVENT_TYPES))] = []
    filter: Criteria | None = None
    active: StrictBool = True


class WebhookUpdate(Request):
    name: Name | None = None
    url: WebhookUrl | None = None
    method: WebhookMethod | None = None
    headers: Annotated[dict[HeaderName, HeaderValue], Field(max_length=MAX_WEBHOOK_HEADERS)] | None = None
    body_template: BodyTemplate | None = None
    events: Annotated[list[EventType], Field(max_length=len(EVENT_TYPES))] | None = None
    filter: Criteria | None = None
    active: StrictBool | None = None
    version: StrictInt | None = None


class Webhook(Entity):
    id: str
    name: str
    url: str
    method: str
    headers: dict[str, str]  # values of credential-like headers are shown masked
    body_template: str | None = None
    events: list[str]
    filter: str | None = None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookCreated(Webhook):
    secret: str  # the signing secret (Standard Webhooks, "whsec_..."): shown this once


class Delivery(Entity):
    """One attempt to deliver one message (the delivery log)."""

    attempt_id: str
    message_id: str
    event: str
    attempt: int
    status: Literal["succeeded", "retrying", "failed"]
    response_code: int | None = None
    latency_ms: int | None = None
    at: datetime
    error: SafeText | None = None


class Redelivery(Entity):
    message_id: str
