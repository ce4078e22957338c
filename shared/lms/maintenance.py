"""Daily maintenance (SERVICING.md "Each day", RULES.md section 4, ARCHITECTURE.md "Clock").

A run is one tenant's business date D: `dispatch` (every 15 minutes) creates it once the tenant's
local time has passed its maintenance hour (a conditional write: two dispatchers, one run), and
`start_run` does the same for `POST /maintenance/runs`. The run queues one "expand" message; the
worker pages through the tenant's active loans (a page per message) and queues one message per loan.

For each loan, every day from the day after it was last maintained up to D, in order: the servicing
step (the loan keeps its calculator state, so a day costs a step, not a replay), a snapshot, then the
daily rules in tenant order. The loan's write is the commit point: snapshots first (the same items
however often a day is computed), then the loan at its version with `maintainedThrough`, together with
the rule-made transactions and audit entries when rules matched (one transaction). A redelivered
message finds the loan maintained and changes nothing.

Progress: each batch writes its loans' results and adds to the run's approximate count (it can run
ahead on redelivery, never behind); when it reaches the total the results are counted exactly and
the run completes once (`maintenance.completed`). The dispatcher settles runs whose last count was lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger

from . import queues
from .automation.actions import Run
from .automation.engine import Settings, _change_customers, _entries, applies, evaluate, needs_customers
from .clock import utc_now
from .config import config
from .contract import Loan, LoanValues, MaintenanceRun, MaintenanceRunStarted, RuleApplication, Tenant, Transaction
from .errors import Invalid, NotFound
from .ids import new_id
from .labels import Labels
from .loans import recompute
from .servicing import Ledger, Terms, advance, values
from .store import automation as audit_store
from .store import jobs as job_store
from .store import loans as loan_store
from .store import settings as settings_store
from .store import snapshots as snapshot_store
from .store import transactions as transaction_store
from .store.errors import StaleWrite
from .tenancy import business_date, get_tenant
from .transactions import entries as ledger_entries

logger = Logger(child=True)
PAGE = 1000  # loans per expand message
LOANS_PER_MESSAGE = 25  # loans per worker message (a loan that fails is sent again alone)
MAX_ITEMS = 80  # rule-made transactions + audit entries per loan write (DynamoDB: 100 per transaction)
_ATTEMPTS = 5
_RUN_ID = re.compile(r"^run-(\d{4}-\d{2}-\d{2})$")


def run_id(day: date) -> str:
    return f"run-{day.isoformat()}"


def _key(day: date) -> str:
    return f"run#{day.isoformat()}"


# ---------------------------------------------------------------- starting runs


def due_date(tenant: Tenant, now: datetime) -> date:
    """The business date whose run is due at `now`: the override if set, else the tenant's local
    date once its maintenance hour has passed (the day before until then)."""
    if tenant.business_date is not None:
        return tenant.business_date
    local = now.astimezone(ZoneInfo(tenant.timezone))
    return (local - timedelta(hours=tenant.maintenance_hour)).date()


def start_run(tenant_id: str, day: date, source: str, now: datetime | None = None) -> tuple[str, bool]:
    """Creates the run for that business date and queues it; (run id, whether it was new). The
    same date again gives the same run (idempotent per date)."""
    now = now or utc_now()
    created = job_store.create(
        tenant_id, _key(day), {"type": "maintenance", "businessDate": day.isoformat(), "source": source}, now
    )
    if created:
        queues.send(config().maintenance_queue, [_expand(tenant_id, day, None, 0)])
        logger.info(
            "maintenance run created",
            extra={"tenant_id": tenant_id, "business_date": day.isoformat(), "source": source},
        )
    return run_id(day), created


def request_run(tenant_id: str, day: date | None) -> MaintenanceRunStarted:
    """POST /maintenance/runs: a date up to the tenant's today (default today)."""
    today = business_date(get_tenant(tenant_id))
    day = day or today
    if day > today:
        raise Invalid(
            f"{day} is after the tenant's business date {today}: maintenance cannot run ahead of it",
            [{"field": "businessDate", "message": "in the future"}],
        )
    return MaintenanceRunStarted(run_id=start_run(tenant_id, day, "api")[0])


