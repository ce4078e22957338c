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

from .errors import CONDITION_FAILED, cancellation_codes, condition_failed
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
    return Job(
        key=item.sk,
        state=item.state or "queued",
        total=None if item.total is None else int(item.total),
        done=int(item.done or 0),
        matched=int(item.matched or 0),
        failed=int(item.failed or 0),
        body=dict(item.body or {}),
        created_at=item.created_at,
        finished_at=item.finished_at,
    )


def create(tenant_id: str, key: str, body: dict[str, Any], now: datetime) -> bool:
    """A new job; False when one with this key exists already (two dispatchers, one run)."""
    item = JobItem(tenant_id, key, state="queued", done=0, matched=0, failed=0, body=body, created_at=now)
    try:
        item.save(condition=JobItem.sk.does_not_exist())
    except PutError as error:
        if condition_failed(error):
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
        if not condition_failed(error):
            raise
    return _job(JobItem.get(tenant_id, key, consistent_read=True))


RESULT_DAYS = 35  # results and markers expire (DynamoDB TTL); the job item itself is kept


def _result_key(key: str, loan_id: str) -> str:
    return f"res#{key}#{loan_id}"


def _expires(now: datetime | None = None) -> int:
    from ..clock import utc_now

    return int((now or utc_now()).timestamp()) + RESULT_DAYS * 86400


def record(tenant_id: str, key: str, results: list[Result]) -> None:
    """Adds results to the job: each counted once, however often it is recorded."""
    for start_at in range(0, len(results), MAX_RESULTS):
        chunk = results[start_at : start_at + MAX_RESULTS]
        try:
            _record(tenant_id, key, chunk)
        except TransactWriteError as error:
            reasons = cancellation_codes(error)
            if CONDITION_FAILED not in reasons or len(chunk) == 1:
                if len(chunk) == 1 and reasons and reasons[0] == CONDITION_FAILED:
                    continue  # recorded before
                raise
            for result in chunk:  # some were recorded before: one at a time
                record(tenant_id, key, [result])


def _record(tenant_id: str, key: str, results: list[Result]) -> None:
    with TransactWrite(connection=JobItem._get_connection().connection) as write:
        for result in results:
            write.save(
                JobItem(
                    tenant_id,
                    _result_key(key, result.loan_id),
                    state="failed" if result.failed else "done",
                    body={"loanId": result.loan_id, "matched": result.matched, **(result.detail or {})},
                    expires_at=_expires(),
                ),
                condition=JobItem.sk.does_not_exist(),
            )
        write.update(
            JobItem(tenant_id, key),
            actions=[
                JobItem.done.add(len(results)),
                JobItem.matched.add(sum(r.matched for r in results)),
                JobItem.failed.add(sum(r.failed for r in results)),
            ],
            condition=JobItem.sk.exists(),
        )


def _finish(tenant_id: str, key: str, total: int, failed: int, now: datetime, *actions: Any) -> Job | None:
    """The conditional state change that completes a job (`failed` only when every loan failed): the
    finished job for the one caller whose change it was, None for everyone else."""
    state = "failed" if total and failed >= total else "completed"
    try:
        JobItem(tenant_id, key).update(
            actions=[JobItem.state.set(state), JobItem.finished_at.set(now), *actions],
            condition=JobItem.state.is_in("queued", "running"),
        )
    except UpdateError as error:
        if condition_failed(error):
            return None
        raise
    return get(tenant_id, key)


def finish_if_done(tenant_id: str, key: str, now: datetime) -> Job | None:
    """Completes the job when every loan is counted: the finished job for the one caller that
    completed it, None for everyone else (not done yet, or completed by another caller)."""
    job = get(tenant_id, key)
    if job is None or job.total is None or job.done < job.total or job.state in ("completed", "failed"):
        return None
    return _finish(tenant_id, key, job.total, job.failed, now)


