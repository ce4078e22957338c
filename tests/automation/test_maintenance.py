"""Daily maintenance (issue 6): runs per business date through the queue and worker, catch-up day by
day, snapshots, daily rules, idempotent delivery, each tenant at its own local hour."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest

from local.queues import drain_all
from tests.automation.test_delivery import _stable
from tests.conftest import make_customer, new_tenant

SETUP = {
    "loanAmount": "5000.00",
    "interestRate": "12",
    "termPeriods": 24,
    "paymentFrequency": "monthly",
    "contractDate": "2026-01-10",
    "firstPaymentDate": "2026-02-10",
}
CHARGE_OFF = {
    "name": "Charge off",
    "criteria": "(and (> status-days-past-due 120) (> status-payoff 0))",
    "evalRealTime": False,
    "actions": [
        {"type": "credit", "amount": {"base": "payoff"}, "category": "Charge-off", "chargeOff": True},
        {"type": "loan-settings", "loanStatus": "Closed", "loanSubStatus": "Charged Off"},
    ],
}


def _loans(api, count: int = 1, **setup) -> list[dict]:
    customer = make_customer(api)
    made = []
    for _ in range(count):
        loan = api.post(
            "/loans", {"setup": {**SETUP, **setup}, "customers": [{"customerId": customer["id"], "role": "primary"}]}
        )
        assert loan.status == 201, loan
        assert api.post(f"/loans/{loan.json['id']}/activate").status == 200
        made.append(loan.json)
    return made


def _run(api, day: str, queue_pump, pump) -> dict:
    """The tenant's business date moves to `day` and its maintenance runs, through queue and worker."""
    assert api.put("/tenant", {"businessDate": day}).status == 200
    started = api.post("/maintenance/runs", {})
    assert started.status == 202, started
    drain_all(queue_pump, pump)
    run = api.get(f"/maintenance/runs/{started.json['runId']}")
    assert run.status == 200, run
    return run.json


def _snapshots(api, loan_id) -> list[dict]:
    items, cursor = [], None
    while True:
        page = api.get(
            f"/loans/{loan_id}/snapshots", query={"limit": 500, **({"cursor": cursor} if cursor else {})}
        ).json
        items += page["items"]
        cursor = page["nextCursor"]
        if not cursor:
            return items