def dispatch(now: datetime | None = None) -> list[tuple[str, str]]:
    """One round of the schedule: every tenant's due run is created if it does not exist, and runs
    whose last count was lost are settled. The (tenant, run id) pairs created."""
    now = now or utc_now()
    created = []
    for tenant_id, row in settings_store.every_tenant():
        tenant = Tenant.model_validate({"tenantId": tenant_id, **row.body, "version": row.version})
        day = due_date(tenant, now)
        if job_store.get(tenant_id, _key(day)) is None:
            identifier, new = start_run(tenant_id, day, "schedule", now)
            if new:
                created.append((tenant_id, identifier))
        for job in job_store.unfinished(tenant_id, "run#"):
            if job.total is not None and job.done >= job.total:
                _completed(tenant_id, job_store.settle(tenant_id, job.key, now))
    return created


def get_run(tenant_id: str, identifier: str) -> MaintenanceRun:
    match = _RUN_ID.match(identifier)
    job = None
    if match:
        try:
            job = job_store.get(tenant_id, _key(date.fromisoformat(match.group(1))))
        except ValueError:
            job = None
    if job is None:
        raise NotFound("maintenance run not found")
    done, failed = (
        (job.done, job.failed) if job.state in ("completed", "failed") else job_store.count(tenant_id, job.key)
    )
    return MaintenanceRun(
        run_id=identifier,
        business_date=job.body["businessDate"],
        state=job.state,
        loans_queued=job.total,
        loans_done=done,
        loans_failed=failed,
        started_at=job.created_at,
        finished_at=job.finished_at,
    )


# ---------------------------------------------------------------- the worker


def _expand(tenant_id: str, day: date, cursor: str | None, page: int) -> dict[str, Any]:
    return {"type": "expand", "tenantId": tenant_id, "businessDate": day.isoformat(), "cursor": cursor, "page": page}


def _loans(tenant_id: str, day: date, loan_ids: list[str]) -> dict[str, Any]:
    return {"type": "loans", "tenantId": tenant_id, "businessDate": day.isoformat(), "loanIds": loan_ids}


def expand(message: dict[str, Any]) -> None:
    """Queues one page of the tenant's active loans, then the next page (or, after the last, the total)."""
    tenant_id, day = message["tenantId"], date.fromisoformat(message["businessDate"])
    key = _key(day)
    job = job_store.get(tenant_id, key)
    if job is None:
        raise LookupError(f"maintenance run {key} of {tenant_id} not found")
    if job.total is not None:
        return  # every page queued before
    ids, cursor = loan_store.active_ids_page(tenant_id, PAGE, message.get("cursor"))
    queues.send(
        config().maintenance_queue,
        [_loans(tenant_id, day, ids[i : i + LOANS_PER_MESSAGE]) for i in range(0, len(ids), LOANS_PER_MESSAGE)],
    )
    job_store.put_marker(tenant_id, key, f"page#{message['page']:06d}", {"count": len(ids)})
    if cursor is not None:
        queues.send(config().maintenance_queue, [_expand(tenant_id, day, cursor, message["page"] + 1)])
        return
    total = sum(int(m["count"]) for m in job_store.markers(tenant_id, key))
    job_store.start(tenant_id, key, total)
    _completed(tenant_id, job_store.settle(tenant_id, key, utc_now()))


def _completed(tenant_id: str, job: job_store.Job | None) -> None:
    if job is not None:
        # Logged here; the maintenance.completed event reaches webhooks from the jobs table's stream.
        logger.info(
            "maintenance.completed",
            extra={
                "tenant_id": tenant_id,
                "business_date": job.body["businessDate"],
                "state": job.state,
                "loans_done": job.done,
                "loans_failed": job.failed,
            },
        )


