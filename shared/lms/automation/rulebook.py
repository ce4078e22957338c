"""Rules (docs/rules.md#rule-settings): create, read, edit (each edit a new version), delete, tenant order.

A rule's criteria are checked and compiled when it is saved; its actions' labels must exist in the
tenant's settings. Enrollment is derived, never fanned out: a loan is enrolled in a rule when the
loan existed when the rule was created or the rule has `addToNewLoans`, unless the loan opted out.
"""

from __future__ import annotations

from typing import Any

from ..clock import utc_now
from ..contract import (
    CustomerToolsAction,
    Finding,
    LoanChecklistAction,
    LoanSettingsAction,
    Page,
    Rule,
    RulebookAnalysis,
    RuleCreate,
    RuleOrder,
    RuleSaved,
    RuleUpdate,
)
from ..errors import Conflict, DomainError, Invalid, NotFound
from ..ids import new_id, well_formed
from ..labels import Labels
from ..labels import load as load_labels
from ..rules import RuleInvalid, compile_rule
from ..rules.errors import RuleError
from ..store import rules as store
from ..store import webhooks as webhook_store
from ..store.errors import StaleWrite, check_version, update_versioned
from . import examples
from .analysis import introduced, report
from .warnings import label_warnings

MAX_RULES = 500


def _criteria(text: str) -> list[str]:
    """The variables the criteria reads; 422 with every problem's line, column, message and hint."""
    try:
        return list(compile_rule(text).variables)
    except RuleInvalid as invalid:
        raise Invalid(f"the criteria is not a valid rule: {invalid}", [e.as_detail() for e in invalid.errors]) from None


def _at(index: int, error: DomainError) -> Invalid:
    details = [{**d, "field": f"actions[{index}].{d.get('field', '')}".rstrip(".")} for d in error.details] or [
        {"field": f"actions[{index}]", "message": error.message}
    ]
    return Invalid(f"actions[{index}]: {error.message}", details)


def check_actions(actions: list[Any], labels: Labels) -> list[Any]:
    """Every title an action names must exist (statuses, portfolios, checklist items); canonical titles back."""
    checked = []
    for index, action in enumerate(actions):
        try:
            if isinstance(action, LoanSettingsAction):
                update: dict[str, Any] = {}
                if action.loan_status:
                    update["loan_status"], update["loan_sub_status"] = labels.loan_status(
                        action.loan_status, action.loan_sub_status
                    )
                elif action.loan_sub_status and not any(
                    s.title.casefold() == action.loan_sub_status.casefold()
                    for status in labels.loan_statuses.values()
                    for s in status.sub_statuses
                ):
                    raise Invalid(
                        f"no loan status has a sub-status {action.loan_sub_status!r}",
                        [{"field": "loanSubStatus", "message": "unknown sub-status"}],
                    )
                for name in ("add_portfolios", "remove_portfolios"):
                    update[name] = labels.portfolio_titles(getattr(action, name))
                subs = {s.casefold() for p in labels.portfolios.values() for s in p.sub_portfolios}
                for name in ("add_sub_portfolios", "remove_sub_portfolios"):
                    unknown = [t for t in getattr(action, name) if t.casefold() not in subs]
                    if unknown:
                        raise Invalid(
                            f"unknown sub-portfolio {unknown[0]!r}", [{"field": "subPortfolios", "message": "unknown"}]
                        )
                action = action.model_copy(update=update)
            elif isinstance(action, LoanChecklistAction):
                action = action.model_copy(
                    update={
                        "check": labels.checklist_titles(action.check),
                        "uncheck": labels.checklist_titles(action.uncheck),
                    }
                )
            elif isinstance(action, CustomerToolsAction) and action.set_status:
                action = action.model_copy(update={"set_status": labels.customer_status(action.set_status)})
        except Invalid as error:
            raise _at(index, error) from None
        checked.append(action)
    return checked


def _webhook_exists(tenant_id: str, webhook_id: str) -> bool:
    return well_formed("whk", webhook_id) and webhook_store.get(tenant_id, webhook_id) is not None


def check_webhooks(tenant_id: str, actions: list[Any]) -> None:
    """A notify action's webhook must exist (deleting it later drops the notifications, logged)."""
    for index, action in enumerate(actions):
        if action.type == "notify" and not _webhook_exists(tenant_id, action.webhook_id):
            raise Invalid(
                f"actions[{index}]: no webhook {action.webhook_id!r} (POST /webhooks makes one)",
                [{"field": f"actions[{index}].webhookId", "message": "unknown webhook"}],
            )


def _rule(tenant_id: str, rule_id: str) -> Rule:
    rule = store.get(tenant_id, rule_id) if well_formed("rul", rule_id) else None
    if rule is None:
        raise NotFound("rule not found")
    return rule


