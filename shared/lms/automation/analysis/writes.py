"""The rulebook analysis, what actions write (lms.automation.analysis): per variable, the effect of a rule's actions
(ACTION_WRITES), and how it moves a part of a criteria from region to region."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ...contract import (
    AccountToolsAction,
    ApdResetAction,
    BankruptcyAction,
    ChangeDueDateAction,
    CreditAction,
    CustomerToolsAction,
    LoanChecklistAction,
    LoanSettingsAction,
    Rule,
    StopInterestAction,
)
from ...labels import Labels
from ...rules.catalogue import DPD_HISTORY, INTEREST_STOP, LEDGER_FIGURES, VARIABLES
from .reading import Dim
from .values import Key, domain_of, meet, region_of

# Effects: ("set", values) the action names; ("lower", ()) / ("raise", ()) never the other way; ("any", ()) not
# known statically; ("drop", ()) a set variable's titles may be removed (for the target ("all-in", variable)).
Effect = tuple[str, frozenset[Any]]
Target = Any  # a variable, ("in", set variable, title) or ("all-in", set variable)
ANY: Effect = ("any", frozenset())
LOWER: Effect = ("lower", frozenset())
RAISE: Effect = ("raise", frozenset())
DROP: Effect = ("drop", frozenset())

BALANCES = ("status-payoff", "status-principal-balance", "status-interest-accrued", "status-due-fees", "status-perdiem")
PAST_DUE = (
    "status-days-past-due",
    "status-amount-due",
    "status-due-interest",
    "status-due-principal",
    "status-full-due",
    "next-period-amount",
    "status-delinquent-buckets",
    "status-delinquent-bucket-amount",
)
SCHEDULE = (
    "status-next-payment-date",
    "status-next-payment-amount",
    "status-next-payment-principal",
    "status-next-payment-interest",
    "status-next-payment-fees",
    "next-scheduled-payment-date",
    "next-scheduled-payment-amount",
    "next-scheduled-payment-principal",
    "next-scheduled-payment-interest",
    "next-scheduled-payment-fees",
    "subsequent-due-date",
    "status-period-start",
    "status-period-end",
    "status-final-payment-date",
)
DELINQUENCY = (
    "date-of-first-delinquency",
    "today-minus-dpd",
    "status-delinquent-bucket-date",
    "status-delinquent-bucket-balance",
    *(v.name for v in DPD_HISTORY),
)
# Everything a recomputation of the loan's values can move (activation brings the values to today).
LEDGER = tuple(
    dict.fromkeys(
        [
            *(v.name for v in VARIABLES if v.name.startswith("status-")),
            *(v.name for v in LEDGER_FIGURES + DPD_HISTORY + INTEREST_STOP),
            "charged-off",
            "interest-stopped",
        ]
    )
)
CUSTOMER = {
    role: (f"customer.{role}", *(v.name for v in VARIABLES if v.name.startswith(f"customer.{role}.")))
    for role in ("primary", "secondary")
}
BANKRUPTCY_FIELDS = {
    "chapter": "bankruptcy-chapter",
    "filing_date": "bankruptcy-filing-date",
    "petition_status": "bankruptcy-petition-status",
    "automatic_stay": "bankruptcy-automatic-stay",
    "case_number": "bankruptcy-case-number",
}
ACTION_WRITES = """
loan-settings  loanStatus S (loanSubStatus U)  loan-status = S, loan-sub-status = U (nil without one)
               loanSubStatus U alone           loan-sub-status = U
               creditStatus C                  credit-status = C
               addPortfolios / removePortfolios  portfolios has the title = true / false; portfolio-ids and
                                               portfolio changed; a removal may remove sub-portfolios' titles
               add/removeSubPortfolios         sub-portfolios has the title = true / false; portfolio changed
               customFields                    custom-fields changed
               the other settings, autopay     nothing a criteria reads
account-tools  activate                        loan-active = true, loan-status = Open, loan-sub-status = Repaying,
                                               every ledger figure changed
               inactivate / archive / delete   loan-active = false / loan-archived = true / both
