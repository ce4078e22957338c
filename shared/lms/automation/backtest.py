"""Backtests: a rule, or the rulebook with a proposed change, replayed over the daily snapshots maintenance
stored (docs/servicing.md#snapshots-and-daily-maintenance), day by day, applying nothing.

What a loan-day replays and why each day stands alone (D+1 replays what really happened on D+1, not what
the rules would have done on D): docs/rules.md#backtest. A rule named alone runs as an active daily rule.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import heapq
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from ..clock import utc_now
from ..contract import AmountSpec, Customer, Loan, LoanValues, Rule, RuleCreate, Transaction
from ..contract.backtest import (
    MAX_BACKTEST_LOANS,
    MAX_LISTED,
    MAX_SYNC_LOAN_DAYS,
    BacktestDay,
    BacktestDifference,
    BacktestLoan,
    BacktestMoney,
    BacktestRequest,
    BacktestResult,
    BacktestRuleMatch,
    Rulebook,
)
from ..errors import Invalid, NotFound, field_error
from ..ids import well_formed
from ..labels import Labels
from ..labels import load as load_labels
from ..loans import pending_from
from ..rules import RuleInvalid, compile_rule
from ..rules.catalogue import LEDGER_FIGURES
from ..servicing import Ledger, Terms, advance, values
from ..servicing import replay as replay_ledger
from ..store import customers as customer_store
from ..store import loans as loan_store
from ..store import snapshots as snapshot_store
from ..store import transactions as transaction_store
from ..transactions import entries
from .engine import MAX_DEPTH, Evaluation, applies, evaluate, needs_customers
from .rulebook import check_actions, check_webhooks
from .rulebook import every as every_rule
from .run import Run

PAGE = 500
PROPOSED = "proposed"
# The amount bases read from the loan's values alone (lms.automation.amounts): any other reads the ledger's
# figures, so each day's loan is given its ledger (a base added later is taken to read them).
_VALUE_BASES = frozenset(
    "zero amount-past-due principal-balance payoff due-fees due-escrow payoff-fees remaining-discount"
    " total-advancements next-autopay-amount available-credit last-payment-amount next-payment-amount"
    " total-payments-collected total-loan-amount underwriting-fee til-finance-charge til-total-of-payments"
    " interest-accrued".split()
)
_LEDGER_VARIABLES = frozenset(v.name for v in LEDGER_FIGURES)
_MONEY = {"credit": "credits", "charge": "fees", "apd-reset": "apd_resets"}
Rules = list[Rule]
_ALONE = {"active": True, "eval_daily": True}  # a rule backtested alone
Reader = Callable[[], Sequence[Transaction] | None]
_JOB = "or run it as a job (POST /rules/backtest/jobs)"


def backtest(tenant_id: str, request: BacktestRequest) -> BacktestResult:
    """POST /rules/backtest: at most MAX_BACKTEST_LOANS loans and MAX_SYNC_LOAN_DAYS loan-days (more: a job)."""
    loans, days = _loans(tenant_id, request, MAX_BACKTEST_LOANS), (request.to - request.from_).days + 1
    if len(loans) * days > MAX_SYNC_LOAN_DAYS:
        raise field_error(
            "sample", f"{len(loans)} loans x {days} days is over {MAX_SYNC_LOAN_DAYS:,} loan-days: {_JOB}"
        )
    return _replayed(tenant_id, request, loans)


def backtest_loans(tenant_id: str, request: BacktestRequest, loan_ids: Sequence[str]) -> BacktestResult:
    """One slice of a backtest job: these of loan_ids()'s loans (one gone since left out); merge() adds up."""
    wanted = list(dict.fromkeys(loan_ids))
    found = loan_store.get_many(tenant_id, [i for i in wanted if well_formed("loan", i)])
    return _replayed(tenant_id, request, [found[i] for i in wanted if i in found])


