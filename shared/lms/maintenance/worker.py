"""The maintenance queue's worker: expand messages page through a tenant's active loans, loans messages
maintain a batch of them (a failing loan goes on alone), and each batch is counted toward its run."""

from __future__ import annotations

from datetime import date
from typing import Any

from aws_lambda_powertools import Logger

from .. import queues
from ..automation.engine import Settings
from ..clock import utc_now
from ..config import config
from ..store import jobs as job_store
from ..store import loans as loan_store
from .days import LoanOutcome, maintain_many
from .runs import LOANS_PER_MESSAGE, PAGE, announce, expand_message, loans_message, run_key

logger = Logger(child=True)


def expand(message: dict[str, Any]) -> None:
    """Queues one page of the tenant's active loans, then the next page (or, after the last, the total)."""
    tenant_id, day = message["tenantId"], date.fromisoformat(message["businessDate"])
    key = run_key(day)
    job = job_store.get(tenant_id, key)
    if job is None:
        raise LookupError(f"maintenance run {key} of {tenant_id} not found")
    if job.total is not None:
        return  # every page queued before
    ids, cursor = loan_store.active_ids_page(tenant_id, PAGE, message.get("cursor"))
    queues.send(
        config().maintenance_queue,
        [loans_message(tenant_id, day, ids[i : i + LOANS_PER_MESSAGE]) for i in range(0, len(ids), LOANS_PER_MESSAGE)],
    )
    job_store.put_marker(tenant_id, key, f"page#{message['page']:06d}", {"count": len(ids)})
    if cursor is not None:
        queues.send(config().maintenance_queue, [expand_message(tenant_id, day, cursor, message["page"] + 1)])
        return
    total = sum(int(m["count"]) for m in job_store.markers(tenant_id, key))
    job_store.start(tenant_id, key, total)
    announce(tenant_id, job_store.settle(tenant_id, key, utc_now()))


def record(tenant_id: str, day: date, results: list[job_store.Result]) -> None:
    """Counts a batch's results toward its run; completes the run when every loan is counted."""
    key = run_key(day)
    approximate, total = job_store.put_results(tenant_id, key, results)
    if total is not None and approximate >= total:
        announce(tenant_id, job_store.settle(tenant_id, key, utc_now()))


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
            outcomes = {loan_id: LoanOutcome(loan_id, error=error) for loan_id in every}
        results = []
        for message_id, loan_ids, receives in items:
            counted = _message_results(tenant_id, day, loan_ids, receives, max_receives, outcomes)
            if counted is None:
                failed.append(message_id)  # delivered again
                continue
            done, later = counted
            results += done
            if later:
                failed.append(message_id)
        record(tenant_id, day, results)
    return failed


def _message_results(
    tenant_id: str, day: date, loan_ids: list[str], receives: int, max_receives: int, outcomes: dict[str, LoanOutcome]
) -> tuple[list[job_store.Result], bool] | None:
    """One message's results to count, and whether it is to be delivered again; None when it is to be
    delivered again with nothing counted (its failing loans could not be queued on their own)."""
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
    results = [job_store.Result(i, matched=outcomes[i].matched) for i in loan_ids if outcomes[i].error is None]
    if not broken:
        return results, False
    if len(broken) < len(loan_ids):
        try:  # the failing loans go on alone; this message is done
            queues.send(config().maintenance_queue, [loans_message(tenant_id, day, [o.loan_id]) for o in broken])
        except Exception:
            logger.exception("maintenance could not queue failing loans again", extra={"tenant_id": tenant_id})
            return None
        return results, False
    if receives >= max_receives:  # the last delivery: its loans are counted failed (then it is dead-lettered)
        results += [job_store.Result(o.loan_id, failed=True, detail={"error": str(o.error)[:500]}) for o in broken]
    return results, True
