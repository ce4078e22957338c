"""Domain events (docs/http.md#webhooks) from the DynamoDB streams, matched to subscriptions and queued.

Nothing is lost: every event comes from a stream record of the change that caused it (loans, customers,
transactions, the audit log, maintenance runs), and the record is only done once its messages are
queued. Nothing is sent twice for one event: the event id is made from the stream record (or, for a
completed run, from the run), each (event, subscription) is one message created once, and the sender
records each attempt once.

A rule's `notify` action sends through its webhook whatever that webhook's `events` and `filter` say;
the variables it sends are those the action saw (kept in the audit entry written with the loan's change).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from .. import queues
from ..automation.context import loan_context, shown
from ..clock import utc_now
from ..config import config
from ..contract import Loan
from ..ids import stable_id
from ..labels import Labels
from ..labels import load as load_labels
from ..rules import compile_rule
from ..store import audit as audit_store
from ..store import customers as customer_store
from ..store import jobs as job_store
from ..store import loans as loan_store
from ..store import transactions as transaction_store
from ..store import webhooks as store
from ..store.records import CUSTOMER_BOOKKEEPING, LOAN_BOOKKEEPING, changed, table_of, written_at
from ..tenancy import business_date, get_tenant
from . import subscriptions

logger = Logger(child=True)

_TRANSACTION_EVENTS = {
    "payment": "payment.posted",
    "reversal": "payment.reversed",
    "charge": "charge.posted",
    "credit": "credit.posted",
    "apd-reset": "apd.reset",
    "stop-interest": "interest.stopped",
    "resume-interest": "interest.resumed",
}


@dataclass
class Event:
    id: str
    type: str
    tenant_id: str
    time: datetime
    data: dict[str, Any]
    loan_id: str | None = None  # events about one loan: templates and filters read its variables
    loan: Loan | None = None  # the loan as the change left it (loan events)
    variables: dict[str, Any] | None = None  # given (a notify action's), else computed from the loan
    notify: list[str] = field(default_factory=list)  # webhook ids a rule's notify action named

    def payload(self) -> dict[str, Any]:
        """The default body: {id, type, timestamp, tenantId, data}."""
        return {
            "id": self.id,
            "type": self.type,
            "timestamp": self.time.isoformat().replace("+00:00", "Z"),
            "tenantId": self.tenant_id,
            "data": self.data,
        }


def _event(kind: str, key: str, tenant_id: str, when: datetime, data: dict[str, Any], **extra: Any) -> Event:
    return Event(stable_id("evt", int(when.timestamp() * 1000), key, kind), kind, tenant_id, when, data, **extra)


def from_record(record: dict[str, Any]) -> list[Event]:
    """The domain events one stream record stands for (none for most bookkeeping writes)."""
    if record.get("eventName") == "REMOVE":
        return []
    images = record.get("dynamodb", {})
    new, old = images.get("NewImage"), images.get("OldImage")
    if not new:
        return []
    table, cfg, when, key = table_of(record), config(), written_at(record), record.get("eventID", "")
    if table == cfg.loans_table:
        return _loan_events(key, when, old, new)
    if table == cfg.customers_table:
        return _customer_events(key, when, old, new)
    if table == cfg.transactions_table:
        kind = new.get("kind", {}).get("S")
        if old is not None or kind not in _TRANSACTION_EVENTS:
            return []
        tx = transaction_store.from_image(new)
        tenant_id = new["tenantId"]["S"]
        return [
            _event(
                _TRANSACTION_EVENTS[kind],
                key,
                tenant_id,
                tx.created_at or when,
                tx.model_dump(mode="json"),
                loan_id=tx.loan_id,
            )
        ]
    if table == cfg.audit_table and old is None:
        found = audit_store.entry_from_image(new)
        if found is None or not found[1].matched or found[1].would_apply is not None:
            return []  # a shadow rule's entry (wouldApply) notifies no one
        tenant_id, entry = found
        notifications = entry.notifications or []
        return [
            _event(
                "rule.applied",
                key,
                tenant_id,
                entry.time,
                entry.model_dump(mode="json"),
                loan_id=entry.loan_id,
                variables=notifications[0]["variables"] if notifications else None,
                notify=[n["webhookId"] for n in notifications],
            )
        ]
    if table == cfg.jobs_table:
        return _run_events(when, old, new)
    return []


def _loan_events(key: str, when: datetime, old: dict | None, new: dict) -> list[Event]:
    loan = loan_store.from_image(new)
    tenant_id = new["tenantId"]["S"]
    data = loan.model_dump(mode="json")
    if old is None:
        return [_event("loan.created", key, tenant_id, loan.created_at, data, loan_id=loan.id, loan=loan)]
    before = loan_store.from_image(old)
    if not changed(old, new, LOAN_BOOKKEEPING):
        return []
    at = loan.updated_at or when
    events = []
    if loan.active and not before.active:
        events.append("loan.activated")
    if (loan.loan_status, loan.loan_sub_status) != (before.loan_status, before.loan_sub_status):
        events.append("loan.status-changed")
        data = {**data, "previousLoanStatus": before.loan_status, "previousLoanSubStatus": before.loan_sub_status}
    if (sorted(loan.portfolios), sorted(loan.sub_portfolios)) != (
        sorted(before.portfolios),
        sorted(before.sub_portfolios),
    ):
        events.append("loan.portfolios-changed")
        data = {**data, "previousPortfolios": before.portfolios, "previousSubPortfolios": before.sub_portfolios}
    if loan.setup.due_date_shifts != before.setup.due_date_shifts:
        events.append("loan.due-date-changed")
        data = {**data, "previousDueDateShifts": [s.model_dump(mode="json") for s in before.setup.due_date_shifts]}
    if loan.bankruptcy != before.bankruptcy:
        events.append("loan.bankruptcy-changed")
        data = {**data, "previousBankruptcy": before.bankruptcy}
    events.append("loan.updated")
    made = [_event(kind, key, tenant_id, at, data, loan_id=loan.id, loan=loan) for kind in events]
    result = (loan.autopay or {}).get("lastResult")
    if result and result != (before.autopay or {}).get("lastResult"):
        made.append(
            _event(
                f"autopay.{result['status']}",
                key,
                tenant_id,
                at,
                {"loanId": loan.id, "autopayId": loan.autopay["id"], **result},  # type: ignore[index]  # set
                loan_id=loan.id,
                loan=loan,
            )
        )
    return made


def _customer_events(key: str, when: datetime, old: dict | None, new: dict) -> list[Event]:
    customer = customer_store.from_image(new)
    tenant_id = new["tenantId"]["S"]
    data = customer.model_dump(mode="json")
    if old is None:
        return [_event("customer.created", key, tenant_id, customer.created_at, data)]
    if not changed(old, new, CUSTOMER_BOOKKEEPING):
        return []
    at = customer.updated_at or when
    before = customer_store.from_image(old)
    events = [_event("customer.updated", key, tenant_id, at, data)]
    if before.status != customer.status:
        events.append(_event("customer.status-changed", key, tenant_id, at, {**data, "previousStatus": before.status}))
    return events


def _run_events(when: datetime, old: dict | None, new: dict) -> list[Event]:
    from ..maintenance import run_id

    if not new.get("sk", {}).get("S", "").startswith("run#"):
        return []
    job, before = job_store.from_image(new), job_store.from_image(old) if old else None
    finished = ("completed", "failed")
    if job.state not in finished or (before is not None and before.state in finished):
        return []
    tenant_id = new["tenantId"]["S"]
    day = job.body["businessDate"]
    data = {
        "runId": run_id(datetime.fromisoformat(day).date()),
        "businessDate": day,
        "state": job.state,
        "loansQueued": job.total,
        "loansDone": job.done,
        "loansFailed": job.failed,
        "startedAt": job.created_at.isoformat() if job.created_at else None,
        "finishedAt": job.finished_at.isoformat() if job.finished_at else None,
    }
    # One event per run however often its completion is written (keyed by the run, not the record).
    return [_event("maintenance.completed", f"{tenant_id}/{job.key}", tenant_id, job.finished_at or when, data)]


# ---------------------------------------------------------------- matching and queueing


class Batch:
    """What the records of one stream batch share: each tenant's subscriptions and business date."""

    def __init__(self) -> None:
        self._hooks: dict[str, list[dict[str, Any]]] = {}
        self._today: dict[str, Any] = {}
        self._labels: dict[str, Labels] = {}

    def hooks(self, tenant_id: str) -> list[dict[str, Any]]:
        if tenant_id not in self._hooks:
            self._hooks[tenant_id] = subscriptions.every_active(tenant_id)
        return self._hooks[tenant_id]

    def today(self, tenant_id: str) -> Any:
        return self._dates(tenant_id)[0]

    def labels(self, tenant_id: str) -> Labels:
        if tenant_id not in self._labels:
            self._labels[tenant_id] = load_labels(tenant_id)
        return self._labels[tenant_id]

    def utc_today(self, tenant_id: str) -> Any:
        """What (u/today) gives: the business-date override, when the tenant has one."""
        return self._dates(tenant_id)[1]

    def _dates(self, tenant_id: str) -> Any:
        if tenant_id not in self._today:
            tenant = get_tenant(tenant_id)
            self._today[tenant_id] = (business_date(tenant), tenant.business_date)
        return self._today[tenant_id]