def loan_ids(tenant_id: str, request: BacktestRequest, limit: int | None = MAX_BACKTEST_LOANS) -> list[str]:
    """The loans to replay: loanIds (422 naming those not the tenant's), the first `sample` by id, or every loan."""
    return [loan.id for loan in _loans(tenant_id, request, limit)]


def _loans(tenant_id: str, request: BacktestRequest, limit: int | None) -> list[Loan]:
    if request.loan_ids is not None:
        wanted = list(dict.fromkeys(request.loan_ids))
        found = loan_store.get_many(tenant_id, [i for i in wanted if well_formed("loan", i)])
        unknown = [{"field": "loanIds", "message": f"unknown loan {i}"} for i in wanted if i not in found]
        if unknown:
            raise Invalid(f"{len(unknown)} of the loanIds are not loans of this tenant", unknown[:20])
        return [found[i] for i in wanted]
    chosen, cursor = list[Loan](), None
    while True:
        page, cursor = loan_store.page(tenant_id, PAGE, cursor)
        chosen += page
        if request.sample is not None and len(chosen) >= request.sample:
            return chosen[: request.sample]
        if limit is not None and len(chosen) > limit:
            raise field_error("sample", f"more than {limit} loans: give loanIds or a sample of at most {limit}, {_JOB}")
        if cursor is None:
            return chosen


def _replayed(tenant_id: str, request: BacktestRequest, loans: list[Loan]) -> BacktestResult:
    labels = load_labels(tenant_id)
    rules, compare = rulebooks(tenant_id, request, labels)
    since, until = request.from_.isoformat(), request.to.isoformat()
    snaps = {loan.id: snapshot_store.between(tenant_id, loan.id, since, until) for loan in loans}
    linked = sorted({c.customer_id for loan in loans for c in loan.customers})
    customers = customer_store.get_many(tenant_id, linked) if needs_customers(rules + (compare or [])) else {}
    stored = functools.partial(transaction_store.every, tenant_id)  # read for a loan only when a day needs them
    window = {"since": request.from_, "until": request.to}
    return replay(loans, snaps, stored, customers, rules, labels, compare=compare, **window)


def rulebooks(tenant_id: str, request: BacktestRequest, labels: Labels | None = None) -> tuple[Rules, Rules | None]:
    """The rules to replay and to compare with: 404 for an unknown rule id, 422 for an unsaved rule as POST /rules."""
    labels, saved, now = labels or load_labels(tenant_id), every_rule(tenant_id), utc_now()

    def propose(spec: RuleCreate, rule_id: str, where: str, order: int = 0, like: Rule | None = None) -> Rule:
        try:
            variables = list(compile_rule(spec.criteria).variables)
        except RuleInvalid as invalid:
            details = [{**e.as_detail(), "field": f"{where}.criteria"} for e in invalid.errors]
            raise Invalid(f"{where}.criteria is not a valid rule: {invalid}", details) from None
        try:
            actions = check_actions(spec.actions, labels)
            check_webhooks(tenant_id, actions)
        except Invalid as error:
            details = [{**d, "field": f"{where}.{d.get('field', 'actions')}"} for d in error.details]
            raise Invalid(f"{where}.{error.message}", details) from None
        place = (order, 1, now) if like is None else (like.order, like.version + 1, like.created_at)
        fields = {**spec.model_dump(), "actions": actions, "id": rule_id, "variables": variables, "updated_at": now}
        return Rule.model_validate({**fields, "order": place[0], "version": place[1], "created_at": place[2]})

    if request.rule_id is not None:
        rules = [_saved(saved, request.rule_id, "ruleId").model_copy(update=_ALONE)]
    elif request.rule is not None:
        rules = [propose(request.rule, PROPOSED, "rule").model_copy(update=_ALONE)]
    else:
        assert request.rulebook is not None  # the request holds exactly one of the three
        rules = _book(request.rulebook, saved, propose, "rulebook")
    compare = None if request.compare is None else _book(request.compare, saved, propose, "compare")
    return [_live(r) for r in rules], None if compare is None else [_live(r) for r in compare]