def create(tenant_id: str, request: RuleCreate) -> Rule:
    variables = _criteria(request.criteria)
    examples.check(request.criteria, request.examples)
    actions = check_actions(request.actions, load_labels(tenant_id))
    check_webhooks(tenant_id, actions)
    existing = store.every(tenant_id)
    if len(existing) >= MAX_RULES:
        raise Invalid(f"a tenant has at most {MAX_RULES} rules")
    now = utc_now()
    rule = Rule.model_validate(
        {
            **request.model_dump(mode="python", by_alias=False),
            "actions": actions,
            "id": new_id("rul"),
            "order": max((r.order for r in existing), default=0) + 1,
            "variables": variables,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
    )
    return store.create(tenant_id, rule)


def get(tenant_id: str, rule_id: str) -> Rule:
    return _rule(tenant_id, rule_id)


def get_version(tenant_id: str, rule_id: str, version: int) -> Rule | None:
    return store.version(tenant_id, rule_id, version)


def versions(tenant_id: str, rule_id: str, limit: int, cursor: str | None) -> Page[Rule]:
    """Every saved version of a rule, newest first; a deleted rule's versions are still there."""
    items, next_cursor = (
        store.versions(tenant_id, rule_id, limit, cursor) if well_formed("rul", rule_id) else ([], None)
    )
    if not items and cursor is None:
        raise NotFound("no such rule")
    return Page[Rule](items=items, next_cursor=next_cursor)


def every(tenant_id: str) -> list[Rule]:
    return store.every(tenant_id)


def page(tenant_id: str, limit: int, cursor: str | None) -> Page[Rule]:
    items, next_cursor = store.page(tenant_id, limit, cursor)
    return Page[Rule](items=items, next_cursor=next_cursor)


def update(tenant_id: str, rule_id: str, request: RuleUpdate, if_match: int | None) -> Rule:
    """A partial update; every save is a new version. A stale version answers 409."""
    expected = request.version if request.version is not None else if_match
    changes = {
        k: v for k, v in request.model_dump(mode="python", by_alias=False, exclude_unset=True).items() if k != "version"
    }
    for name, value in changes.items():
        if value is None:
            raise Invalid(f"{name} cannot be null", [{"field": name, "message": "cannot be null"}])
    if "criteria" in changes:
        changes["variables"] = _criteria(changes["criteria"])
    if "examples" in changes:
        changes["examples"] = request.examples  # the models, not their dump
    if "actions" in changes:
        changes["actions"] = check_actions(request.actions or [], load_labels(tenant_id))
        check_webhooks(tenant_id, changes["actions"])

    def attempt() -> Rule:
        current = _rule(tenant_id, rule_id)
        check_version("rule", current.version, expected)
        if not changes:
            return current
        updated = current.model_copy(update={**changes, "updated_at": utc_now()})
        if "criteria" in changes or "examples" in changes:
            examples.check(updated.criteria, updated.examples)
        return store.save(tenant_id, Rule.model_validate(updated.model_dump()), current)

    return update_versioned("rule", expected, attempt)


def delete(tenant_id: str, rule_id: str) -> None:
    update_versioned("rule", None, lambda: store.delete(tenant_id, _rule(tenant_id, rule_id)))


def reorder(tenant_id: str, request: RuleOrder) -> list[Rule]:
    """The tenant's rules in the order given; every rule must be listed exactly once."""
    current = {r.id: r for r in store.every(tenant_id)}
    if sorted(request.rule_ids) != sorted(current) or len(set(request.rule_ids)) != len(request.rule_ids):
        raise Invalid(
            "ruleIds must list every rule of the tenant exactly once",
            [{"field": "ruleIds", "message": f"the tenant has {len(current)} rules"}],
        )
    moved = [
        (current[rid].model_copy(update={"order": position, "updated_at": utc_now()}), current[rid])
        for position, rid in enumerate(request.rule_ids, start=1)
        if current[rid].order != position
    ]
    try:
        for start in range(0, len(moved), 50):
            store.save_many(tenant_id, moved[start : start + 50])
    except StaleWrite:
        raise Conflict("a rule changed while reordering: try again") from None
    return store.every(tenant_id)


def saved(tenant_id: str, rule: Rule) -> RuleSaved:
    """A saved rule as POST /rules and PUT /rules/{id} answer it: with its label warnings and the findings of
    the rulebook analysis that the save introduced (against the rulebook with the rule's previous version in
    its place, or without it when new)."""
    labels = load_labels(tenant_id)
    after = store.every(tenant_id)
    previous = store.version(tenant_id, rule.id, rule.version - 1) if rule.version > 1 else None
    before: list[Rule] = []
    for other in after:
        if other.id != rule.id:
            before.append(other)
        elif previous is not None:
            before.append(previous)
    found = introduced(before, after, labels)  # a failing example refused the save: none to add
    return RuleSaved.model_validate(
        {
            **rule.model_dump(),
            "warnings": [vars(w) for w in label_warnings(labels, rule.criteria)],
            "findings": [f for f in found if f.kind != "unknown-label"],  # those are the warnings above
        }
    )


def analysis(tenant_id: str) -> RulebookAnalysis:
    """GET /rules/analysis: the static analysis of the tenant's rules (lms.automation.analysis), with their
    examples run."""
    rules = store.every(tenant_id)
    found = report(rules, load_labels(tenant_id))
    return found.model_copy(update={"findings": found.findings + _failing_examples(rules)})


def _failing_examples(rules: list[Rule]) -> list[Finding]:
    return [
        Finding(
            kind="failing-example",
            rule_ids=[rule.id],
            variables=[],
            why=f"rule {rule.name!r}: example {f['example']!r} {f['message']}",
        )
        for rule in rules
        for f in examples.failures(rule.criteria, rule.examples)
    ]


def warnings(tenant_id: str, criteria: str) -> list[RuleError]:
    """What the criteria names that the tenant has no label for (lms.automation.warnings)."""
    return label_warnings(load_labels(tenant_id), criteria)