apd-reset                                      PAST_DUE lowered; SCHEDULE and DELINQUENCY changed
bankruptcy                                     each field given = its value (setNull: nil)
change-due-date                                SCHEDULE and DELINQUENCY changed; the recent due date moved later
                                               lowers PAST_DUE, moved earlier or to a date changes it (the next
                                               one leaves it); chargeFee raises status-due-fees, status-payoff,
                                               status-total-fees-charged and changes status-full-due and
                                               next-period-amount
credit                                         BALANCES and PAST_DUE lowered, status-total-credits raised,
                                               SCHEDULE and DELINQUENCY changed; chargeOff: charged-off = true
customer-tools setStatus S, target T           customer.T.status = S (all: primary and secondary), customer.T
                                               changed; customer-statuses has S = true, may lose other titles
               applyRole                       every customer.primary and customer.secondary variable changed
loan-checklist                                 checklist has the title = true (check) / false (uncheck)
stop-interest                                  interest-stopped = (mode is suspend); stop-interest-date,
                                               stop-interest-days, status-perdiem changed
notify                                         nothing
"""


def _set(*values: Any) -> Effect:
    return ("set", frozenset(values))


def _system_status(labels: Labels) -> tuple[str, str]:
    """The titles activation sets (Open, Repaying), as the tenant writes them."""
    status = labels.loan_statuses.get("open")
    sub = next((s.title for s in status.sub_statuses if s.title.casefold() == "repaying"), None) if status else None
    return (status.title if status else "Open"), sub or "Repaying"


def _action_writes(action: Any, labels: Labels) -> Iterator[tuple[Target, Effect]]:  # noqa: C901 - one case per type
    if isinstance(action, LoanSettingsAction):
        yield from _settings_writes(action)
    elif isinstance(action, AccountToolsAction):
        if action.operation == "activate":
            status, sub = _system_status(labels)
            yield from ((name, ANY) for name in LEDGER)
            yield from (("loan-active", _set(True)), ("loan-status", _set(status)), ("loan-sub-status", _set(sub)))
        if action.operation in ("inactivate", "delete"):
            yield "loan-active", _set(False)
        if action.operation in ("archive", "delete"):
            yield "loan-archived", _set(True)
    elif isinstance(action, ApdResetAction):
        yield from ((name, ANY) for name in SCHEDULE + DELINQUENCY)
        yield from ((name, LOWER) for name in PAST_DUE)
    elif isinstance(action, BankruptcyAction):
        for name, variable in BANKRUPTCY_FIELDS.items():
            value = getattr(action, name)
            if value is not None:
                yield variable, _set(value)
        for camel in action.set_null:
            yield BANKRUPTCY_FIELDS[to_snake(camel)], _set(None)
    elif isinstance(action, ChangeDueDateAction):
        yield from ((name, ANY) for name in SCHEDULE + DELINQUENCY)
        later = action.due_date == "recent" and action.shift_days is not None and action.shift_days > 0
        if action.due_date == "recent":
            yield from ((name, LOWER if later else ANY) for name in PAST_DUE)
        if action.charge_fee:
            yield from ((name, RAISE) for name in ("status-due-fees", "status-payoff", "status-total-fees-charged"))
            yield from ((name, ANY) for name in ("status-full-due", "next-period-amount"))
    elif isinstance(action, CreditAction):
        yield from ((name, ANY) for name in SCHEDULE + DELINQUENCY)
        yield from ((name, LOWER) for name in BALANCES + PAST_DUE)
        yield "status-total-credits", RAISE
        if action.charge_off:
            yield "charged-off", _set(True)
    elif isinstance(action, CustomerToolsAction):
        yield from _customer_writes(action)
    elif isinstance(action, LoanChecklistAction):
        yield from ((("in", "checklist", t), _set(True)) for t in action.check)
        yield from ((("in", "checklist", t), _set(False)) for t in action.uncheck)
    elif isinstance(action, StopInterestAction):
        yield "interest-stopped", _set(action.mode == "suspend")
        yield from ((name, ANY) for name in ("stop-interest-date", "stop-interest-days", "status-perdiem"))


def _settings_writes(action: LoanSettingsAction) -> Iterator[tuple[Target, Effect]]:
    if action.loan_status:
        yield "loan-status", _set(action.loan_status)
        yield "loan-sub-status", _set(action.loan_sub_status)  # None: the sub-status is cleared
    elif action.loan_sub_status:
        yield "loan-sub-status", _set(action.loan_sub_status)
    if action.credit_status:
        yield "credit-status", _set(action.credit_status)
    yield from ((("in", "portfolios", t), _set(True)) for t in action.add_portfolios)
    yield from ((("in", "portfolios", t), _set(False)) for t in action.remove_portfolios)
    if action.remove_portfolios:
        yield ("all-in", "sub-portfolios"), DROP
    if action.add_portfolios or action.remove_portfolios:
        yield from (("portfolio-ids", ANY), ("portfolio", ANY))
    yield from ((("in", "sub-portfolios", t), _set(True)) for t in action.add_sub_portfolios)
    yield from ((("in", "sub-portfolios", t), _set(False)) for t in action.remove_sub_portfolios)
    if action.add_sub_portfolios or action.remove_sub_portfolios:
        yield "portfolio", ANY
    if action.custom_fields:
        yield "custom-fields", ANY


def _customer_writes(action: CustomerToolsAction) -> Iterator[tuple[Target, Effect]]:
    roles = {"primary": ("primary",), "secondary": ("secondary",), "all": ("primary", "secondary")}.get(
        action.target, ()
    )
    if action.set_status:
        for role in roles:
            yield f"customer.{role}.status", _set(action.set_status)
            yield f"customer.{role}", ANY
        yield ("in", "customer-statuses", action.set_status), _set(True)
        yield ("all-in", "customer-statuses"), DROP
    if action.apply_role is not None:
        yield from ((name, ANY) for role in ("primary", "secondary") for name in CUSTOMER[role])


def to_snake(camel: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)


def _then(first: Effect, second: Effect) -> Effect:
    """Two actions of one rule writing one target, one after the other."""
    if second[0] == "set" or first == second:
        return second
    return ANY


def rule_writes(rule: Rule, labels: Labels) -> dict[Target, Effect]:
    """What the rule's actions write, in order; a shadow rule writes nothing."""
    if getattr(rule, "mode", "live") == "shadow":
        return {}
    writes: dict[Target, Effect] = {}
    for action in rule.actions:
        for target, effect in _action_writes(action, labels):
            writes[target] = _then(writes[target], effect) if target in writes else effect
    return writes