def _saved(saved: Rules, rule_id: str, where: str) -> Rule:
    rule = next((r for r in saved if r.id == rule_id), None)
    if rule is None:
        raise NotFound(f"rule {rule_id} not found", [{"field": where, "message": "no such rule"}])
    return rule


def _book(book: Rulebook, saved: Rules, propose: Callable[..., Rule], where: str) -> Rules:
    if book.rules is not None:
        rules, count = [], 0
        for index, item in enumerate(book.rules):
            if isinstance(item, str):
                rules.append(_saved(saved, item, f"{where}.rules[{index}]"))
            else:
                count += 1
                rules.append(propose(item, f"{PROPOSED}-{count}", f"{where}.rules[{index}]", order=index + 1))
        if len({r.id for r in rules}) != len(rules):
            raise field_error(f"{where}.rules", "a rule is listed more than once")
        return rules
    for rule_id in book.remove:
        _saved(saved, rule_id, f"{where}.remove")
    replaced = {i: _saved(saved, i, f"{where}.replace") for i in book.replace}
    new = {i: propose(rule, i, f"{where}.replace.{i}", like=replaced[i]) for i, rule in book.replace.items()}
    rules = [new.get(r.id, r) for r in saved if r.id not in book.remove]
    last = max((r.order for r in saved), default=0)
    for index, item in enumerate(book.add):
        rules.append(propose(item, f"{PROPOSED}-{index + 1}", f"{where}.add[{index}]", order=last + index + 1))
    return rules


def _live(rule: Rule) -> Rule:
    return rule if getattr(rule, "mode", "live") == "live" else rule.model_copy(update={"mode": "live"})


def replay(
    loans: Sequence[Loan],
    snapshots_by_loan: Mapping[str, Sequence[Mapping[str, Any]]],
    transactions_by_loan: Mapping[str, Sequence[Transaction]] | Callable[[str], Sequence[Transaction]],
    customers: Mapping[str, Customer],
    rules: Rules,
    labels: Labels,
    *,
    since: date,
    until: date,
    compare: Rules | None = None,
) -> BacktestResult:
    """The backtest, no I/O: snapshots as the store gives them; transactions in posting order (or a function of the
    loan id), read only when a day needs them (a ledger figure, the 24-month history, an action's recomputation)."""
    tally = _Tally(since, until, [r.id for r in rules], None if compare is None else [r.id for r in compare])
    keep_ledger = _reads_ledger(rules + (compare or []))
    first, last = since.isoformat(), until.isoformat()
    for loan in loans:
        stored = snapshots_by_loan.get(loan.id, ())
        days = sorted((s for s in stored if first <= s["date"] <= last), key=lambda s: str(s["date"]))
        tally.counts.update(loans=1, loans_replayed=1 if days else 0)
        by_id = transactions_by_loan if callable(transactions_by_loan) else transactions_by_loan.get
        past = _Past(loan, functools.partial(by_id, loan.id), customers, labels, keep_ledger)
        active = loan.model_copy(update={"active": True, "archived": False})  # each day as maintenance found it
        daily, others = ([r for r in book if applies(r, active, "daily")] for book in (rules, compare or []))
        for snapshot in days:
            day = date.fromisoformat(snapshot["date"])
            then = past.on(day, snapshot)
            decision = _decide(then, day, rules, daily, past)
            tally.add(loan.id, day, decision)
            if compare is not None:
                tally.versus(loan.id, day, decision, _decide(then, day, compare, others, past))
    return tally.result()


