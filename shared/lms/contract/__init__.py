"""The HTTP contract's models: what requests may carry and what responses show, by noun.

The same models validate requests and generate GET /openapi.json. Requests refuse unknown fields;
responses are mapped from the store explicitly, never from a database item. `lms.contract.X` names
every model; the modules group them (base, settings, customers, loans, transactions, rules, backtest,
analysis, webhooks).

A module is imported the first time one of its names is asked for (`from lms.contract import Loan` loads
contract.loans and what it needs, not the webhooks' or the backtest's models), and pydantic builds a model's
validator when it is first used (defer_build): a function's cold start pays for the models it uses only.
"""

# The imports under TYPE_CHECKING are for mypy only; at run time __getattr__ imports each name on first use.
# ruff: noqa: F401
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analysis import Finding, FindingKind, RulebookAnalysis
    from .autopay import Autopay, AutopayAmount, AutopayMethod, AutopayPut, AutopayResult
    from .backtest import BacktestRequest, BacktestResult
    from .bankruptcies import (
        Bankruptcy,
        BankruptcyCreate,
        BankruptcyUpdate,
        PetitionStatus,
        PetitionType,
    )
    from .base import (
        MAX_CUSTOM_FIELDS,
        MAX_LABELS_ON_ENTITY,
        MULTILINE,
        STRICT,
        Entity,
        ErrorBody,
        ErrorResponse,
        Name,
        Page,
        Request,
        SafeText,
        ShortText,
        T,
        Timezone,
        Title,
    )
    from .customers import (
        BUREAUS,
        Address,
        AddressInput,
        CreditScore,
        CreditScores,
        CreditScoresInput,
        Customer,
        CustomerCreate,
        CustomerType,
        CustomerUpdate,
    )
    from .loans import (
        MAX_LOAN_AMOUNT,
        SETTINGS_FIELDS,
        CustomerLoan,
        CustomFieldValue,
        DueDateShift,
        LateFee,
        LateFeePeriod,
        Loan,
        LoanCreate,
        LoanCustomer,
        LoanSettings,
        LoanSetup,
        LoanUpdate,
        LoanValues,
        PaymentFrequency,
        Role,
    )
    from .rules import (
        MAX_JOB_LOANS,
        AccountToolsAction,
        Action,
        AmountBase,
        AmountSpec,
        ApdResetAction,
        BankruptcyAction,
        ChangeDueDateAction,
        CreditAction,
        Criteria,
        CustomerToolsAction,
        ForceJobRequest,
        ForceRequest,
        ForceResult,
        Job,
        JobFailure,
        JobStarted,
        LoanChecklistAction,
        LoanId,
        LoanSettingsAction,
        MaintenanceRun,
        MaintenanceRunRequest,
        MaintenanceRunStarted,
        NotifyAction,
        PreviewSample,
        Rule,
        RuleApplication,
        RuleCreate,
        RuleExample,
        RuleMode,
        RuleName,
        RuleOrder,
        RulePreview,
        RulePreviewRequest,
        RuleSaved,
        RuleUpdate,
        Snapshot,
        StopInterestAction,
        Strict,
        Titles,
    )
    from .settings import (
        ChecklistItem,
        ChecklistItemCreate,
        ChecklistItemUpdate,
        CustomerStatus,
        CustomerStatusCreate,
        CustomerStatusUpdate,
        DayCount,
        LoanStatus,
        LoanStatusCreate,
        LoanStatusUpdate,
        Portfolio,
        PortfolioCreate,
        PortfolioUpdate,
        RuleProblem,
        RuleText,
        RuleValidation,
        SubStatus,
        SubStatusIn,
        Tenant,
        TenantCreate,
        TenantCreated,
        TenantUpdate,
        Variable,
    )
    from .transactions import (
        Allocation,
        ChargeCreate,
        CreditCreate,
        Label,
        PaymentCreate,
        PositiveMoney,
        ScheduleRow,
        Transaction,
        today_utc,
    )
    from .webhooks import (
        EVENT_TYPES,
        MAX_WEBHOOK_HEADERS,
        BodyTemplate,
        Delivery,
        EventType,
        HeaderName,
        HeaderValue,
        Redelivery,
        Webhook,
        WebhookCreate,
        WebhookCreated,
        WebhookMethod,
        WebhookUpdate,
        WebhookUrl,
    )

# Module -> the names it defines (tests/unit/test_cold_start.py checks them against the imports above).
_MODULES = {
    "analysis": "Finding FindingKind RulebookAnalysis",
    "autopay": "Autopay AutopayAmount AutopayMethod AutopayPut AutopayResult",
    "backtest": "BacktestRequest BacktestResult",
    "bankruptcies": "Bankruptcy BankruptcyCreate BankruptcyUpdate PetitionStatus PetitionType",
    "base": (
        "MAX_CUSTOM_FIELDS MAX_LABELS_ON_ENTITY MULTILINE STRICT Entity ErrorBody ErrorResponse Name Page "
        "Request SafeText ShortText T Timezone Title"
    ),
    "customers": (
        "BUREAUS Address AddressInput CreditScore CreditScores CreditScoresInput Customer CustomerCreate "
        "CustomerType CustomerUpdate"
    ),
    "loans": (
        "MAX_LOAN_AMOUNT SETTINGS_FIELDS CustomerLoan CustomFieldValue DueDateShift LateFee LateFeePeriod "
        "Loan LoanCreate LoanCustomer LoanSettings LoanSetup LoanUpdate LoanValues PaymentFrequency Role"
    ),
    "rules": (
        "MAX_JOB_LOANS AccountToolsAction Action AmountBase AmountSpec ApdResetAction BankruptcyAction "
        "ChangeDueDateAction CreditAction Criteria CustomerToolsAction ForceJobRequest ForceRequest "
        "ForceResult Job JobFailure JobStarted LoanChecklistAction LoanId LoanSettingsAction MaintenanceRun "
        "MaintenanceRunRequest MaintenanceRunStarted NotifyAction PreviewSample Rule RuleApplication "
        "RuleCreate RuleExample RuleMode RuleName RuleOrder RulePreview RulePreviewRequest RuleSaved "
        "RuleUpdate Snapshot StopInterestAction Strict Titles"
    ),
    "settings": (
        "ChecklistItem ChecklistItemCreate ChecklistItemUpdate CustomerStatus CustomerStatusCreate "
        "CustomerStatusUpdate DayCount LoanStatus LoanStatusCreate LoanStatusUpdate Portfolio PortfolioCreate "
        "PortfolioUpdate RuleProblem RuleText RuleValidation SubStatus SubStatusIn Tenant TenantCreate "
        "TenantCreated TenantUpdate Variable"
    ),
    "transactions": (
        "Allocation ChargeCreate CreditCreate Label PaymentCreate PositiveMoney ScheduleRow Transaction today_utc"
    ),
    "webhooks": (
        "EVENT_TYPES MAX_WEBHOOK_HEADERS BodyTemplate Delivery EventType HeaderName HeaderValue Redelivery "
        "Webhook WebhookCreate WebhookCreated WebhookMethod WebhookUpdate WebhookUrl"
    ),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names.split()}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # found directly from now on
    return value