def written_variables(writes: Iterable[Target]) -> frozenset[str]:
    return frozenset(t if isinstance(t, str) else t[1] for t in writes)


def region_moves(dim: Dim, key: Key, writes: dict[Target, Effect], written: frozenset[str]) -> list[list[int]] | None:
    """Per region of the part's own values (by index), the regions it may be in after the writes; None: untouched."""
    if not _touched(key, dim, writes, written):
        return None
    domain = domain_of(dim.kind, dim.points)
    every = list(range(len(domain)))
    if dim.kind.startswith("opaque"):
        return [every for _ in domain]
    effect = writes.get(key)
    if dim.kind == "member":
        effect = effect or writes.get(key[1])
        if effect is None:  # ("all-in", variable): the title may be removed
            return [sorted({i, 1}) for i in every]  # the domain is (true, false)
    assert effect is not None
    kind, values = effect
    if kind == "set":
        landed = [region_of(dim.kind, v) for v in values]
        at = [
            i
            for i, (_, region) in enumerate(domain)
            if any(r is not None and meet(dim.kind, r, region) for r in landed)
        ]
        return [at for _ in domain]
    if kind in ("lower", "raise") and dim.kind in ("int", "dec", "date"):  # the domain ascends, nil last
        nil = len(domain) - 1
        return [[i] if i == nil else (list(range(i + 1)) if kind == "lower" else list(range(i, nil))) for i in every]
    return [every for _ in domain]


def _touched(key: Key, dim: Dim, writes: dict[Target, Effect], written: frozenset[str]) -> bool:
    if dim.kind.startswith("opaque"):
        return bool(dim.reads & written)
    if dim.kind == "member":
        return key in writes or key[1] in writes or ("all-in", key[1]) in writes
    return key in writes


def frozen_writes(writes: dict[Target, Effect]) -> tuple[tuple[Target, Effect], ...]:
    return tuple(sorted(writes.items(), key=repr))