@dataclass
class Plan:
    """What maintaining one loan (up to some day) writes."""

    loan: Loan
    snapshots: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    entries: list[RuleApplication] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    matched: bool = False
    complete: bool = True  # False: stopped early (too many items for one write); more days to go


def _policy(loan: Loan, labels: Labels) -> Any:
    return [(p.since, p.allowed) for p in loan.late_fee_history] or labels.late_fees(
        loan.loan_status, loan.loan_sub_status
    )


def _snapshot(loan: Loan) -> dict[str, Any]:
    return {
        "values": loan.values.model_dump(mode="json", by_alias=True),
        "loanStatus": loan.loan_status,
        "loanSubStatus": loan.loan_sub_status,
        "chargedOff": loan.charged_off,
        "interestStopped": loan.interest_stopped,
    }


def plan(tenant_id: str, loan: Loan, through: date, settings: Settings, now: datetime) -> Plan | None:
    """The days from the loan's last maintained day up to `through`; None when there is nothing to do
    (maintained already, a run for an earlier date, not active)."""
    if not loan.active or loan.archived:
        return None
    first = (loan.maintained_through or loan.as_of - timedelta(days=1)) + timedelta(days=1)
    if first > through:
        return None
    terms = Terms.of(loan.setup)
    stored: list[Transaction] | None = None
    result = Plan(loan)

    def transactions() -> list[Transaction]:
        nonlocal stored
        if stored is None:
            stored = transaction_store.every(tenant_id, loan.id)
        return stored + result.transactions

    if loan.ledger is not None and int(loan.ledger["day"]) == loan.as_of.toordinal():
        ledger = Ledger.from_doc(loan.ledger)
    else:  # a loan written before it kept its ledger: replayed once
        loan, ledger = recompute(loan, ledger_entries(transactions()), loan.as_of, settings.labels)
    original = loan
    customers: dict[str, Any] | None = None
    day = first
    while day <= through:
        if day > loan.as_of:
            ledger = advance(ledger, terms, day, _policy(loan, settings.labels))
            loan = loan.model_copy(
                update={
                    "values": LoanValues.model_validate(values(ledger, terms).to_dict()),
                    "as_of": day,
                    "interest_stopped": ledger.stopped,
                    "charged_off": ledger.charged_off,
                    "ledger": ledger.to_doc(),
                }
            )
        result.snapshots.append((day.isoformat(), _snapshot(loan)))
        chosen = [r for r in settings.rules if applies(r, loan, "daily")]
        if chosen:
            if customers is None:
                customers = _customers(tenant_id, loan, chosen)
            run = Run(loan=loan, customers=customers, labels=settings.labels, today=day, load_transactions=transactions)
            evaluations = evaluate(run, chosen)
            entries = _entries(loan.id, evaluations, "daily", now)
            result.entries += [e.model_copy(update={"business_date": day}) for e in entries]
            result.matched = result.matched or any(e.matched for e in evaluations)
            if run.new_transactions:
                result.transactions += run.new_transactions
            if run.loan is not loan:
                loan = run.loan
                if loan.ledger is not None and int(loan.ledger["day"]) == loan.as_of.toordinal():
                    ledger = Ledger.from_doc(loan.ledger)
            if run.customer_changes:
                result.runs.append(run)
            customers = run.customers
        loan = loan.model_copy(update={"maintained_through": day})
        if len(result.transactions) + len(result.entries) > MAX_ITEMS and day < through:
            result.complete = False
            break
        day += timedelta(days=1)
    changed = {k for k, v in loan if getattr(original, k) != v} - {
        "values",
        "as_of",
        "interest_stopped",
        "charged_off",
        "ledger",
        "maintained_through",
        "updated_at",
    }
    update: dict[str, Any] = {"updated_at": now, "version": original.version}
    if changed or result.transactions:
        applied = sorted({e.rule_id for e in result.entries if e.matched and e.actions_applied})
        update["cascade"] = {"id": new_id("cas"), "depth": 1, "applied": applied, "trigger": "daily"}
    result.loan = loan.model_copy(update=update)
    return result


