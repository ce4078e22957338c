"""Backtests: a rule, or the rulebook with a proposed change, replayed over the daily snapshots maintenance
stored, day by day, applying nothing (lms.automation.backtest); what would have matched, acted and moved."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, StrictInt, StringConstraints, ValidationInfo, field_validator, model_validator

from ..values import IsoDate, Money
from .base import Entity, Request
from .rules import LoanId, RuleCreate, RuleName

MAX_BACKTEST_DAYS = 366  # from..to, both included
MAX_BACKTEST_LOANS = 1000  # loanIds or a sample; a synchronous backtest of every loan stops here too
MAX_BACKTEST_RULES = 500  # a rulebook given rule by rule (a tenant has at most 500)
MAX_PROPOSED = 50  # rules added or replaced in one proposed change
MAX_SYNC_LOAN_DAYS = 20_000  # loans x days of one synchronous backtest (the API function has 15 s); a job: no limit
MAX_LISTED = 1000  # loans matched and differences listed in an answer (the counts beside them are exact)

RuleId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ZERO = Decimal("0.00")


class ProposedRule(RuleCreate):
    """An unsaved rule, as POST /rules takes it (here the name may be left out)."""

    name: RuleName = "Proposed rule"


class Rulebook(Request):
    """A rulebook to replay: the tenant's saved rules in tenant order with a proposed change (rules removed,
    rules replaced in their place, rules added after the others), or exactly `rules`, in the order given
    (saved rule ids and unsaved rules). `{}` is the saved rulebook as it is."""

    rules: Annotated[list[RuleId | ProposedRule], Field(min_length=1, max_length=MAX_BACKTEST_RULES)] | None = None
    add: Annotated[list[ProposedRule], Field(max_length=MAX_PROPOSED)] = []
    replace: Annotated[dict[RuleId, ProposedRule], Field(max_length=MAX_PROPOSED)] = {}
    remove: Annotated[list[RuleId], Field(max_length=MAX_BACKTEST_RULES)] = []

    @field_validator("add", "replace", "remove")
    @classmethod
    def _a_change_or_the_whole(cls, value: Any, info: ValidationInfo) -> Any:
        if value and info.data.get("rules") is not None:
            raise ValueError("rules is the whole rulebook: give it without add, replace or remove")
        return value

    @field_validator("remove")
    @classmethod
    def _removed_or_replaced(cls, value: list[str], info: ValidationInfo) -> list[str]:
        both = sorted(set(value) & set(info.data.get("replace") or {}))
        if both:
            raise ValueError(f"{', '.join(both)}: a rule cannot be both removed and replaced")
        return value


class BacktestRequest(Request):
    """One of ruleId (a saved rule), rule (an unsaved one) or rulebook; the days from..to (at most 366, both
    included); the loans: loanIds, the first `sample` loans in id order (ids are random: an unbiased sample),
    or every loan. compare: a second rulebook, to find the loan-days the two decide differently."""

    rule_id: RuleId | None = None
    rule: ProposedRule | None = None
    rulebook: Rulebook | None = None
    compare: Rulebook | None = None
    from_: IsoDate = Field(alias="from")
    to: IsoDate
    loan_ids: Annotated[list[LoanId], Field(min_length=1, max_length=MAX_BACKTEST_LOANS)] | None = None
    sample: Annotated[StrictInt, Field(ge=1, le=MAX_BACKTEST_LOANS)] | None = None

    @model_validator(mode="after")
    def _one_rule_or_rulebook(self) -> BacktestRequest:
        if sum(x is not None for x in (self.rule_id, self.rule, self.rulebook)) != 1:
            raise ValueError("give exactly one of ruleId, rule and rulebook")
        return self

    @field_validator("to")
    @classmethod
    def _a_range(cls, to: date, info: ValidationInfo) -> date:
        since = info.data.get("from_")
        if since is not None and to < since:
            raise ValueError(f"to ({to}) is before from ({since})")
        if since is not None and (to - since).days + 1 > MAX_BACKTEST_DAYS:
            raise ValueError(
                f"a backtest covers at most {MAX_BACKTEST_DAYS} days: {since}..{to} is {(to - since).days + 1}"
            )
        return to

    @field_validator("sample")
    @classmethod
    def _ids_or_sample(cls, sample: int | None, info: ValidationInfo) -> int | None:
        if sample is not None and info.data.get("loan_ids") is not None:
            raise ValueError("give loanIds or sample, not both")
        return sample


class BacktestMoney(Entity):
    """The amounts of the transactions the rules would have made, by kind."""

    credits: Money = ZERO  # credits that are not charge-offs
    charge_offs: Money = ZERO  # charge-off credits
    fees: Money = ZERO  # charges (a due-date change's fee)
    apd_resets: Money = ZERO  # amount past due reset (apd-reset, a credit's resetPastDue)


class BacktestDay(Entity):
    """One day of the range: the loans replayed (those with a snapshot that day), the loans a daily rule
    matched, the actions that would have changed something (by type, cascades included), the money they would
    have moved, the rule applications of the cascades that would have followed, the rule errors."""

    date: IsoDate
    loans: int = 0
    matched: int = 0
    actions: dict[str, int] = {}
    money: BacktestMoney = BacktestMoney()
    cascades: int = 0
    errors: int = 0


class BacktestRuleMatch(Entity):
    rule_id: str
    variables: dict[str, Any]  # what the criteria read, as the audit log shows it


class BacktestLoan(Entity):
    """A loan a daily rule would have matched: the first day, the rules that matched then and why, and on
    how many days of the range some daily rule matched."""

    loan_id: str
    first_match: IsoDate
    days_matched: int
    rules: list[BacktestRuleMatch]


class BacktestDifference(Entity):
    """A loan-day the two rulebooks decide differently: the rules that matched with each (cascades
    included, in the order they applied)."""

    loan_id: str
    date: IsoDate
    matched: list[str]
    compare_matched: list[str]


class BacktestResult(Entity):
    """A backtest's answer, or one slice of a job's (lms.automation.backtest.merge adds slices up). An unsaved
    rule is named "proposed" (alone) or "proposed-1", "proposed-2"... in the order a rulebook gives them."""

    from_: IsoDate = Field(alias="from")
    to: IsoDate
    rule_ids: list[str]  # the rules replayed, in order
    compare_rule_ids: list[str] | None = None
    loans: int = 0  # loans asked for
    loans_replayed: int = 0  # of them, those with a snapshot in the range
    loan_days: int = 0
    loans_matched: int = 0
    days: list[BacktestDay] = []  # every day of the range
    matches: list[BacktestLoan] = []  # by first match, then loan id; at most MAX_LISTED
    compare_loans_matched: int | None = None
    differences_total: int | None = None
    differences: list[BacktestDifference] | None = None  # by day, then loan id; at most MAX_LISTED
