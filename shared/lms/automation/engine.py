"""Running rules on a loan (docs/rules.md#when-rules-run): which rules apply, in tenant order, each seeing the
changes of the ones before; criteria evaluated once per run; actions applied in order; every match
and every error written to the loan's audit log, with the loan's new state, in one transaction.

A run reads the loan, evaluates, and writes at the loan's version. When the loan changed meanwhile
(an API PUT, another rule run), the run re-reads and re-evaluates: neither change is lost.

Cascades: a loan written by a rule run carries `cascade` (its id, depth and the rules applied);
the stream record of that write starts the next run at depth + 1, which skips the rules already
applied in the cascade (a rule never applies twice to a loan in one cascade) and stops at depth 5,
recording why. A write through the API starts a new cascade.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from aws_lambda_powertools import Logger

from .. import loans, measures, tracing
from ..clock import utc_now
from ..contract import ForceResult, Loan, Page, Rule, RuleApplication
from ..errors import Conflict, NotFound
from ..ids import new_id, well_formed
from ..labels import Labels
from ..labels import load as load_labels
from ..rules import compile_rule
from ..store import audit as audit_store
from ..store import customers as customer_store
from ..store import transactions as transaction_store
from ..store.customers import replace as replace_customer
from ..store.errors import StaleWrite
from ..tenancy import business_date, get_tenant
from .actions import apply_action, check_roles
from .context import shown
from .rulebook import every as every_rule
from .run import ActionError, Run

logger = Logger(child=True)

MAX_DEPTH = 5
_ATTEMPTS = 5


@dataclass
class Evaluation:
    rule: Rule
    matched: bool
    variables: dict[str, Any]
    applied: list[dict[str, Any]]
    error: str | None = None
    notifications: list[dict[str, Any]] = field(default_factory=list)  # notify actions: webhook and variables
    would_apply: list[dict[str, Any]] | None = None  # a shadow rule that matched: what it would have applied

    @property
    def shadow(self) -> bool:
        return self.rule.mode == "shadow"

    @property
    def applied_live(self) -> bool:
        """A live rule matched and applied its actions (a shadow rule never does)."""
        return self.matched and not self.shadow


@dataclass
class RunOutcome:
    """What one run did to one loan."""

    loan: Loan | None
    evaluations: list[Evaluation] = field(default_factory=list)
    skipped: str | None = None  # why nothing ran (handled before, cascade too deep, no such loan)
    before: dict[str, Any] | None = None  # handled before: what that run found ({"matched", "failed"})


def enrolled(rule: Rule, loan: Loan) -> bool:
    """Existing loans when the rule was created, later ones with addToNewLoans; never an opted-out loan."""
    if rule.id in loan.rule_opt_outs:
        return False
    return rule.add_to_new_loans or loan.created_at <= rule.created_at


def runs_on(rule: Rule, trigger: str) -> bool:
    """Whether a rule runs on some loan for this trigger ("daily" or a real-time trigger)."""
    if not rule.active:
        return False
    if rule.preactivation:
        return trigger != "daily"
    return rule.eval_daily if trigger == "daily" else rule.eval_real_time


def applies(rule: Rule, loan: Loan, trigger: str) -> bool:
    """Whether a rule runs on this loan for this trigger."""
    if not runs_on(rule, trigger) or not enrolled(rule, loan):
        return False
    if rule.preactivation:
        return not loan.active
    return loan.active and not loan.archived


@dataclass
class Settings:
    """What every run of one tenant reads besides the loan: labels, rules, today. A batch of stream
    records reads them once (Settings.cached), an API call once per call."""

    labels: Labels
    rules: list[Rule]
    today: date
    utc_today: date | None = None  # the business-date override, when the tenant has one (else (u/today) is UTC's)

    @classmethod
    def read(cls, tenant_id: str) -> Settings:
        tenant = get_tenant(tenant_id)
        return cls(load_labels(tenant_id), every_rule(tenant_id), business_date(tenant), tenant.business_date)

    @classmethod
    def cached(cls, cache: dict[str, Settings] | None, tenant_id: str) -> Settings:
        if cache is None:
            return cls.read(tenant_id)
        if tenant_id not in cache:
            cache[tenant_id] = cls.read(tenant_id)
        return cache[tenant_id]


def needs_customers(rules: list[Rule]) -> bool:
    """Whether any of the rules reads a customer variable or changes a customer."""
    return any(v.startswith("customer") for r in rules for v in r.variables) or any(
        a.type in ("customer-tools", "notify") for r in rules for a in r.actions
    )  # notify sends every variable


def _load(tenant_id: str, loan: Loan, settings: Settings, rules: list[Rule]) -> Run:
    loan_id = loan.id
    customers = (
        customer_store.get_many(tenant_id, [c.customer_id for c in loan.customers]) if needs_customers(rules) else {}
    )
    return Run(
        loan=loan,
        customers=customers,
        labels=settings.labels,
        today=max(settings.today, loan.as_of),
        load_transactions=lambda: transaction_store.every(tenant_id, loan_id),
        utc_today=settings.utc_today,
    )


def evaluate(run: Run, rules: list[Rule]) -> list[Evaluation]:
    """Each rule in turn on the run's loan; a rule whose action fails leaves the loan as it found it. Whatever
    goes wrong in one rule (its criteria, an action, a stored rule that no longer compiles) is that rule's
    error on this loan, recorded in its audit entry: it never stops the other rules, the loan's maintenance,
    a force or a real-time batch."""
    evaluations = []
    for rule in rules:
        try:
            evaluations.append(_evaluate(run, rule))
        except Exception as failure:
            logger.exception("rule could not be evaluated", extra={"rule_id": rule.id, "loan_id": run.loan.id})
            evaluations.append(
                Evaluation(rule, False, {}, [], f"the rule could not be evaluated ({type(failure).__name__})", [])
            )
    return evaluations


def _evaluate(run: Run, rule: Rule) -> Evaluation:
    compiled = compile_rule(rule.criteria)
    context = run.context()
    outcome = compiled.run(context)
    variables = {name: shown(context[name]) for name in compiled.variables}
    applied: list[dict[str, Any]] = []
    error = outcome.error
    sent = len(run.notifications)
    if outcome.matched and rule.mode == "shadow":
        would_apply, error = _shadow(run, rule)
        return Evaluation(rule, error is None, variables, [], error, [], would_apply if error is None else None)
    if outcome.matched:
        saved = (
            run.loan,
            list(run.new_transactions),
            {k: dict(v) for k, v in run.customer_changes.items()},
            dict(run.customers),
            list(run.notifications),
        )
        applied, error = _apply(run, rule)
        if error is not None:  # the loan as the rule found it; the reason in the rule's audit entry
            run.loan, run.new_transactions, run.customer_changes, run.customers, run.notifications = saved
    return Evaluation(
        rule, outcome.matched and error is None, variables, applied, error, list(run.notifications[sent:])
    )


def _trial(run: Run) -> Run:
    """A copy of the run whose actions leave the run itself as it was (the loan is immutable; the rest copied)."""
    trial = replace(
        run,
        new_transactions=list(run.new_transactions),
        customers=dict(run.customers),
        customer_changes={k: dict(v) for k, v in run.customer_changes.items()},
        notifications=list(run.notifications),
    )
    if "transactions" in run.__dict__:  # read already: not again
        trial.__dict__["transactions"] = run.__dict__["transactions"]
    return trial


def _apply(run: Run, rule: Rule) -> tuple[list[dict[str, Any]], str | None]:
    """The rule's actions in order on the run: what each applied, or ([], why one could not) with the run left
    as the failing action found it (the caller puts back what it saved, or drops a trial copy)."""
    before, applied = run.loan, list[dict[str, Any]]()
    try:
        for action in rule.actions:
            applied.append({"type": action.type, **apply_action(run, action)})
        check_roles(run, before)
    except Exception as failure:
        if isinstance(failure, ActionError):
            reason = str(failure)
        else:
            logger.exception("rule action failed", extra={"rule_id": rule.id, "loan_id": run.loan.id})
            reason = f"the {rule.actions[len(applied)].type} action could not be applied ({type(failure).__name__})"
        return [], f"{applied and 'after ' + str(len(applied)) + ' action(s), ' or ''}{reason}"
    return applied, None


def _shadow(run: Run, rule: Rule) -> tuple[list[dict[str, Any]], str | None]:
    """A shadow rule's actions tried on a copy of the run (docs/rules.md#shadow-mode): what they would have
    applied (a credit's transactionId left out: it was made on the copy only), or why they could not; the run,
    its loan, customers and notifications stay as they were."""
    would, error = _apply(_trial(run), rule)
    return [{k: v for k, v in done.items() if k != "transactionId"} for done in would], error


def audit_entries(loan_id: str, evaluations: list[Evaluation], trigger: str, now: datetime) -> list[RuleApplication]:
    return [
        RuleApplication(
            id=new_id("aud"),
            loan_id=loan_id,
            rule_id=e.rule.id,
            rule_version=e.rule.version,
            trigger=trigger,
            time=now,
            matched=e.matched,
            variables=e.variables,
            actions_applied=e.applied,
            error=e.error,
            notifications=e.notifications or None,
            would_apply=e.would_apply,
        )
        for e in evaluations
        if e.matched or e.error
    ]


def _would_change(run: Run, rule: Rule) -> bool:
    """Whether the rule's actions would change anything now (tried on a copy of the run)."""
    trial = _trial(run)
    try:
        return any(apply_action(trial, action) for action in rule.actions)
    except Exception:  # an action that fails changes nothing (evaluate() records why)
        return False


def _not_again(
    run: Run, rules: list[Rule], done: set[str], trigger: str, loan_id: str, now: datetime, depth: int
) -> list[RuleApplication]:
    """Rules of this cascade that would apply again (match, and change something): recorded with
    why they did not, never applied (a rule that merely still matches is a settled rule, not a cycle)."""
    entries = []
    for rule in rules:
        if rule.id in done and applies(rule, run.loan, trigger):
            try:
                compiled = compile_rule(rule.criteria)
                context = run.context()
            except Exception:  # evaluate() recorded what is wrong with this rule on this loan
                continue
            if compiled.run(context).matched and _would_change(run, rule):
                entries.append(
                    _not_applied(
                        loan_id,
                        rule,
                        trigger,
                        now,
                        f"not applied again: the rule already applied to this loan in this "
                        f"cascade (a cycle of rule changes; stopped at depth {depth})",
                        {n: shown(context[n]) for n in compiled.variables},
                    )
                )
    return entries


def _not_applied(
    loan_id: str, rule: Rule, trigger: str, now: datetime, why: str, variables: dict[str, Any] | None = None
) -> RuleApplication:
    """The audit entry of a rule the cascade kept from applying, and why."""
    return RuleApplication(
        id=new_id("aud"),
        loan_id=loan_id,
        rule_id=rule.id,
        rule_version=rule.version,
        trigger=trigger,
        time=now,
        matched=False,
        variables=variables or {},
        actions_applied=[],
        error=why,
    )


def _stop_cascade(
    tenant_id: str, loan_id: str, rule: Rule, trigger: str, trigger_id: str | None, done: set[str], now: datetime
) -> None:
    """The audit entry of a cascade stopped for going too deep (once per trigger)."""
    stop = _not_applied(
        loan_id,
        rule,
        trigger,
        now,
        f"cascade stopped at depth {MAX_DEPTH}: rule changes kept triggering rules "
        f"(applied in this cascade: {', '.join(sorted(done))})",
    )
    try:
        audit_store.commit(tenant_id, None, [], [stop], trigger_id)
    except audit_store.AlreadyHandled:
        pass


def run_rules(
    tenant_id: str,
    loan_id: str,
    trigger: str,
    *,
    trigger_id: str | None = None,
    cascade: dict[str, Any] | None = None,
    only: Rule | None = None,
    force: bool = False,
    cache: dict[str, Settings] | None = None,
    at_version: int | None = None,
) -> RunOutcome:
    """Runs the tenant's applicable rules (or `only` that one; `force` ignores active and enrollment)
    on one loan and writes the result. `cascade` is the state of the rule-made change that caused this
    run, if any. Retried on a concurrent change with a fresh read; a trigger_id already handled does nothing,
    and neither does a record about loan version `at_version` once the loan has moved past it."""
    with tracing.span(
        "run_rules", tenant_id=tenant_id, loan_id=loan_id, trigger=trigger, rule_id=only.id if only else None
    ):
        settings = Settings.cached(cache, tenant_id)
        rules = [only] if only is not None else settings.rules
        depth = (cascade or {}).get("depth", 0) + 1 if cascade else 1
        done = set((cascade or {}).get("applied", []))
        if not force and not done and not any(runs_on(r, trigger) for r in rules):
            return RunOutcome(None, skipped="no rule runs on this trigger")  # nothing to read for
        for attempt in range(_ATTEMPTS):
            # A record handled before stops here (its marker, read with the loan); the marker is also a
            # condition of a write that changes the loan.
            loan, seen = (
                audit_store.load(tenant_id, loan_id, trigger_id) if well_formed("loan", loan_id) else (None, None)
            )
            if seen is not None:
                return RunOutcome(None, skipped="handled before", before=seen)
            if loan is None:
                return RunOutcome(None, skipped="no such loan")
            if at_version is not None and loan.version != at_version:
                # The loan changed again since the record's write: that later change's own record runs the
                # rules on the state they should see (a redelivered or late record never acts on a newer
                # state). An older version means the write never took effect (moto streams the items of a
                # cancelled transaction; DynamoDB does not).
                return RunOutcome(None, skipped="superseded by a later change")
            previous = loan
            chosen = [r for r in rules if force or (r.id not in done and applies(r, previous, trigger))]
            again = [r for r in rules if r.id in done and r not in chosen]  # what the cascade's settling checks
            if not chosen and not again:
                return RunOutcome(previous, [])  # no rule to run on this loan: nothing more to read or write
            run = _load(tenant_id, loan, settings, chosen + again)  # its customers only when those rules read them
            now = utc_now()
            if depth > MAX_DEPTH and chosen and not force:
                _stop_cascade(tenant_id, loan_id, chosen[0], trigger, trigger_id, done, now)
                return RunOutcome(None, skipped="cascade too deep")
            evaluations = evaluate(run, chosen)
            entries = audit_entries(loan_id, evaluations, trigger, now)
            changed = run.loan != previous or run.new_transactions
            if not changed and done:  # the cascade settles here: say which rules it kept from applying again
                entries += _not_again(run, rules, done, trigger, loan_id, now, depth)
            loan = None
            if changed:
                applied = sorted(done | {e.rule.id for e in evaluations if e.matched and e.applied})
                loan = run.loan.model_copy(
                    update={
                        "version": previous.version,
                        "updated_at": now,
                        "cascade": {
                            "id": (cascade or {}).get("id") or new_id("cas"),
                            "depth": depth,
                            "applied": applied,
                            "trigger": trigger,
                        },
                    }
                )
            try:
                links = loans.changed_links(previous, loan) if loan is not None else []
                # The record's marker, unless the loan's own version condition keeps this record from acting twice.
                marker = trigger_id if (loan is None and entries) or (loan is not None and at_version is None) else None
                saved = audit_store.commit(tenant_id, loan, run.new_transactions, entries, marker, links)
            except audit_store.AlreadyHandled:
                return RunOutcome(None, skipped="handled before")
            except StaleWrite:
                time.sleep(random.uniform(0, 0.05 * (attempt + 1)))
                continue
            measures.count("RuleApplications", sum(1 for entry in entries if entry.matched))
            change_customers(tenant_id, run)
            return RunOutcome(saved or previous, evaluations)
        raise Conflict("the loan keeps changing: try again")


def change_customers(tenant_id: str, run: Run) -> None:
    """customer-tools changes, each its own write (its stream record re-evaluates that customer's
    other loans). A concurrent edit of the customer is re-read and the change applied again."""
    for customer_id, change in run.customer_changes.items():
        for _ in range(_ATTEMPTS):
            current = customer_store.get(tenant_id, customer_id)
            if current is None or all(getattr(current, k) == v for k, v in change.items()):
                break
            try:
                replace_customer(tenant_id, current.model_copy(update={**change, "updated_at": utc_now()}))
                break
            except StaleWrite:
                continue


def force(tenant_id: str, loan_id: str, rule_id: str, explain: bool) -> ForceResult:
    """One rule on one loan now, even if inactive or the loan not enrolled (docs/rules.md#when-rules-run)."""
    rule = next((r for r in every_rule(tenant_id) if r.id == rule_id), None)
    if rule is None:
        raise NotFound("rule not found")
    loans.get(tenant_id, loan_id)  # 404 for an unknown loan
    outcome = run_rules(tenant_id, loan_id, "force", only=rule, force=True)
    evaluation = outcome.evaluations[0]
    return ForceResult(
        matched=evaluation.matched,
        actions_applied=evaluation.applied,
        variables=evaluation.variables if explain else {},
        error=evaluation.error,
        would_apply=evaluation.would_apply,
    )


def audit_page(tenant_id: str, loan_id: str, limit: int, cursor: str | None) -> Page[RuleApplication]:
    loans.get(tenant_id, loan_id)
    items, next_cursor = audit_store.entries_page(tenant_id, loan_id, limit, cursor)
    return Page[RuleApplication](items=items, next_cursor=next_cursor)
