"""Background jobs and their progress: a job item with counters, and one result item per (job, loan).

A result and the counters it adds are written in one transaction, conditional on the result being
new: a message delivered twice counts once. Completion is a conditional state change, so exactly
one caller learns that it completed the job.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from .tables import JobItem

MAX_RESULTS = 99  # one transaction: the results and the job's counters


@dataclass(frozen=True)
class Job:
    key: str
    state: str
    total: int | None
    done: int
    matched: int
    failed: int
    body: dict[str, Any]
    created_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class Result:
    loan_id: str
    matched: bool = False
    failed: bool = False
    detail: dict[str, Any] | None = None


def _job(item: JobItem) -> Job:
    return Job(key=item.sk, state=item.state or "queued", total=None if item.total is None else int(item.total),
               done=int(item.done or 0), matched=int(item.matched or 0), failed=int(item.failed or 0),
               body=dict(item.body or {}), created_at=item.created_at, finished_at=item.finished_at)


def create(tenant_id: str, key: str, body: dict[str, Any], now: datetime) -> bool:
    """A new job; False when one with this key exists already (two dispatchers, one run)."""
    item = JobItem(tenant_id, key, state="queued", done=0, matched=0, failed=0, body=body, created_at=now)
    try:
        item.save(condition=JobItem.sk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get(tenant_id: str, key: str) -> Job | None:
    try:
        return _job(JobItem.get(tenant_id, key, consistent_read=True))
    except DoesNotExist:
        return None


def start(tenant_id: str, key: str, total: int) -> Job:
    """The job's total is known (its loans are all queued): running, unless already finished."""
    item = JobItem(tenant_id, key)
    item.update(actions=[JobItem.total.set(total)], condition=JobItem.sk.exists())
    try:
        item.update(actions=[JobItem.state.set("running")], condition=JobItem.state == "queued")
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    return _job(JobItem.get(tenant_id, key, consistent_read=True))


def _result_key(key: str, loan_id: str) -> str:
    return f"{key}#loan#{loan_id}"


def record(tenant_id: str, key: str, results: list[Result]) -> None:
    """Adds results to the job: each counted once, however often it is recorded."""
    for start_at in range(0, len(results), MAX_RESULTS):
        chunk = results[start_at:start_at + MAX_RESULTS]
        try:
            _record(tenant_id, key, chunk)
        except TransactWriteError as error:
            reasons = [r.code if r is not None else None for r in (error.cancellation_reasons or [])]
            if "ConditionalCheckFailed" not in reasons or len(chunk) == 1:
                if len(chunk) == 1 and reasons and reasons[0] == "ConditionalCheckFailed":
                    continue  # recorded before
                raise
            for result in chunk:  # some were recorded before: one at a time
                record(tenant_id, key, [result])


def _record(tenant_id: str, key: str, results: list[Result]) -> None:
    with TransactWrite(connection=JobItem._get_connection().connection) as write:
        for result in results:
            write.save(JobItem(tenant_id, _result_key(key, result.loan_id), state="failed" if result.failed else "done",
                               body={"loanId": result.loan_id, "matched": result.matched, **(result.detail or {})}),
                       condition=JobItem.sk.does_not_exist())
        write.update(JobItem(tenant_id, key), actions=[
            JobItem.done.add(len(results)),
            JobItem.matched.add(sum(r.matched for r in results)),
            JobItem.failed.add(sum(r.failed for r in results)),
        ], condition=JobItem.sk.exists())


def finish_if_done(tenant_id: str, key: str, now: datetime) -> Job | None:
    """Completes the job when every loan is counted: the finished job for the one caller that
    completed it, None for everyone else (not done yet, or completed by another caller)."""
    job = get(tenant_id, key)
    if job is None or job.total is None or job.done < job.total or job.state in ("completed", "failed"):
        return None
    state = "completed" if job.failed < job.total or job.total == 0 else "failed"
    try:
        JobItem(tenant_id, key).update(actions=[JobItem.state.set(state), JobItem.finished_at.set(now)],
                                       condition=JobItem.state.is_in("queued", "running"))
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return get(tenant_id, key)


def results(tenant_id: str, key: str, failed_only: bool = False, limit: int = 100) -> list[dict[str, Any]]:
    """Recorded results of the job (the failed ones only, if asked), oldest loan id first."""
    items = JobItem.query(tenant_id, JobItem.sk.startswith(f"{key}#loan#"), consistent_read=True,
                          filter_condition=(JobItem.state == "failed") if failed_only else None)
    out = []
    for item in items:
        out.append(dict(item.body or {}))
        if len(out) >= limit:
            break
    return out
