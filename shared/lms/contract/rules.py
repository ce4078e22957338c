"""Rules Applied: actions, rules, previews, force runs and jobs, maintenance runs, snapshots, the audit log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from ..values import IsoDate, Money
from .analysis import Finding
from .base import MAX_LABELS_ON_ENTITY, MULTILINE, STRICT, Entity, Request, SafeText, ShortText, Title
from .loans import CreditBureau, CustomFieldValue, EcoaCode, LoanValues, ReportingType, Role
from .settings import RuleProblem
from .transactions import CreditOrder

AmountBase = Literal[  # LoanPro's 22 base values, then interest-accrued (lms.automation.amounts reads each)
    "zero",
    "amount-past-due",
    "principal-balance",
    "payoff",
    "due-fees",
    "due-principal",
    "due-interest",
    "due-escrow",
    "payoff-fees",
    "remaining-discount",
    "remaining-interest",
    "total-advancements",
    "total-credits",
    "next-autopay-amount",
    "available-credit",
    "last-payment-amount",
    "next-payment-amount",
    "total-payments-collected",
    "total-loan-amount",
    "underwriting-fee",
    "til-finance-charge",
    "til-total-of-payments",
    "interest-accrued",
]
Titles = Annotated[list[Title], Field(max_length=MAX_LABELS_ON_ENTITY)]
SettingDate = IsoDate | Literal["today"]
SettingName = Literal[
    "creditBureau",
    "reportingType",
    "ecoaPrimary",
    "ecoaSecondary",
    "repossessionDate",
    "closedDate",
    "liquidationDate",
    "merchantProcessorGroup",
    "agent",
]


class Strict(BaseModel):
    """A part of a request (camelCase, unknown fields refused) that is also shown back."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, extra="forbid", defer_build=True
    )


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
    # LoanPro's Loan Settings options (docs/rules.md#loan-settings): a date is a day or "today" (the day the
    # rule applies); set_null clears settings.
    credit_bureau: CreditBureau | None = None
    reporting_type: ReportingType | None = None
    ecoa_primary: EcoaCode | None = None
    ecoa_secondary: EcoaCode | None = None
    e_billing: StrictBool | None = None
    repossession_date: SettingDate | None = None
    closed_date: SettingDate | None = None
    liquidation_date: SettingDate | None = None
    merchant_processor_group: ShortText | None = None
    agent: ShortText | None = None
    autopay: Literal["suspend", "continue"] | None = None
    set_null: list[SettingName] = []


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
        if self.adjustment == "zero" and not self.reset_days_past_due:
            raise ValueError(
                "adjustment zero leaves nothing past due, so the days past due are 0: resetDaysPastDue false"
                " needs adjustment fixed (an amount past due left, its days past due still counting)"
            )
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
    due_date: Literal["next", "recent"] = (
        "next"  # LoanPro's due date to change: the next one, or the most recent past one
    )
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
    apply_to: CreditOrder | None = (
        None  # the credit type: the balances it pays in order (default fees, interest, principal)
    )
    category: ShortText | None = None
    charge_off: StrictBool = False
    reset_past_due: StrictBool = False


class CustomerToolsAction(Strict):
    type: Literal["customer-tools"]
    target: Literal["primary", "secondary", "additional", "authorized", "unassigned", "all"]
    set_status: Title | None = None
    apply_role: Role | None = None  # the target customers' new role on this loan
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
# live: the rule changes loans; shadow: it runs wherever a live rule runs and only audits what it would have done
RuleMode = Literal["live", "shadow"]
MAX_EXAMPLES = 50
ExampleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), STRICT]
VariableName = Annotated[str, StringConstraints(min_length=1, max_length=100), STRICT]


class RuleExample(Request):
    """A rule test (docs/rules.md#rule-tests): variable values and whether the criteria must match them."""

    name: ExampleName
    variables: Annotated[dict[VariableName, Any], Field(max_length=200)]
    matches: StrictBool


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
    mode: RuleMode = "live"
    examples: Annotated[list[RuleExample], Field(max_length=MAX_EXAMPLES)] = []


class RuleUpdate(Request):
    name: RuleName | None = None
    active: StrictBool | None = None
    criteria: Criteria | None = None
    actions: Annotated[list[Action], Field(min_length=1, max_length=20)] | None = None
    eval_daily: StrictBool | None = None
    eval_real_time: StrictBool | None = None
    add_to_new_loans: StrictBool | None = None
    preactivation: StrictBool | None = None
    mode: RuleMode | None = None
    examples: Annotated[list[RuleExample], Field(max_length=MAX_EXAMPLES)] | None = None
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
    mode: RuleMode = "live"  # rules saved before shadow mode are live
    examples: list[RuleExample] = []
    order: int
    variables: list[str] = []
    version: int
    created_at: datetime
    updated_at: datetime


class RuleSaved(Rule):
    """A rule as POST /rules and PUT /rules/{id} answer it: with what its criteria names that the tenant does
    not have (docs/rules.md#label-warnings). GET answers the rule alone."""

    warnings: list[RuleProblem] = []
    findings: list[Finding] = []  # what the rulebook analysis finds that this save introduced


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
    type: Literal["force", "backtest"]
    rule_id: str | None = None  # a force job's rule
    state: Literal["queued", "running", "completed", "failed"]
    loans_total: int | None
    loans_done: int
    loans_matched: int
    loans_failed: int
    failures: list[JobFailure] = []
    created_at: datetime
    finished_at: datetime | None = None
    # a backtest job, once completed: its answer, as POST /rules/backtest gives it (BacktestResult)
    result: dict[str, Any] | None = None


class ForceResult(Entity):
    matched: bool
    actions_applied: list[dict[str, Any]]
    would_apply: list[dict[str, Any]] | None = None  # a shadow rule: what it would have applied
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
    # a shadow rule (mode "shadow") matched: the actions it would have applied; it applied none
    would_apply: list[dict[str, Any]] | None = None
    # notify actions: [{webhookId, variables}] kept with the entry for the events function, never shown
    notifications: SkipJsonSchema[list[dict[str, Any]] | None] = Field(default=None, exclude=True)