def results(tenant_id: str, key: str, failed_only: bool = False, limit: int = 100) -> list[dict[str, Any]]:
    """Recorded results of the job (the failed ones only, if asked), oldest loan id first."""
    items = JobItem.query(
        tenant_id,
        JobItem.sk.startswith(f"res#{key}#"),
        consistent_read=True,
        filter_condition=(JobItem.state == "failed") if failed_only else None,
    )
    out = []
    for item in items:
        out.append(dict(item.body or {}))
        if len(out) >= limit:
            break
    return out


# ---------------------------------------------------------------- many loans (maintenance runs)
# A transaction per result would make a 10,000-loan run pay for 10,000 transactions. Instead each
# batch writes its results (BatchWriteItem: a result item is the same however often it is written)
# and adds to an approximate counter, which can only run ahead (a redelivered batch adds again),
# never behind. When it reaches the total, the results are counted exactly (a COUNT query).


def put_results(tenant_id: str, key: str, results: list[Result]) -> tuple[int, int | None]:
    """Writes the results and adds their number to the job's approximate count; (the new count, the
    job's total if known). A finished job: (0, None)."""
    if not results:
        return 0, None
    with JobItem.batch_write() as batch:
        for result in results:
            batch.save(
                JobItem(
                    tenant_id,
                    _result_key(key, result.loan_id),
                    state="failed" if result.failed else "done",
                    body={"loanId": result.loan_id, "matched": result.matched, **(result.detail or {})},
                    expires_at=_expires(),
                )
            )
    item = JobItem(tenant_id, key)
    try:  # a finished job's counts are exact: a late duplicate adds nothing
        item.update(actions=[JobItem.done.add(len(results))], condition=JobItem.state.is_in("queued", "running"))
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return 0, None
    return int(item.done or 0), None if item.total is None else int(item.total)


def count(tenant_id: str, key: str) -> tuple[int, int]:
    """(results, failed results) of the job, counted exactly."""
    prefix = JobItem.sk.startswith(f"res#{key}#")
    done = JobItem.count(tenant_id, prefix, consistent_read=True)
    failed = JobItem.count(tenant_id, prefix, consistent_read=True, filter_condition=JobItem.state == "failed")
    return done, failed


def settle(tenant_id: str, key: str, now: datetime) -> Job | None:
    """Completes a job whose every loan has a result (counted exactly, counters corrected): the job
    for the one caller that completed it, None otherwise."""
    job = get(tenant_id, key)
    if job is None or job.total is None or job.state in ("completed", "failed"):
        return None
    done, failed = count(tenant_id, key)
    if done < job.total:
        return None
    return _finish(tenant_id, key, job.total, failed, now, JobItem.done.set(done), JobItem.failed.set(failed))


def unfinished(tenant_id: str, prefix: str) -> list[Job]:
    """The tenant's jobs under a key prefix ("run#") that have not finished."""
    items = JobItem.query(
        tenant_id,
        JobItem.sk.startswith(prefix),
        consistent_read=True,
        filter_condition=JobItem.state.is_in("queued", "running"),
    )
    return [_job(item) for item in items]


def put_marker(tenant_id: str, key: str, name: str, body: dict[str, Any]) -> bool:
    """A conditional marker item of the job (a page of its loans queued): False if it exists."""
    try:
        JobItem(tenant_id, f"mark#{key}#{name}", body=body, expires_at=_expires()).save(
            condition=JobItem.sk.does_not_exist()
        )
    except PutError as error:
        if condition_failed(error):
            return False
        raise
    return True


def markers(tenant_id: str, key: str) -> list[dict[str, Any]]:
    return [
        dict(item.body or {})
        for item in JobItem.query(tenant_id, JobItem.sk.startswith(f"mark#{key}#"), consistent_read=True)
    ]


def from_image(image: dict) -> Job:
    """A job from a stream record's image (DynamoDB JSON)."""
    return _job(JobItem.from_raw_data(image))