def _customers(tenant_id: str, loan: Loan, rules: list[Any]) -> dict[str, Any]:
    from .store import customers as customer_store

    if not needs_customers(rules):
        return {}
    return customer_store.get_many(tenant_id, [c.customer_id for c in loan.customers])


def _write(tenant_id: str, work: Plan) -> None:
    """The loan's write, the commit point (snapshots are written before it)."""
    if work.transactions or work.entries:
        audit_store.commit(tenant_id, work.loan, work.transactions, work.entries)
    else:
        loan_store.put(tenant_id, work.loan)
    for run in work.runs:
        _change_customers(tenant_id, run)


def maintain_one(tenant_id: str, loan_id: str, through: date, settings: Settings) -> bool:
    """Brings one loan up to `through` (re-reading on a concurrent change); whether a rule matched."""
    matched = False
    for _ in range(_ATTEMPTS * 4):
        loan = loan_store.get(tenant_id, loan_id)
        work = None if loan is None else plan(tenant_id, loan, through, settings, utc_now())
        if work is None:
            return matched
        snapshot_store.put_many(tenant_id, loan_id, work.snapshots)
        try:
            _write(tenant_id, work)
        except (StaleWrite, audit_store.AlreadyHandled):
            continue
        matched = matched or work.matched
        if work.complete:
            return matched
    raise RuntimeError(f"loan {loan_id} keeps changing during maintenance")


@dataclass
class Outcome:
    loan_id: str
    matched: bool = False
    error: Exception | None = None


def maintain_many(tenant_id: str, through: date, loan_ids: list[str], settings: Settings) -> list[Outcome]:
    """A batch of one run's loans: one read for all, one write of all their snapshots, then each loan's
    own write; a loan that changed meanwhile (or needs more than one write) goes on alone."""
    outcomes: dict[str, Outcome] = {i: Outcome(i) for i in loan_ids}
    loans = loan_store.get_many_consistent(tenant_id, loan_ids)
    plans: dict[str, Plan] = {}
    alone: list[str] = []
    now = utc_now()
    for loan_id in loan_ids:
        try:
            work = plan(tenant_id, loans[loan_id], through, settings, now) if loan_id in loans else None
        except Exception as error:  # this loan only
            outcomes[loan_id].error = error
            continue
        if work is not None:
            plans[loan_id] = work
    if plans:
        snapshot_store.put_many_loans(tenant_id, {i: p.snapshots for i, p in plans.items()})
    for loan_id, work in plans.items():
        try:
            _write(tenant_id, work)
            outcomes[loan_id].matched = work.matched
            if not work.complete:
                alone.append(loan_id)
        except (StaleWrite, audit_store.AlreadyHandled):
            alone.append(loan_id)
        except Exception as error:
            outcomes[loan_id].error = error
    for loan_id in alone:
        try:
            outcomes[loan_id].matched = maintain_one(tenant_id, loan_id, through, settings) or outcomes[loan_id].matched
        except Exception as error:
            outcomes[loan_id].error = error
    return [outcomes[i] for i in loan_ids]


def record(tenant_id: str, day: date, results: list[job_store.Result]) -> None:
    """Counts a batch's results toward its run; completes the run when every loan is counted."""
    key = _key(day)
    approximate, total = job_store.put_results(tenant_id, key, results)
    if total is not None and approximate >= total:
        _completed(tenant_id, job_store.settle(tenant_id, key, utc_now()))


_SETTINGS: dict[tuple[str, str], Settings] = {}
_SETTINGS_READ = [0.0]
SETTINGS_SECONDS = 30


def _settings() -> dict[tuple[str, str], Settings]:
    """A run's labels and rules, by (tenant, business date), kept across the batches of one warm worker
    for up to 30 s (a rule edited during a run is seen by later batches), not re-read every ten loans."""
    import time

    if time.monotonic() - _SETTINGS_READ[0] > SETTINGS_SECONDS:
        _SETTINGS.clear()
        _SETTINGS_READ[0] = time.monotonic()
    return _SETTINGS


