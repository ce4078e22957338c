"""Rule actions (docs/rules.md#actions), applied in order to one loan's in-memory state.

Nothing here writes: a `Run` collects the loan's new state, new transactions, customer changes and
notifications, and the engine writes them. An action that cannot apply to this loan (an unknown
sub-status for its status, apd-reset with nothing past due) is skipped or raises ActionError,
which the engine records as that rule's error for that loan.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from pydantic.alias_generators import to_camel, to_snake

from .. import loans
from ..clock import utc_now
from ..contract import (
    AccountToolsAction,
    AmountSpec,
    ApdResetAction,
    BankruptcyAction,
    ChangeDueDateAction,
    CreditAction,
    Customer,
    CustomerToolsAction,
    DueDateShift,
    LateFeePeriod,
    Loan,
    LoanChecklistAction,
    LoanCustomer,
    LoanSettings,
    LoanSettingsAction,
    NotifyAction,
    Role,
    StopInterestAction,
)
from ..errors import Invalid
from ..servicing import Terms, plan
from .context import shown
from .run import ActionError, Run

ZERO = Decimal("0.00")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{7,20}$")


def _labels_error(error: Invalid) -> ActionError:
    return ActionError(error.message)


def loan_settings(run: Run, action: LoanSettingsAction) -> dict[str, Any]:
    loan = run.loan
    changes = {**_status_changes(run, action), **_portfolio_changes(run, action)}
    if action.credit_status and action.credit_status != loan.credit_status:
        changes["credit_status"] = action.credit_status
    fields = dict(loan.custom_fields)
    for name, value in action.custom_fields.items():
        fields[name] = run.amount(value) if isinstance(value, AmountSpec) else value
    fields = {k: v for k, v in fields.items() if v is not None}
    if fields != loan.custom_fields:
        changes["custom_fields"] = fields
    settings = _settings(run, action)
    if settings != loan.settings:
        changes["settings"] = settings
    autopay = _autopay(loan.autopay, action.autopay)
    if autopay != loan.autopay:
        changes["autopay"] = autopay
    if changes:
        run.loan = loan.model_copy(update={**changes, "updated_at": utc_now()})
        if "loan_status" in changes and run.loan.active:
            run.loan = loans.late_fee_change(run.loan, run.today, run.labels)
    shown = {to_camel(name): _shown(value) for name, value in changes.items() if name not in ("settings", "autopay")}
    if "settings" in changes:
        shown["settings"] = changes["settings"].model_dump(mode="json", by_alias=True)
    if "autopay" in changes:
        shown["autopay"] = action.autopay
    return shown


SETTING_OPTIONS = (  # loan-settings options that set a field of loan.settings as given
    "credit_bureau",
    "reporting_type",
    "ecoa_primary",
    "ecoa_secondary",
    "e_billing",
    "repossession_date",
    "closed_date",
    "liquidation_date",
    "merchant_processor_group",
    "agent",
)


def _settings(run: Run, action: LoanSettingsAction) -> LoanSettings:
    """The loan's settings after the action: the options given ("today" is the day the rule applies),
    then those set_null clears."""
    update: dict[str, Any] = {}
    for name in SETTING_OPTIONS:
        value = getattr(action, name)
        if value is not None:
            update[name] = run.today if value == "today" else value
    for camel in action.set_null:
        update[to_snake(camel)] = None
    return run.loan.settings.model_copy(update=update) if update else run.loan.settings


def _autopay(autopay: dict[str, Any] | None, option: str | None) -> dict[str, Any] | None:
    """AutoPay suspended or continued: a suspended AutoPay collects nothing until it is continued."""
    if autopay is None or option is None or autopay.get("suspended", False) == (option == "suspend"):
        return autopay
    return {**autopay, "suspended": option == "suspend", "updatedAt": utc_now().isoformat()}


def _status_changes(run: Run, action: LoanSettingsAction) -> dict[str, Any]:
    loan = run.loan
    changes: dict[str, Any] = {}
    try:
        if action.loan_status or action.loan_sub_status:
            status, sub = run.labels.loan_status(
                action.loan_status or loan.loan_status,
                action.loan_sub_status
                if action.loan_sub_status
                else (None if action.loan_status else loan.loan_sub_status),
            )
            if (status, sub) != (loan.loan_status, loan.loan_sub_status):
                changes["loan_status"], changes["loan_sub_status"] = status, sub
    except Invalid as error:
        raise _labels_error(error) from None
    return changes


def _portfolio_changes(run: Run, action: LoanSettingsAction) -> dict[str, Any]:
    """Portfolios and sub-portfolios after the action (a removed portfolio takes its sub-portfolios)."""
    loan = run.loan
    changes: dict[str, Any] = {}
    portfolios = [p for p in loan.portfolios if p.casefold() not in {r.casefold() for r in action.remove_portfolios}]
    portfolios += [p for p in action.add_portfolios if p.casefold() not in {x.casefold() for x in portfolios}]
    if portfolios != loan.portfolios:
        changes["portfolios"] = portfolios
    subs = [s for s in loan.sub_portfolios if s.casefold() not in {r.casefold() for r in action.remove_sub_portfolios}]
    allowed = {
        s.casefold(): s
        for p in portfolios
        if p.casefold() in run.labels.portfolios
        for s in run.labels.portfolios[p.casefold()].sub_portfolios
    }
    for title in action.add_sub_portfolios:
        if title.casefold() not in allowed:
            raise ActionError(f"{title!r} is not a sub-portfolio of the loan's portfolios")
        if title.casefold() not in {x.casefold() for x in subs}:
            subs.append(allowed[title.casefold()])
    subs = [s for s in subs if s.casefold() in allowed]  # a removed portfolio takes its sub-portfolios
    if subs != loan.sub_portfolios:
        changes["sub_portfolios"] = subs
    return changes


def _shown(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    return value


def account_tools(run: Run, action: AccountToolsAction) -> dict[str, Any]:
    loan = run.loan
    if action.operation == "activate":
        if loan.active:
            return {}
        status, sub = run.labels.loan_status("Open", "Repaying")
        run.loan = loan.model_copy(
            update={
                "active": True,
                "activated_at": utc_now(),
                "loan_status": status,
                "loan_sub_status": sub,
                "late_fee_history": [
                    LateFeePeriod(since=loan.setup.contract_date, allowed=run.labels.late_fees(status, sub))
                ],
            }
        )
        run.recompute()
        return {"active": True}
    if action.operation == "inactivate":
        run.loan = loan.model_copy(update={"active": False})
        return {"active": False} if loan.active else {}
    # archive; delete: rules never hard-delete a loan: it is archived and inactivated (README).
    update = {"archived": True} if action.operation == "archive" else {"archived": True, "active": False}
    run.loan = loan.model_copy(update=update)
    return {k: v for k, v in update.items() if getattr(loan, k) != v}


def apd_reset(run: Run, action: ApdResetAction) -> dict[str, Any]:
    past_due = run.loan.values.amount_past_due
    target = action.amount if action.adjustment != "zero" and action.amount is not None else ZERO
    if past_due <= 0 or past_due <= target:
        return {}  # only when something is past due (and more than the amount to leave)
    day = run.today + timedelta(days=action.days_from_applied)
    tx = run.post("apd-reset", past_due - target, day, keeps_days_past_due=not action.reset_days_past_due)
    return {"transactionId": tx.id, "amount": f"{tx.amount:f}", "date": tx.date.isoformat()}


def bankruptcy(run: Run, action: BankruptcyAction) -> dict[str, Any]:
    current = run.loan.bankruptcy
    if not current or not current.get("active", True):
        return {}  # only the active bankruptcy; never creates one
    fields = action.model_dump(mode="json", by_alias=True, exclude={"type", "set_null"}, exclude_none=True)
    updated = {**current, **fields}
    for name in action.set_null:
        updated[name] = None
    if updated == current:
        return {}
    run.loan = run.loan.model_copy(update={"bankruptcy": updated})
    return {"bankruptcy": updated}


def change_due_date(run: Run, action: ChangeDueDateAction) -> dict[str, Any]:
    loan = run.loan
    schedule = plan(Terms.of(loan.setup)).rows
    if action.due_date == "recent":
        chosen = [row for row in schedule if row.due_date < run.today][-1:]
    else:
        chosen = [row for row in schedule if row.due_date >= run.today][:1]
    if not chosen:
        return {}
    row = chosen[0]
    if action.shift_days is not None:
        days = action.shift_days
    elif action.new_due_date is not None:
        days = (action.new_due_date - row.due_date).days
    else:
        return {}  # the contract asks for one of the two
    if days == 0:
        return {}
    earlier = schedule[row.number - 2].due_date if row.number > 1 else loan.setup.contract_date
    # The next due date stays today or later; a recent one may stay in the past, after the one before it.
    floor = max(earlier, run.today - timedelta(days=1)) if action.due_date == "next" else earlier
    if row.due_date + timedelta(days=days) <= floor:
        raise ActionError(
            f"the {action.due_date} due date {row.due_date} cannot move {days} days: it would pass the one before it"
            + (" or today" if action.due_date == "next" else "")
        )
    shifts = [*loan.setup.due_date_shifts, DueDateShift(from_installment=row.number, days=days)]
    run.loan = loan.model_copy(update={"setup": loan.setup.model_copy(update={"due_date_shifts": shifts})})
    applied: dict[str, Any] = {
        "installment": row.number,
        "from": row.due_date.isoformat(),
        "to": (row.due_date + timedelta(days=days)).isoformat(),
    }
    if action.charge_fee:
        applied["feeTransactionId"] = run.post("charge", action.charge_fee, title="Due date change fee").id
    else:
        run.recompute()
    return applied


def credit(run: Run, action: CreditAction) -> dict[str, Any]:
    values = run.loan.values
    owed = {"fees": values.due_fees, "interest": values.interest_accrued, "principal": values.principal_balance}
    amount = min(
        run.amount(action.amount), sum((owed[b] for b in action.apply_to), ZERO) if action.apply_to else values.payoff
    )
    applied: dict[str, Any] = {}
    if amount > 0:
        tx = run.post(
            "credit", amount, category=action.category, charge_off=action.charge_off, apply_to=action.apply_to
        )
        applied.update({"transactionId": tx.id, "amount": f"{amount:f}", "chargeOff": action.charge_off})
    elif action.charge_off and not run.loan.charged_off:
        tx = run.post("credit", ZERO, category=action.category, charge_off=True)
        applied.update({"transactionId": tx.id, "amount": "0.00", "chargeOff": True})
    if action.reset_past_due and run.loan.values.amount_past_due > 0:
        applied["apdReset"] = apd_reset(run, ApdResetAction(type="apd-reset", adjustment="zero"))
    return applied


def _check_customer(customer: Customer) -> dict[str, Any]:
    address = customer.address.model_dump(mode="json") if customer.address else {}
    return {
        "email": customer.email is not None and bool(_EMAIL.match(customer.email)),
        "phone": customer.phone is not None and bool(_PHONE.match(customer.phone)),
        "address": bool(address)
        and all(address.get(k) for k in ("line1", "city", "postalCode", "country") if k in address),
    }


def customer_tools(run: Run, action: CustomerToolsAction) -> dict[str, Any]:
    targets = [
        link.customer_id for link in run.loan.customers if action.target == "all" or link.role.value == action.target
    ]
    applied: dict[str, Any] = {}
    if action.apply_role is not None:
        applied.update(_apply_role(run, targets, action.apply_role))
    for customer_id in targets:
        customer = run.customers.get(customer_id)
        if customer is None:
            continue
        done: dict[str, Any] = {}
        if action.set_status and customer.status != action.set_status:
            run.customer_changes.setdefault(customer_id, {})["status"] = action.set_status
            run.customers[customer_id] = customer.model_copy(update={"status": action.set_status})
            done["status"] = action.set_status
        if action.validate_:
            done["validation"] = _check_customer(customer)
        if done:
            applied[customer_id] = {**applied.get(customer_id, {}), **done}
    return applied


def _apply_role(run: Run, targets: list[str], role: Role) -> dict[str, Any]:
    """Customer Tools' apply role: the target customers take `role` on this loan (checked once the rule's
    actions are done, by check_roles: a rule may swap two customers' roles in two actions)."""
    chosen = set(targets)
    links = [
        LoanCustomer(customer_id=c.customer_id, role=role) if c.customer_id in chosen else c for c in run.loan.customers
    ]
    if links == run.loan.customers:
        return {}
    before = {c.customer_id: c.role for c in run.loan.customers}
    run.loan = run.loan.model_copy(update={"customers": links})
    return {c: {"role": role.value} for c in targets if before[c] != role}