def _reads_ledger(rules: Rules) -> bool:
    """Whether a rule reads the ledger's figures: in its criteria, through an amount base that is not one of
    the loan's values, or in a notify action (which sends every variable)."""
    for rule in rules:
        fields = [v for a in rule.actions for v in [*vars(a).values(), *getattr(a, "custom_fields", {}).values()]]
        amounts = [v.base for v in fields if isinstance(v, AmountSpec)]
        if any(a.type == "notify" for a in rule.actions) or not _VALUE_BASES.issuperset(amounts):
            return True
        with contextlib.suppress(RuleInvalid):  # a stored rule that no longer compiles: evaluate() says so
            if _LEDGER_VARIABLES.intersection(compile_rule(rule.criteria).variables):
                return True
    return False


def _reverses(tx: Transaction, after: int, day: date) -> bool:
    return tx.type == "reversal" and after < tx.date.toordinal() <= day.toordinal()


def as_they_stood(transactions: Sequence[Transaction], day: date) -> list[Transaction]:
    """A loan's transactions as they stood when the day's rules ran: dated on or before the day, a payment
    reversed after it still in effect, the rule-made ones dated that day left out."""
    reversed_on = {t.reverses: t.date for t in transactions if t.type == "reversal" and t.reverses}
    stood = []
    for tx in transactions:
        if tx.date > day or (tx.date == day and tx.source == "rule"):
            continue
        if tx.reversed and reversed_on.get(tx.id, day) > day:
            tx = tx.model_copy(update={"reversed": False, "reversed_by": None})
        stood.append(tx)
    return stood


class _Past:
    """One loan as it stood on each day of its snapshots (asked in order), and its calculator state at each night."""

    def __init__(self, loan: Loan, read: Reader, linked: Mapping[str, Customer], labels: Labels, keep_ledger: bool):
        self.loan, self.read, self.keep_ledger = loan, functools.cache(lambda: read() or ()), keep_ledger
        self.customers = {c.customer_id: linked[c.customer_id] for c in loan.customers if c.customer_id in linked}
        self.labels, self.terms = labels, Terms.of(loan.setup)
        late_fees = labels.late_fees(loan.loan_status, loan.loan_sub_status)
        self.policy = [(p.since, p.allowed) for p in loan.late_fee_history] or late_fees
        self.whole: Ledger | None = None  # the end of the last night walked (all its day's transactions in it)

    def seen(self, day: date) -> list[Transaction]:
        return as_they_stood(self.read(), day)

    def on(self, day: date, snapshot: Mapping[str, Any]) -> Loan:
        then = {"as_of": day, "maintained_through": day, "active": True, "archived": False}
        then["values"] = LoanValues.model_validate(snapshot["values"])
        then["loan_status"], then["loan_sub_status"] = snapshot["loanStatus"], snapshot.get("loanSubStatus")
        then["charged_off"], then["interest_stopped"] = snapshot["chargedOff"], snapshot["interestStopped"]
        then["ledger"] = self.ledger(day) if self.keep_ledger else None  # no rule reads it otherwise
        return self.loan.model_copy(update=then)

    def night(self, day: date) -> Ledger | None:
        """A copy of the state at the end of the day before (transactions as they stood on the day), stepped on from
        the last night asked, replayed for the first and after a reversal; None on the contract date."""
        every, eve = self.read(), day - timedelta(days=1)
        if eve < self.terms.contract_date:
            return None
        stood, whole = as_they_stood(every, day), self.whole
        if whole is None or whole.day > eve.toordinal() or any(_reverses(t, whole.day, day) for t in every):
            whole = replay_ledger(self.terms, entries([t for t in stood if t.date < day]), eve, self.policy)
        self.whole = advance(whole, self.terms, eve, self.policy, entries(stood))
        return dataclasses.replace(self.whole, allocations={})

    def ledger(self, day: date) -> dict[str, Any] | None:  # the state the day's rules saw
        night = self.night(day)
        return None if night is None else advance(night, self.terms, day, self.policy, entries(self.seen(day))).to_doc()

    def recomputed(self, loan: Loan, transactions: list[Transaction], day: date) -> Loan | None:
        """loans.recompute's loan through the day, stepped from the night before (None: that takes a full replay)."""
        night = self.night(day) if loan.setup == self.loan.setup and self.loan.late_fee_history else None
        if night is None:
            return None
        every, policy = entries(transactions), [(p.since, p.allowed) for p in loan.late_fee_history]
        ledger = advance(night, self.terms, day, policy, every)
        update = {"values": LoanValues.model_validate(values(ledger, self.terms).to_dict()), "as_of": day}
        update |= {"interest_stopped": ledger.stopped, "charged_off": ledger.charged_off, "ledger": ledger.to_doc()}
        return loan.model_copy(update={**update, "pending_from": pending_from(every, day), "updated_at": utc_now()})