def _context(event: Event, batch: Batch) -> Callable[[], dict[str, Any] | None]:
    """The loan's variables (Python values, for filters), computed at most once and only when needed."""
    memo: list[dict[str, Any] | None] = []

    def context() -> dict[str, Any] | None:
        if not memo:
            loan = event.loan or (loan_store.get(event.tenant_id, event.loan_id) if event.loan_id else None)
            if loan is None:
                memo.append(None)
            else:
                customers = customer_store.get_many(event.tenant_id, [c.customer_id for c in loan.customers])
                read = functools.partial(transaction_store.every, event.tenant_id, loan.id)
                tenant_id = event.tenant_id
                memo.append(
                    loan_context(
                        loan,
                        customers,
                        batch.today(tenant_id),
                        read,
                        batch.utc_today(tenant_id),
                        labels=functools.partial(batch.labels, tenant_id),
                    )
                )
        return memo[0]

    return context


def _matches(hook: dict[str, Any], event: Event, context: Callable[[], dict[str, Any] | None]) -> bool:
    if event.type not in hook.get("events", []):
        return False
    if not hook.get("filter"):
        return True
    values = context()
    if values is None:
        return False  # a filter reads loan variables: events about no loan never pass one
    try:
        outcome = compile_rule(hook["filter"]).run(values)
    except Exception as failure:  # a stored filter that no longer compiles: this webhook misses the event, loudly
        logger.warning("webhook filter failed", extra={"webhook_id": hook["id"], "error": type(failure).__name__})
        return False
    if outcome.error:
        logger.warning("webhook filter failed", extra={"webhook_id": hook["id"], "error": outcome.error})
    return bool(outcome.matched)


