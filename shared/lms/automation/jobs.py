"""Force one rule on many loans as a background job (docs/rules.md#when-rules-run, docs/http.md#jobs).

The API creates the job and queues one "expand" message; the worker (functions/force_worker) turns it
into one message per loan, then runs the rule on each loan as a force would. Every step is safe to
run twice: a loan's run is marked handled by the job's id (engine.run_rules), its result counted once
(store.jobs), the job completed once.
"""

from __future__ import annotations

from typing import Any

from .. import queues
from ..clock import utc_now
from ..config import config
from ..contract import ForceJobRequest, Job, JobFailure, JobStarted
from ..errors import Invalid, NotFound
from ..ids import new_id, well_formed
from ..store import jobs as store
from ..store import loans as loan_store
from ..store import rules as rule_store
from .engine import enrolled, run_rules

PAGE = 500
TRIGGER = "force-job"


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
    return Job(
        job_id=job_id,
        type="force",
        rule_id=job.body["ruleId"],
        state=job.state,
        loans_total=job.total,
        loans_done=job.done,
        loans_matched=job.matched,
        loans_failed=job.failed,
        failures=failures,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def handle(message: dict[str, Any], last_attempt: bool) -> None:
    """One queue message: "expand" (queue the job's loans) or "loan" (force the rule on one loan).
    Raises to have the message delivered again; on its last attempt a failing loan is counted failed
    first (then it goes to the dead-letter queue)."""
    tenant_id, job_id = message["tenantId"], message["jobId"]
    job = store.get(tenant_id, _key(job_id))
    if job is None:
        raise LookupError(f"job {job_id} not found")  # not written yet, or gone: retried, then dead-lettered
    if message["type"] == "expand":
        _expand(tenant_id, job_id, job)
    else:
        _run_one(tenant_id, job_id, job, message["loanId"], last_attempt)


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