@dataclasses.dataclass
class _PastRun(Run):
    """A Run on a past day: recomputing steps the night before over the day (what replaying from the contract gives)."""

    past: _Past | None = None

    def recompute(self) -> None:
        assert self.past is not None
        stepped = self.past.recomputed(self.loan, [*self.transactions, *self.new_transactions], self.today)
        if stepped is None:
            return super().recompute()
        self.loan = stepped


@dataclasses.dataclass
class _Decision:  # what the rules would have done to one loan on one day
    matched: list[Evaluation]  # the daily rules that matched
    applied: list[str]  # every rule that matched, daily then cascades, in order
    day: BacktestDay  # what it adds to the day


def _decide(loan: Loan, day: date, rules: Rules, chosen: Rules, past: _Past) -> _Decision | None:
    """The day's daily rules (`chosen`) on the loan, then the cascade real time would run; None when all is quiet."""
    seen = functools.partial(past.seen, day)
    run = _PastRun(loan, dict(past.customers), past.labels, day, seen, utc_today=day, past=past)
    evaluations = _daily(run, chosen)
    if not evaluations:
        return None
    daily = [e for e in evaluations if e.matched]
    done = {e.rule.id for e in daily}
    changed, depth, cascades = bool(run.new_transactions) or (run.loan is not loan and run.loan != loan), 1, 0
    while changed and depth < MAX_DEPTH:
        depth += 1
        following = [r for r in rules if r.id not in done and applies(r, run.loan, "rule-change")]
        before, made = run.loan, len(run.new_transactions)
        level = evaluate(run, following) if following else []
        evaluations += level
        cascades += sum(1 for e in level if e.matched)
        done |= {e.rule.id for e in level if e.matched}
        changed = run.loan != before or len(run.new_transactions) > made
    added = BacktestDay(date=day, loans=1, matched=bool(daily), cascades=cascades)
    added.errors = sum(1 for e in evaluations if e.error)
    added.actions = Counter(a["type"] for e in evaluations if e.matched for a in e.applied if len(a) > 1)  # changed
    for tx in run.new_transactions:
        kind = "charge_offs" if tx.type == "credit" and tx.charge_off else _MONEY.get(tx.type)
        if kind is not None:
            setattr(added.money, kind, getattr(added.money, kind) + tx.amount)
    return _Decision(daily, [e.rule.id for e in evaluations if e.matched], added)


def _daily(run: Run, rules: Rules) -> list[Evaluation]:
    """engine.evaluate over the rules; between two matches the loan does not change, so the rules that neither match
    nor err read one context (the engine would build it for each)."""
    evaluations: list[Evaluation] = []
    start = 0
    while start < len(rules):
        context = run.context()
        for index in range(start, len(rules)):
            try:
                outcome = compile_rule(rules[index].criteria).run(context)
            except Exception:  # the engine records what is wrong with the rule
                break
            if outcome.matched or outcome.error:
                break
        else:
            return evaluations
        evaluations += evaluate(run, [rules[index]])
        start = index + 1
    return evaluations


_COUNTS = ("loans", "loans_replayed", "loan_days", "loans_matched", "compare_loans_matched", "differences_total")


