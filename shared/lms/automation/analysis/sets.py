"""The rulebook analysis, what rules set (lms.automation.analysis): each field a rule's actions set to a definite
value, compared between rules for conflicts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...contract import (
    AccountToolsAction,
    AmountSpec,
    BankruptcyAction,
    CustomerToolsAction,
    LoanChecklistAction,
    LoanSettingsAction,
    Rule,
    StopInterestAction,
)
from ..actions import SETTING_OPTIONS
from .writes import BANKRUPTCY_FIELDS, to_snake

FieldKey = tuple[Any, ...]


@dataclass(frozen=True)
class Setting:
    variable: str  # how a finding names it
    value: Any  # compared between rules
    words: str  # what the rule does, for the why


def _shown(value: Any) -> str:
    if isinstance(value, AmountSpec):
        return f"{value.base}{' ' + format(value.plus, 'f') if value.plus else ''}"
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value, default=str)


def rule_sets(rule: Rule) -> dict[FieldKey, Setting]:  # noqa: C901 - one case per action type
    """Each field the rule's actions set to a definite value, the last action winning."""
    sets: dict[FieldKey, Setting] = {}
    for action in rule.actions:
        if isinstance(action, LoanSettingsAction):
            if action.loan_status:
                status = action.loan_status
                sets[("loan-status",)] = Setting("loan-status", status, f"sets loan-status {_shown(status)}")
            if action.loan_status or action.loan_sub_status:  # a status without a sub-status clears it
                sub = action.loan_sub_status
                words = f"sets loan-sub-status {_shown(sub)}" if sub else "clears loan-sub-status"
                sets[("loan-sub-status",)] = Setting("loan-sub-status", sub, words)
            if action.credit_status:
                credit = action.credit_status
                sets[("credit-status",)] = Setting("credit-status", credit, f"sets credit-status {_shown(credit)}")
            for name, titles, value in (
                ("portfolios", action.add_portfolios, True),
                ("portfolios", action.remove_portfolios, False),
                ("sub-portfolios", action.add_sub_portfolios, True),
                ("sub-portfolios", action.remove_sub_portfolios, False),
            ):
                for t in titles:
                    words = f"{'adds' if value else 'removes'} {_shown(t)} {'to' if value else 'from'} {name}"
                    sets[(name, t.casefold())] = Setting(name, value, words)
            for custom, given in action.custom_fields.items():
                shown = _shown(given)
                sets[("custom-fields", custom)] = Setting(
                    "custom-fields", shown, f"sets custom field {_shown(custom)} {shown}"
                )
            for option in sorted(_SETTING_OPTIONS):
                setting = getattr(action, option)
                if setting is not None:
                    camel = _camel(option)
                    sets[("setting", camel)] = Setting(camel, setting, f"sets {camel} {_shown(setting)}")
            for camel in action.set_null:
                sets[("setting", camel)] = Setting(camel, None, f"clears {camel}")
        elif isinstance(action, AccountToolsAction) and action.operation != "archive":
            active = action.operation == "activate"
            sets[("loan-active",)] = Setting(
                "loan-active", active, f"{'activates' if active else 'inactivates'} the loan"
            )
        elif isinstance(action, StopInterestAction):
            stop = action.mode == "suspend"
            sets[("interest-stopped",)] = Setting("interest-stopped", stop, f"{action.mode}s interest")
        elif isinstance(action, CustomerToolsAction):
            roles = _ROLES if action.target == "all" else (action.target,)
            for role in roles:
                variable = f"customer.{role}.status" if role in ("primary", "secondary") else "customer-statuses"
                if action.set_status:
                    words = f"sets the {role} customer's status {_shown(action.set_status)}"
                    sets[("customer-status", role)] = Setting(variable, action.set_status, words)
                if action.apply_role is not None:
                    words = f"gives the {role} customer the role {_shown(action.apply_role.value)}"
                    sets[("customer-role", role)] = Setting(f"customer.{role}", action.apply_role.value, words)
        elif isinstance(action, LoanChecklistAction):
            for t in action.check:
                sets[("checklist", t.casefold())] = Setting("checklist", True, f"checks {_shown(t)}")
            for t in action.uncheck:
                sets[("checklist", t.casefold())] = Setting("checklist", False, f"unchecks {_shown(t)}")
        elif isinstance(action, BankruptcyAction):
            for name, variable in BANKRUPTCY_FIELDS.items():
                value = getattr(action, name)
                if value is not None:
                    sets[("bankruptcy", name)] = Setting(variable, value, f"sets {variable} {_shown(value)}")
            for camel in action.set_null:
                variable = BANKRUPTCY_FIELDS[to_snake(camel)]
                sets[("bankruptcy", to_snake(camel))] = Setting(variable, None, f"clears {variable}")
    return sets


_ROLES = ("primary", "secondary", "additional", "authorized", "unassigned")
_SETTING_OPTIONS = {*SETTING_OPTIONS, "autopay"}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)