def _days(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


@pytest.fixture
def lender(api):
    assert api.put("/tenant", {"businessDate": "2026-01-10"}).status == 200
    return api


def test_charge_off_on_exactly_the_first_day_past_120_days_running_day_by_day(lender, queue_pump, pump):
    api = lender
    [loan] = _loans(api)
    bystander = _loans(api, firstPaymentDate="2026-03-10")[0]
    assert api.post("/rules", CHARGE_OFF).status == 201
    # Nightly runs through January, a catch-up to early June, then nightly again around day 121.
    for day in _days("2026-01-10", "2026-01-14") + ["2026-06-06"] + _days("2026-06-07", "2026-06-13"):
        run = _run(api, day, queue_pump, pump)
        # A charged-off loan is still maintained (closed, not archived): its snapshots go on.
        assert (run["businessDate"], run["state"], run["loansQueued"], run["loansDone"], run["loansFailed"]) == (
            day,
            "completed",
            2,
            2,
            0,
        ), run
        shown = api.get(f"/loans/{loan['id']}").json
        assert shown["chargedOff"] is (day >= "2026-06-11"), (day, shown["values"])
        assert shown["maintainedThrough"] == day

    # The credit is dated the first day DPD exceeded 120 (DPD 1 is the day after the 2026-02-10 due date).
    credits = [t for t in api.get(f"/loans/{loan['id']}/transactions").json["items"] if t["type"] == "credit"]
    assert [(t["date"], t["chargeOff"], t["source"]) for t in credits] == [("2026-06-11", True, "rule")]
    shown = api.get(f"/loans/{loan['id']}").json
    assert (shown["loanStatus"], shown["loanSubStatus"], shown["values"]["payoff"]) == ("Closed", "Charged Off", "0.00")
    [entry] = api.get(f"/loans/{loan['id']}/rule-applications").json["items"]
    assert (entry["trigger"], entry["businessDate"], entry["variables"]["status-days-past-due"]) == (
        "daily",
        "2026-06-11",
        121,
    )

    snaps = _snapshots(api, loan["id"])
    assert [s["date"] for s in snaps] == _days("2026-01-10", "2026-06-13")  # every day, once
    by_day = {s["date"]: s for s in snaps}
    assert by_day["2026-02-10"]["values"]["daysPastDue"] == 0 and by_day["2026-02-11"]["values"]["daysPastDue"] == 1
    assert by_day["2026-06-10"]["values"]["daysPastDue"] == 120 and not by_day["2026-06-10"]["chargedOff"]
    # A day's snapshot is taken before its daily rules (docs/servicing.md#charge-off): the charge-off shows
    # the day after.
    assert by_day["2026-06-11"]["values"]["daysPastDue"] == 121 and not by_day["2026-06-11"]["chargedOff"]
    assert by_day["2026-06-12"]["chargedOff"] and by_day["2026-06-12"]["loanStatus"] == "Closed"
    assert not any(s["chargedOff"] for s in _snapshots(api, bystander["id"]))
    # Stepping day by day gave exactly what a recomputation from the contract date gives.
    from lms import transactions
    from lms.labels import load as load_labels
    from lms.store import loans as loan_store

    stored = loan_store.get(api.tenant_id, loan["id"])
    assert stored is not None
    from lms.store import transactions as transaction_store

    again, _ = transactions.replay_transactions(
        stored, transaction_store.every(api.tenant_id, loan["id"]), stored.as_of, load_labels(api.tenant_id)
    )
    assert again.values == stored.values and again.ledger == stored.ledger


def test_a_run_ten_days_later_catches_every_loan_up_day_by_day(lender, queue_pump, pump):
    api = lender
    assert api.post("/checklist-items", {"title": "Ten days late"}).status == 201
    early = _loans(api, 2)
    late = _loans(api, 1, firstPaymentDate="2026-02-12")
    rule = api.post(
        "/rules",
        {
            "name": "Ten",
            "criteria": "(= status-days-past-due 10)",
            "evalRealTime": False,
            "actions": [{"type": "loan-checklist", "check": ["Ten days late"]}],
        },
    ).json
    assert _run(api, "2026-02-15", queue_pump, pump)["state"] == "completed"
    run = _run(api, "2026-02-25", queue_pump, pump)
    assert (run["state"], run["loansQueued"], run["loansDone"]) == ("completed", 3, 3)
    for loan, fired in [(early[0], "2026-02-20"), (early[1], "2026-02-20"), (late[0], "2026-02-22")]:
        entries = api.get(f"/loans/{loan['id']}/rule-applications").json["items"]
        assert [(e["ruleId"], e["businessDate"]) for e in entries] == [(rule["id"], fired)]
        assert api.get(f"/loans/{loan['id']}").json["checklist"] == ["Ten days late"]
        assert [s["date"] for s in _snapshots(api, loan["id"])] == _days("2026-01-10", "2026-02-25")
        values = api.get(f"/loans/{loan['id']}").json
        assert (values["asOf"], values["maintainedThrough"]) == ("2026-02-25", "2026-02-25")


def _scenario(api, queue_pump, pump) -> dict:
    """Four loans, two daily rules (one changing the loan, one charging off), runs with a catch-up."""
    assert api.put("/tenant", {"businessDate": "2026-01-10"}).status == 200
    assert api.post("/checklist-items", {"title": "Thirty"}).status == 201
    loans = _loans(api, 3) + _loans(api, 1, firstPaymentDate="2026-03-10")
    rules = [
        api.post("/rules", CHARGE_OFF).json,
        api.post(
            "/rules",
            {
                "name": "Thirty",
                "criteria": "(= status-days-past-due 30)",
                "evalRealTime": False,
                "actions": [{"type": "loan-checklist", "check": ["Thirty"]}],
            },
        ).json,
    ]
    assert api.post(f"/loans/{loans[1]['id']}/payments", {"amount": "300.00"}).status == 201
    for day in ("2026-02-01", "2026-03-15", "2026-03-16", "2026-06-20"):
        run = _run(api, day, queue_pump, pump)
        assert (run["state"], run["loansDone"], run["loansFailed"]) == ("completed", run["loansQueued"], 0), run
    ids = {r["id"]: f"rule#{i}" for i, r in enumerate(rules)}
    ids.update({loan["id"]: f"loan#{i}" for i, loan in enumerate(loans)})
    return {
        "loans": [_stable(api.get(f"/loans/{loan['id']}").json, ids) for loan in loans],
        "snapshots": [_stable(_snapshots(api, loan["id"]), ids) for loan in loans],
        "audit": [_stable(api.get(f"/loans/{loan['id']}/rule-applications").json["items"], ids) for loan in loans],
        "transactions": [_stable(api.get(f"/loans/{loan['id']}/transactions").json["items"], ids) for loan in loans],
    }


def test_every_message_twice_and_a_worker_killed_mid_batch_give_the_clean_runs_result(
    aws, queue_pump, pump, monkeypatch
):
    clean = _scenario(new_tenant("Clean"), queue_pump, pump)
    assert any(s for s in clean["audit"]) and any(clean["transactions"])  # the rules did act

    real = queue_pump.handler("MaintenanceWorkerFunction")
    queue_pump.set_handler(
        "MaintenanceWorkerFunction", lambda event, context: (real(event, context), real(event, context))[1]
    )
    twice = _scenario(new_tenant("Twice"), queue_pump, pump)

    # Killed in the middle of a batch: after some of its loans were written, before the others (and before
    # the batch's results were counted). The pump sees the invocation die and delivers the batch again.
    from lms.maintenance import days

    real_write = days.write_loan
    writes: list[str] = []  # loan ids, each time one is written
    kills: list[str] = []  # loan ids whose write was killed

    class Killed(BaseException):
        pass

    def write_then_die(tenant_id, work):
        writes.append(work.loan.id)
        if len(writes) % 3 == 2 and len(kills) < 4:
            kills.append(work.loan.id)
            raise Killed()
        return real_write(tenant_id, work)

    def killed_mid_batch(event, context):
        try:
            return real(event, context)
        except Killed:
            raise SystemError("worker killed") from None

    queue_pump.set_handler("MaintenanceWorkerFunction", killed_mid_batch)
    monkeypatch.setattr(days, "write_loan", write_then_die)
    killed = _scenario(new_tenant("Killed"), queue_pump, pump)
    assert len(kills) == 4, "the worker was never killed: the test proves nothing"

    for name in ("loans", "snapshots", "audit", "transactions"):
        assert twice[name] == clean[name], name
        assert killed[name] == clean[name], name


def test_a_loan_that_keeps_failing_is_dead_lettered_counted_and_blocks_no_other(lender, queue_pump, pump, monkeypatch):
    api = lender
    loans = _loans(api, 3)
    from lms.maintenance import days

    real_plan = days.plan

    def broken(tenant_id, loan, *args, **kwargs):
        if loan.id == loans[1]["id"]:
            raise ValueError("corrupt loan")
        return real_plan(tenant_id, loan, *args, **kwargs)

    monkeypatch.setattr(days, "plan", broken)
    run = _run(api, "2026-01-20", queue_pump, pump)
    assert (run["state"], run["loansQueued"], run["loansDone"], run["loansFailed"]) == ("completed", 3, 3, 1)
    assert [api.get(f"/loans/{loan['id']}").json["maintainedThrough"] for loan in loans] == [
        "2026-01-20",
        "2026-01-09",
        "2026-01-20",
    ]
    sqs = boto3.client("sqs", region_name="us-east-1")
    dead = sqs.receive_message(
        QueueUrl=sqs.get_queue_url(QueueName="MaintenanceDeadLetterQueue")["QueueUrl"], MaxNumberOfMessages=10
    )["Messages"]
    # The three loans went in one message; the failing one went on alone, so only it is dead-lettered.
    assert [json.loads(m["Body"])["loanIds"] for m in dead] == [[loans[1]["id"]]]


def test_a_run_is_idempotent_per_date_and_never_ahead_of_the_tenant(lender, queue_pump, pump):
    api = lender
    _loans(api, 2)
    first = api.post("/maintenance/runs", {"businessDate": "2026-01-10"})
    second = api.post("/maintenance/runs", {"businessDate": "2026-01-10"})
    assert first.status == second.status == 202 and first.json == second.json == {"runId": "run-2026-01-10"}
    drain_all(queue_pump, pump)
    assert api.get("/maintenance/runs/run-2026-01-10").json["loansDone"] == 2
    ahead = api.post("/maintenance/runs", {"businessDate": "2026-01-11"})
    assert ahead.status == 422 and ahead.json["error"]["details"][0]["field"] == "businessDate"
    for unknown in ("run-2026-01-09", "run-2026-02-30", "nope", "run-" + "9" * 300):
        got = api.get(f"/maintenance/runs/{unknown}")
        assert got.status == 404, (unknown, got)


def test_an_earlier_date_leaves_loans_maintained_past_it_alone(lender, queue_pump, pump):
    api = lender
    [loan] = _loans(api)
    _run(api, "2026-01-20", queue_pump, pump)
    before = api.get(f"/loans/{loan['id']}").json
    run = _run(api, "2026-01-15", queue_pump, pump)
    assert (run["state"], run["loansDone"]) == ("completed", 1)
    assert api.get(f"/loans/{loan['id']}").json == before


def test_a_run_queued_before_the_business_date_moved_back_never_takes_a_loan_past_it(lender, queue_pump, pump):
    # The schedule created a run for a later date; before the worker ran, the lender set the business date back
    # (what the local stack's scheduler can do to a new tenant). Loans go no further than the tenant's today.
    api = lender
    [loan] = _loans(api)
    assert api.put("/tenant", {"businessDate": "2026-01-25"}).status == 200
    assert api.post("/maintenance/runs", {}).status == 202
    assert api.put("/tenant", {"businessDate": "2026-01-14"}).status == 200
    drain_all(queue_pump, pump)
    run = api.get("/maintenance/runs/run-2026-01-25").json
    assert (run["state"], run["loansDone"], run["loansFailed"]) == ("completed", 1, 0)
    assert api.get(f"/loans/{loan['id']}").json["maintainedThrough"] == "2026-01-14"
    assert [s["date"] for s in _snapshots(api, loan["id"])] == _days("2026-01-10", "2026-01-14")


def test_a_tenant_with_more_loans_than_a_page_is_paged_through(lender, queue_pump, pump, monkeypatch):
    from lms.maintenance import worker

    monkeypatch.setattr(worker, "PAGE", 2)  # 1,000 in production: five loans make three pages
    monkeypatch.setattr(worker, "LOANS_PER_MESSAGE", 1)
    loans = _loans(lender, 5)
    run = _run(lender, "2026-01-12", queue_pump, pump)
    assert (run["state"], run["loansQueued"], run["loansDone"]) == ("completed", 5, 5)
    assert {lender.get(f"/loans/{loan['id']}").json["maintainedThrough"] for loan in loans} == {"2026-01-12"}


def test_paging_active_loans_past_a_one_megabyte_read(lender):
    # DynamoDB (and moto) return at most 1 MB per read: with loans this large a page of 11 ids needs a
    # second read and stops in the middle of it (10,000 loans did this at 1,000 per page).
    from lms.ids import new_id
    from lms.store import loans as loan_store
    from lms.store.loans import loan_item

    [made] = _loans(lender)
    model = loan_store.get(lender.tenant_id, made["id"])
    assert model is not None
    big = model.model_copy(update={"ledger": {"padding": "x" * 120_000}})
    for _ in range(12):
        loan_item(lender.tenant_id, big.model_copy(update={"id": new_id("loan")}), None).save()
    first, cursor = loan_store.active_ids_page(lender.tenant_id, 11, None)
    rest, end = loan_store.active_ids_page(lender.tenant_id, 11, cursor)
    assert (len(first), len(rest), end) == (11, 2, None) and not set(first) & set(rest)


def test_two_tenants_get_their_runs_at_their_own_local_maintenance_hour(aws, monkeypatch):
    from lms import clock
    from local.scheduler import Scheduler

    tokyo, new_york = new_tenant("Tokyo", "Asia/Tokyo"), new_tenant("New York", "America/New_York")
    assert new_york.put("/tenant", {"maintenanceHour": 2}).status == 200
    names = {tokyo.tenant_id: "tokyo", new_york.tenant_id: "new-york"}
    created = []
    tick = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    scheduler = Scheduler()
    while tick <= datetime(2026, 3, 11, 12, 0, tzinfo=UTC):
        monkeypatch.setattr(clock, "utc_now", lambda now=tick: now)
        from lms.maintenance import days, runs, worker

        for module in (runs, days, worker):  # each took clock.utc_now when it was imported
            monkeypatch.setattr(module, "utc_now", lambda now=tick: now)
        answer = scheduler.fire()
        created += [(tick.strftime("%m-%dT%H:%M"), names[r["tenantId"]], r["runId"]) for r in answer["runsCreated"]]
        tick += timedelta(minutes=15)
    assert created == [
        ("03-10T12:00", "tokyo", "run-2026-03-10"),  # 21:00 in Tokyo: today's run was due
        ("03-10T12:00", "new-york", "run-2026-03-10"),  # 08:00 in New York (EDT)
        ("03-10T15:00", "tokyo", "run-2026-03-11"),  # midnight in Tokyo
        ("03-11T06:00", "new-york", "run-2026-03-11"),  # 02:00 in New York, its maintenance hour
    ]


@pytest.mark.parametrize("days_ahead", [1, 3])
def test_a_stop_interest_dated_ahead_takes_effect_on_its_day_in_daily_maintenance(lender, queue_pump, pump, days_ahead):
    """Given a stop-interest dated days ahead by a rule (daysFromApplied), when daily maintenance runs day by day
    past that date, then interest stops on exactly that day: the loan is the one a full replay of its
    transactions gives, and every snapshot from that day on shows interest stopped."""
    api = lender
    (loan,) = _loans(api)
    rule = api.post(
        "/rules",
        {
            "name": "Stop ahead",
            "criteria": "(> status-payoff 0)",
            "evalDaily": False,
            "evalRealTime": False,
            "actions": [{"type": "stop-interest", "mode": "suspend", "daysFromApplied": days_ahead}],
        },
    )
    assert rule.status == 201, rule
    forced = api.post(f"/loans/{loan['id']}/rules/{rule.json['id']}/force", {})
    assert forced.status == 200 and forced.json["matched"], forced
    assert api.get(f"/loans/{loan['id']}").json["interestStopped"] is False  # not yet: it is dated ahead
    stop_day = date(2026, 1, 10) + timedelta(days=days_ahead)
    for day in _days("2026-01-11", "2026-01-16"):
        _run(api, day, queue_pump, pump)
    after = api.get(f"/loans/{loan['id']}").json
    assert after["interestStopped"] is True
    by_day = {s["date"]: s for s in _snapshots(api, loan["id"])}
    for day in _days("2026-01-11", "2026-01-16"):
        assert by_day[day]["interestStopped"] is (date.fromisoformat(day) >= stop_day), (day, by_day[day])
    interest = [by_day[d]["values"]["interestAccrued"] for d in _days(stop_day.isoformat(), "2026-01-16")]
    assert len(set(interest)) == 1, interest  # nothing accrues from the stop on

    from lms import loans as loan_service
    from lms import transactions
    from lms.store import loans as loan_store
    from lms.store import transactions as transaction_store

    stored = loan_store.get(api.tenant_id, loan["id"])
    assert stored is not None and stored.pending_from is None
    terms_replayed = loan_service.recompute(
        stored, transactions.entries(transaction_store.every(api.tenant_id, loan["id"])), stored.as_of, _labels(api)
    )[0]
    assert terms_replayed.values == stored.values


def _labels(api):
    from lms.labels import load

    return load(api.tenant_id)


def test_runs_are_counted_for_the_alarms_when_they_end_and_while_they_are_late(lender, queue_pump, pump, monkeypatch):
    """MaintenanceRunsCompleted when a run settles; MaintenanceRunsLate from each dispatch round while a run is
    unfinished LATE_HOURS after it was created (template.yaml's MaintenanceRunLateAlarm)."""
    from lms import measures
    from lms.maintenance import runs

    counted: list[str] = []
    monkeypatch.setattr(measures, "count", lambda name, value=1: counted.extend([name] * value))
    _loans(lender, 2)
    assert _run(lender, "2026-01-20", queue_pump, pump)["state"] == "completed"
    assert counted.count("MaintenanceRunsCompleted") == 1 and "MaintenanceRunsLate" not in counted
    assert lender.put("/tenant", {"businessDate": "2026-01-21"}).status == 200
    assert lender.post("/maintenance/runs", {"businessDate": "2026-01-21"}).status == 202  # queued, never worked
    started = datetime.now(UTC)
    runs.dispatch(started + timedelta(hours=1))
    assert "MaintenanceRunsLate" not in counted
    runs.dispatch(started + timedelta(hours=measures.LATE_HOURS, minutes=5))
    assert counted.count("MaintenanceRunsLate") == 1