def check_roles(run: Run, before: Loan) -> None:
    """After a rule's actions: the loan's customers are still valid (one primary, at most one secondary)."""
    if run.loan.customers != before.customers:
        try:
            loans.check_customers(run.loan.customers)
        except Invalid as error:
            raise ActionError(f"the customers' new roles are not valid: {error.message}") from None


def loan_checklist(run: Run, action: LoanChecklistAction) -> dict[str, Any]:
    removed = {t.casefold() for t in action.uncheck}
    checklist = [t for t in run.loan.checklist if t.casefold() not in removed]
    checklist += [t for t in action.check if t.casefold() not in {c.casefold() for c in checklist}]
    if checklist == run.loan.checklist:
        return {}
    run.loan = run.loan.model_copy(update={"checklist": checklist})
    return {"checklist": checklist}


def stop_interest(run: Run, action: StopInterestAction) -> dict[str, Any]:
    day = run.today + timedelta(days=action.days_from_applied)
    suspend = action.mode == "suspend"
    if action.days_from_applied == 0 and run.loan.interest_stopped == suspend:
        return {}
    tx = run.post("stop-interest" if suspend else "resume-interest", ZERO, day)
    return {"transactionId": tx.id, "mode": action.mode, "from": day.isoformat()}  # no interest for that day on


def notify(run: Run, action: NotifyAction) -> dict[str, Any]:
    """A trigger-based notification: the loan's variables as this action sees them travel with the audit
    entry (written with the loan's change), and the events function queues the delivery from it."""
    variables = {name: shown(value) for name, value in run.context().items()}
    run.notifications.append({"webhookId": action.webhook_id, "variables": variables})
    return {"webhookId": action.webhook_id, "queued": True}


APPLY: dict[str, Callable[[Run, Any], dict[str, Any]]] = {
    "loan-settings": loan_settings,
    "account-tools": account_tools,
    "apd-reset": apd_reset,
    "bankruptcy": bankruptcy,
    "change-due-date": change_due_date,
    "credit": credit,
    "customer-tools": customer_tools,
    "loan-checklist": loan_checklist,
    "stop-interest": stop_interest,
    "notify": notify,
}


def apply_action(run: Run, action: Any) -> dict[str, Any]:
    """Applies one action; what it changed (empty when it had nothing to do)."""
    return APPLY[action.type](run, action)
