"""Background jobs on the force-jobs queue (docs/http.md#jobs): forcing one rule on many loans
(docs/rules.md#when-rules-run) and backtests of a big book (docs/rules.md#backtest).

The API creates the job and queues one "expand" message; the worker (functions/force_worker) turns it
into one message per loan (a force) or per slice of loans (a backtest), then runs the rule on each loan as
a force would, or replays the slice. Every step is safe to run twice: a loan's run is marked handled by the
job's id (engine.run_rules), a slice's answer kept once (a conditional marker), each loan's result counted
once (store.jobs), the job completed once.
"""

from __future__ import annotations

import json
from typing import Any

from .. import queues
from ..clock import utc_now
from ..config import config
from ..contract import ForceJobRequest, Job, JobFailure, JobStarted
from ..contract.backtest import BacktestRequest, BacktestResult
from ..errors import Invalid, NotFound
from ..ids import new_id, well_formed
from ..store import jobs as store
from ..store import loans as loan_store
from ..store import rules as rule_store
from .engine import enrolled, run_rules

PAGE = 500
TRIGGER = "force-job"
SLICE = 99  # a backtest slice's loans: their results are counted in one transaction (store.jobs.MAX_RESULTS)
MAX_REQUEST_CHARS = 300_000  # a backtest's request is kept in the job item (DynamoDB: 400 KB an item)


def _key(job_id: str) -> str:
    return f"job#{job_id}"


def start(tenant_id: str, rule_id: str, request: ForceJobRequest) -> JobStarted:
    """Checks the rule and the loans, creates the job, queues it. 404 for an unknown rule; 422
    naming the loan ids that are not this tenant's loans."""
    if not well_formed("rul", rule_id) or rule_store.get(tenant_id, rule_id) is None:
        raise NotFound("rule not found")
    loan_ids = None
    if request.loan_ids is not None:
        loan_ids = list(dict.fromkeys(request.loan_ids))
        malformed = [i for i in loan_ids if not well_formed("loan", i)]
        found = loan_store.get_many(tenant_id, [i for i in loan_ids if i not in malformed])
        unknown = [i for i in loan_ids if i not in found]
        if unknown:
            raise Invalid(
                f"{len(unknown)} of the loanIds are not loans of this tenant",
                [{"field": "loanIds", "message": f"unknown loan {i}"} for i in unknown[:20]],
            )
    job_id = new_id("job")
    store.create(tenant_id, _key(job_id), {"type": "force", "ruleId": rule_id, "loanIds": loan_ids}, utc_now())
    queues.send(config().force_jobs_queue, [{"type": "expand", "tenantId": tenant_id, "jobId": job_id}])
    return JobStarted(job_id=job_id)


def start_backtest(tenant_id: str, request: BacktestRequest) -> JobStarted:
    """A backtest of any number of loans as a job: the rules and loans checked now (404, 422 as the
    synchronous backtest answers), the loans replayed a slice at a time by the worker."""
    from . import backtest

    backtest.rulebooks(tenant_id, request)
    if request.loan_ids is not None:
        backtest.loan_ids(tenant_id, request)
    body = request.model_dump(mode="json", by_alias=True, exclude_none=True)
    if len(json.dumps(body)) > MAX_REQUEST_CHARS:
        raise Invalid(
            f"the backtest request is over {MAX_REQUEST_CHARS:,} characters: save the rules and name them by id"
        )
    job_id = new_id("job")
    store.create(tenant_id, _key(job_id), {"type": "backtest", "request": body}, utc_now())
    queues.send(config().force_jobs_queue, [{"type": "expand", "tenantId": tenant_id, "jobId": job_id}])
    return JobStarted(job_id=job_id)


def get(tenant_id: str, job_id: str) -> Job:
    job = store.get(tenant_id, _key(job_id)) if well_formed("job", job_id) else None
    if job is None:
        raise NotFound("job not found")
    failures = (
        [
            JobFailure(loan_id=r["loanId"], error=r.get("error") or "failed")
            for r in store.results(tenant_id, job.key, failed_only=True, limit=20)
        ]
        if job.failed
        else []
    )
    backtest = job.body.get("type") == "backtest"
    return Job(
        job_id=job_id,
        type="backtest" if backtest else "force",
        rule_id=None if backtest else job.body["ruleId"],
        state=job.state,
        loans_total=job.total,
        loans_done=job.done,
        loans_matched=job.matched,
        loans_failed=job.failed,
        failures=failures,
        created_at=job.created_at,
        finished_at=job.finished_at,
        result=_backtest_result(tenant_id, job) if backtest and job.state == "completed" else None,
    )


def _backtest_result(tenant_id: str, job: store.Job) -> dict[str, Any]:
    from .backtest import merge

    parts = [BacktestResult.model_validate(m["result"]) for m in store.markers(tenant_id, job.key) if "result" in m]
    return merge(parts).model_dump(mode="json", by_alias=True)