def publish(event: Event, batch: Batch) -> int:
    """Queues the event for every subscription it matches (and every webhook a notify action named);
    the number of messages queued."""
    hooks = batch.hooks(event.tenant_id)
    if not hooks:
        return 0
    context = _context(event, batch)
    chosen = [h for h in hooks if h["id"] in event.notify or _matches(h, event, context)]
    if not chosen:
        return 0
    variables = event.variables
    if variables is None and event.loan_id:
        values = context()
        variables = None if values is None else {k: shown(v) for k, v in values.items()}
    millis = int(event.time.timestamp() * 1000)
    messages = []
    for hook in chosen:
        message_id = stable_id("msg", millis, event.id, hook["id"])
        store.put_message(
            event.tenant_id,
            hook["id"],
            message_id,
            {
                "event": event.type,
                "eventId": event.id,
                "payload": json.loads(json.dumps(event.payload(), default=str)),
                "variables": variables or {},
                "createdAt": utc_now().isoformat(),
            },
        )
        # Queued even when an earlier delivery of this record made the message (it may have died before
        # queueing it): the sender's claims keep two copies of a message from both sending.
        messages.append(
            {"tenantId": event.tenant_id, "webhookId": hook["id"], "messageId": message_id, "round": 1, "attempt": 1}
        )
    queues.send(config().webhook_queue, messages)
    return len(messages)


def _tenant_of(record: dict[str, Any]) -> str | None:
    image = record.get("dynamodb", {}).get("NewImage") or {}
    if "tenantId" in image:
        return image["tenantId"].get("S")
    if "loanKey" in image:  # the audit log: "<tenant>#<loan>"
        return image["loanKey"].get("S", "").split("#", 1)[0]
    return None


def handle(record: dict[str, Any], batch: Batch) -> int:
    """One stream record: its events, published; the number of messages queued. A tenant without
    webhooks costs one read per batch, nothing per record."""
    tenant_id = _tenant_of(record)
    if tenant_id is not None and not batch.hooks(tenant_id):
        return 0
    return sum(publish(event, batch) for event in from_record(record))