class _Tally:
    """The answer, added up loan-day by loan-day (replay) or slice by slice (merge)."""

    def __init__(self, since: date, until: date, rule_ids: list[str], compare_ids: list[str] | None):
        self.head = {"from_": since, "to": until, "rule_ids": rule_ids, "compare_rule_ids": compare_ids}
        self.counts: Counter[str] = Counter()
        self.quiet: Counter[date] = Counter()  # loan-days on which no rule matched nor erred, by day
        span = (since + timedelta(days=n) for n in range((until - since).days + 1))
        self.days = {d: BacktestDay(date=d) for d in span}
        self.first: dict[str, BacktestLoan] = {}
        self.compare_matched, self.differences = set[str](), list[BacktestDifference]()

    def add(self, loan_id: str, day: date, decision: _Decision | None) -> None:
        self.counts["loan_days"] += 1
        if decision is None:
            self.quiet[day] += 1
            return
        _plus(self.days[day], decision.day)
        if decision.matched and loan_id in self.first:
            self.first[loan_id].days_matched += 1
        elif decision.matched:
            why = [BacktestRuleMatch(rule_id=e.rule.id, variables=e.variables) for e in decision.matched]
            self.first[loan_id] = BacktestLoan(loan_id=loan_id, first_match=day, days_matched=1, rules=why)
            self.counts["loans_matched"] += 1

    def versus(self, loan_id: str, day: date, mine: _Decision | None, theirs: _Decision | None) -> None:
        ours, others = (mine.applied if mine else []), (theirs.applied if theirs else [])
        if theirs is not None and theirs.matched:
            self.compare_matched.add(loan_id)
        if set(ours) != set(others):
            self.differences.append(BacktestDifference(loan_id=loan_id, date=day, matched=ours, compare_matched=others))
            self.counts["differences_total"] += 1

    def absorb(self, part: BacktestResult) -> None:
        self.counts.update({name: getattr(part, name) or 0 for name in _COUNTS})
        for day in part.days:
            _plus(self.days.setdefault(day.date, BacktestDay(date=day.date)), day)
        self.first.update({m.loan_id: m for m in part.matches})
        self.differences += part.differences or []

    def result(self) -> BacktestResult:
        for day, loans in self.quiet.items():  # once: the answer is made once
            self.days[day].loans += loans
        self.counts["compare_loans_matched"] += len(self.compare_matched)
        compared = self.head["compare_rule_ids"] is not None
        counts = {name: self.counts[name] for name in _COUNTS if compared or not name.startswith(("compare", "diff"))}
        days = [self.days[d] for d in sorted(self.days)]
        matches = heapq.nsmallest(MAX_LISTED, self.first.values(), key=lambda m: (m.first_match, m.loan_id))
        differences = heapq.nsmallest(MAX_LISTED, self.differences, key=lambda d: (d.date, d.loan_id))
        listed = {"days": days, "matches": matches, "differences": differences if compared else None}
        return BacktestResult.model_validate({**self.head, **counts, **listed})


def _plus(into: BacktestDay, day: BacktestDay) -> None:
    for name in ("loans", "matched", "cascades", "errors"):
        setattr(into, name, getattr(into, name) + getattr(day, name))
    into.actions = dict(Counter(into.actions) + Counter(day.actions))
    for kind in BacktestMoney.model_fields:
        setattr(into.money, kind, getattr(into.money, kind) + getattr(day.money, kind))


def merge(partials: Sequence[BacktestResult]) -> BacktestResult:
    """A job's slices (the same request, disjoint loans) added up: the answer one backtest of them all gives."""
    if not partials:
        raise ValueError("merge needs at least one slice (an empty job: backtest_loans with no loan)")
    first = partials[0]
    tally = _Tally(first.from_, first.to, first.rule_ids, first.compare_rule_ids)
    for part in partials:
        tally.absorb(part)
    return tally.result()
