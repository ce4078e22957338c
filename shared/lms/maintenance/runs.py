"""A maintenance run's life: one per tenant and business date, created by the schedule (dispatch) or
POST /maintenance/runs, followed at GET /maintenance/runs/{id}, completed once every loan is counted."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger

from .. import measures, queues
from ..clock import utc_now
from ..config import config
from ..contract import MaintenanceRun, MaintenanceRunStarted, Tenant
from ..errors import Invalid, NotFound
from ..store import jobs as job_store
from ..store import settings as settings_store
from ..tenancy import business_date, get_tenant

logger = Logger(child=True)


PAGE = 1000  # loans per expand message
LOANS_PER_MESSAGE = 25  # loans per worker message (a loan that fails is sent again alone)
_RUN_ID = re.compile(r"^run-(\d{4}-\d{2}-\d{2})$")


def run_id(day: date) -> str:
    return f"run-{day.isoformat()}"


def run_key(day: date) -> str:
    return f"run#{day.isoformat()}"


def expand_message(tenant_id: str, day: date, cursor: str | None, page: int) -> dict[str, Any]:
    return {"type": "expand", "tenantId": tenant_id, "businessDate": day.isoformat(), "cursor": cursor, "page": page}


def loans_message(tenant_id: str, day: date, loan_ids: list[str]) -> dict[str, Any]:
    return {"type": "loans", "tenantId": tenant_id, "businessDate": day.isoformat(), "loanIds": loan_ids}


def announce(tenant_id: str, job: job_store.Job | None) -> None:
    if job is not None:
        measures.count("MaintenanceRunsFailed" if job.state == "failed" else "MaintenanceRunsCompleted")
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
        tenant_id, run_key(day), {"type": "maintenance", "businessDate": day.isoformat(), "source": source}, now
    )
    if created:
        queues.send(config().maintenance_queue, [expand_message(tenant_id, day, None, 0)])
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
        if job_store.get(tenant_id, run_key(day)) is None:
            identifier, new = start_run(tenant_id, day, "schedule", now)
            if new:
                created.append((tenant_id, identifier))
        for job in job_store.unfinished(tenant_id, "run#"):
            if job.total is not None and job.done >= job.total:
                announce(tenant_id, job_store.settle(tenant_id, job.key, now))
            elif job.created_at is not None and now - job.created_at > timedelta(hours=measures.LATE_HOURS):
                measures.count("MaintenanceRunsLate")
                logger.warning(
                    "maintenance run late",
                    extra={"tenant_id": tenant_id, "run": job.key, "done": job.done, "total": job.total},
                )
    return created


def get_run(tenant_id: str, identifier: str) -> MaintenanceRun:
    match = _RUN_ID.match(identifier)
    job = None
    if match:
        try:
            job = job_store.get(tenant_id, run_key(date.fromisoformat(match.group(1))))
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