def handle_batch(
    messages: list[tuple[str, dict[str, Any], int]],
    max_receives: int,
    cache: dict[tuple[str, str], Settings] | None = None,
) -> list[str]:
    """One SQS batch: (message id, body, receive count) each. The ids of the messages to deliver
    again. A message of several loans of which some failed is done once those loans are queued again,
    one per message; a message whose loans all failed is delivered again, and on its last delivery its
    loans are counted failed (then it is dead-lettered)."""
    cache = _settings() if cache is None else cache
    failed: list[str] = []
    groups: dict[tuple[str, str], list[tuple[str, list[str], int]]] = {}
    for message_id, body, receives in messages:
        if body.get("type") == "expand":
            try:
                expand(body)
            except Exception:
                logger.exception("maintenance expand failed", extra={"tenant_id": body.get("tenantId")})
                failed.append(message_id)
            continue
        loan_ids = body["loanIds"] if body.get("type") == "loans" else [body["loanId"]]
        groups.setdefault((body["tenantId"], body["businessDate"]), []).append((message_id, loan_ids, receives))
    for (tenant_id, day_text), items in groups.items():
        day = date.fromisoformat(day_text)
        every = [loan_id for _, loan_ids, _ in items for loan_id in loan_ids]
        try:
            if (tenant_id, day_text) not in cache:
                cache[(tenant_id, day_text)] = Settings.read(tenant_id)
            settings = cache[(tenant_id, day_text)]
            # Never past the tenant's today: a run queued before the lender set the business date back
            # brings its loans up to the new date only.
            through = min(day, settings.today)
            outcomes = {o.loan_id: o for o in maintain_many(tenant_id, through, every, settings)}
        except Exception as error:  # the tenant's settings could not be read: the whole group again
            logger.exception("maintenance batch failed", extra={"tenant_id": tenant_id})
            outcomes = {loan_id: Outcome(loan_id, error=error) for loan_id in every}
        results = []
        for message_id, loan_ids, receives in items:
            broken = [outcomes[i] for i in loan_ids if outcomes[i].error is not None]
            for outcome in broken:
                logger.warning(
                    "maintenance of a loan failed",
                    extra={
                        "tenant_id": tenant_id,
                        "loan_id": outcome.loan_id,
                        "receives": receives,
                        "error": repr(outcome.error),
                    },
                )
            if broken and len(broken) < len(loan_ids):
                try:  # the failing loans go on alone; this message is done
                    queues.send(config().maintenance_queue, [_loans(tenant_id, day, [o.loan_id]) for o in broken])
                except Exception:
                    logger.exception("maintenance could not queue failing loans again", extra={"tenant_id": tenant_id})
                    failed.append(message_id)
                    continue
            elif broken:
                failed.append(message_id)
                if receives >= max_receives:
                    results += [
                        job_store.Result(o.loan_id, failed=True, detail={"error": str(o.error)[:500]}) for o in broken
                    ]
            results += [job_store.Result(i, matched=outcomes[i].matched) for i in loan_ids if outcomes[i].error is None]
        record(tenant_id, day, results)
    return failed


def snapshots(
    tenant_id: str, loan_id: str, limit: int, cursor: str | None, since: str | None, until: str | None
) -> Any:
    from . import loans
    from .contract import Page, Snapshot
    from .errors import field_error

    loans.get(tenant_id, loan_id)  # 404 for an unknown loan
    for name, text in (("from", since), ("to", until)):
        if text is not None:
            try:
                date.fromisoformat(text)
                if len(text) != 10:
                    raise ValueError
            except ValueError:
                raise field_error(name, f"{name} must be a date (YYYY-MM-DD)") from None
    items, next_cursor = snapshot_store.page(tenant_id, loan_id, limit, cursor, since, until)
    return Page[Snapshot](items=[Snapshot.model_validate(i) for i in items], next_cursor=next_cursor)