def handle(message: dict[str, Any], last_attempt: bool) -> None:
    """One queue message: "expand" (queue the job's loans) or "loan" (force the rule on one loan).
    Raises to have the message delivered again; on its last attempt a failing loan is counted failed
    first (then it goes to the dead-letter queue)."""
    tenant_id, job_id = message["tenantId"], message["jobId"]
    job = store.get(tenant_id, _key(job_id))
    if job is None:
        raise LookupError(f"job {job_id} not found")  # not written yet, or gone: retried, then dead-lettered
    if job.body.get("type") == "backtest":
        if message["type"] == "expand":
            _expand_backtest(tenant_id, job_id, job)
        else:
            _replay_slice(tenant_id, job, message, last_attempt)
    elif message["type"] == "expand":
        _expand(tenant_id, job_id, job)
    else:
        _run_one(tenant_id, job_id, job, message["loanId"], last_attempt)


def _expand_backtest(tenant_id: str, job_id: str, job: store.Job) -> None:
    from .backtest import loan_ids

    if job.total is not None:
        return  # expanded before
    ids = loan_ids(tenant_id, BacktestRequest.model_validate(job.body["request"]), limit=None)
    queues.send(
        config().force_jobs_queue,
        [
            {"type": "slice", "tenantId": tenant_id, "jobId": job_id, "slice": n, "loanIds": ids[at : at + SLICE]}
            for n, at in enumerate(range(0, len(ids), SLICE))
        ],
    )
    store.start(tenant_id, job.key, len(ids))
    store.finish_if_done(tenant_id, job.key, utc_now())


def _replay_slice(tenant_id: str, job: store.Job, message: dict[str, Any], last_attempt: bool) -> None:
    """One slice of a backtest: its answer kept (once), then its loans counted (each once)."""
    from .backtest import backtest_loans

    ids: list[str] = message["loanIds"]
    try:
        part = backtest_loans(tenant_id, BacktestRequest.model_validate(job.body["request"]), ids)
        store.put_marker(
            tenant_id, job.key, f"slice#{message['slice']:06d}", {"result": part.model_dump(mode="json", by_alias=True)}
        )
        matched = {loan.loan_id for loan in part.matches}
        results = [store.Result(i, matched=i in matched) for i in ids]
    except Exception as error:
        if not last_attempt:
            raise
        failed = [store.Result(i, failed=True, detail={"error": f"gave up: {error}"[:500]}) for i in ids]
        store.record(tenant_id, job.key, failed)  # counted failed, the message to the dead-letter queue
        store.finish_if_done(tenant_id, job.key, utc_now())
        raise
    store.record(tenant_id, job.key, results)
    store.finish_if_done(tenant_id, job.key, utc_now())


def _expand(tenant_id: str, job_id: str, job: store.Job) -> None:
    if job.total is not None:
        return  # expanded before
    rule = rule_store.get(tenant_id, job.body["ruleId"])
    loan_ids: list[str] = job.body.get("loanIds") or []
    if rule is not None and job.body.get("loanIds") is None:
        cursor = None
        while True:
            page, cursor = loan_store.page(tenant_id, PAGE, cursor)
            loan_ids += [loan.id for loan in page if enrolled(rule, loan)]
            if cursor is None:
                break
    if rule is None:
        loan_ids = []
    queues.send(
        config().force_jobs_queue,
        [{"type": "loan", "tenantId": tenant_id, "jobId": job_id, "loanId": loan_id} for loan_id in loan_ids],
    )
    store.start(tenant_id, job.key, len(loan_ids))
    store.finish_if_done(tenant_id, job.key, utc_now())


def _run_one(tenant_id: str, job_id: str, job: store.Job, loan_id: str, last_attempt: bool) -> None:
    result = store.Result(loan_id)
    try:
        rule = rule_store.get(tenant_id, job.body["ruleId"])
        if rule is None:
            result = store.Result(loan_id, failed=True, detail={"error": "the rule was deleted"})
        else:
            outcome = run_rules(tenant_id, loan_id, TRIGGER, trigger_id=job_id, only=rule, force=True)
            if outcome.skipped == "handled before" and outcome.before is None:  # a racing delivery: read its marker
                outcome = run_rules(tenant_id, loan_id, TRIGGER, trigger_id=job_id, only=rule, force=True)
            if outcome.skipped == "no such loan":
                result = store.Result(loan_id, failed=True, detail={"error": "the loan no longer exists"})
            elif outcome.skipped == "handled before":
                before = outcome.before or {}
                result = store.Result(
                    loan_id,
                    matched=bool(before.get("matched")),
                    failed=bool(before.get("failed")),
                    detail={"error": "the rule erred: see the loan's audit log"} if before.get("failed") else None,
                )
            else:
                evaluation = outcome.evaluations[0]
                result = store.Result(
                    loan_id,
                    matched=evaluation.matched,
                    failed=evaluation.error is not None,
                    detail={"error": evaluation.error} if evaluation.error else None,
                )
    except Exception as error:
        if not last_attempt:
            raise
        store.record(
            tenant_id, job.key, [store.Result(loan_id, failed=True, detail={"error": f"gave up: {error}"[:500]})]
        )
        store.finish_if_done(tenant_id, job.key, utc_now())
        raise
    store.record(tenant_id, job.key, [result])
    store.finish_if_done(tenant_id, job.key, utc_now())
