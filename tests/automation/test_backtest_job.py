"""Backtests through the API and as a background job (docs/rules.md#backtest, docs/http.md#jobs): the job
replays the book a slice at a time on the force-jobs queue and answers, once completed, what one synchronous
backtest of the same loans answers; a slice delivered twice counts once."""

from __future__ import annotations

import json

import boto3

from tests.api.helpers import assert_error
from tests.automation.test_backtest import CHARGE_OFF, END, START, _request, small  # noqa: F401  (fixture)


def test_a_backtest_job_answers_what_the_synchronous_backtest_answers(small, queue_pump, monkeypatch):  # noqa: F811
    from lms.automation import backtest, jobs

    monkeypatch.setattr(jobs, "SLICE", 5)  # 16 loans: four slices
    request = _request(rulebook={}, compare={"remove": [small["rules"][1]]})
    started = jobs.start_backtest(small["tenant"], request)
    assert jobs.get(small["tenant"], started.job_id).state == "queued"
    queue_pump.drain()

    job = jobs.get(small["tenant"], started.job_id)
    assert (job.type, job.state, job.loans_total, job.loans_done, job.loans_failed) == (
        "backtest",
        "completed",
        16,
        16,
        0,
    )
    whole = backtest.backtest(small["tenant"], request)
    assert job.result == whole.model_dump(mode="json", by_alias=True)
    assert job.loans_matched == whole.loans_matched > 0


def test_a_slice_delivered_twice_counts_once(small, queue_pump, monkeypatch):  # noqa: F811
    from lms.automation import jobs

    monkeypatch.setattr(jobs, "SLICE", 8)
    request = _request(ruleId=small["rules"][0])
    started = jobs.start_backtest(small["tenant"], request)
    jobs.handle({"type": "expand", "tenantId": small["tenant"], "jobId": started.job_id}, last_attempt=False)
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName="ForceJobsQueue")["QueueUrl"]
    messages = []
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        messages += [json.loads(m["Body"]) for m in got]
    slices = [m for m in messages if m["type"] == "slice"]
    assert [len(m["loanIds"]) for m in slices] == [8, 8]
    for message in [*slices, slices[0]]:  # the first one again, as SQS may deliver it
        jobs.handle(message, last_attempt=False)
    job = jobs.get(small["tenant"], started.job_id)
    assert (job.state, job.loans_done) == ("completed", 16)
    assert job.result is not None and job.result["loans"] == 16 and job.result["loanDays"] == 16 * 90


def test_the_api_answers_a_backtest_and_refuses_what_it_cannot_run(api):
    saved = api.post("/rules", CHARGE_OFF).json
    body = {"ruleId": saved["id"], "from": START.isoformat(), "to": END.isoformat()}
    answer = api.post("/rules/backtest", body)
    assert answer.status == 200, answer
    assert (answer.json["loans"], answer.json["loanDays"], answer.json["ruleIds"]) == (0, 0, [saved["id"]])
    assert len(answer.json["days"]) == 90

    started = api.post("/rules/backtest/jobs", body)
    assert started.status == 202 and started.json["jobId"].startswith("job_"), started
    assert api.get(f"/jobs/{started.json['jobId']}").json["type"] == "backtest"

    assert_error(api.post("/rules/backtest", {**body, "ruleId": "rul_nothere"}), 404)
    for wrong, field in (
        ({**body, "to": "2026-01-01"}, "to"),
        ({**body, "from": "2025-01-01"}, "to"),
        ({**body, "rule": CHARGE_OFF}, ""),
        ({**body, "loanIds": ["loan_nothere"]}, "loanIds"),
        ({**body, "sample": 0}, "sample"),
        ({**body, "rule": {**CHARGE_OFF, "criteria": "(> status-days-past-due"}, "ruleId": None}, ""),
    ):
        error = assert_error(api.post("/rules/backtest", wrong), 422)
        assert any(field in d.get("field", "") for d in error["details"]), error


def test_a_slice_that_keeps_failing_counts_its_loans_failed_and_goes_to_the_dead_letter_queue(small, monkeypatch):  # noqa: F811
    import pytest

    from lms.automation import backtest, jobs

    started = jobs.start_backtest(small["tenant"], _request(ruleId=small["rules"][0]))
    jobs.handle({"type": "expand", "tenantId": small["tenant"], "jobId": started.job_id}, last_attempt=False)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the snapshots could not be read")

    monkeypatch.setattr(backtest, "backtest_loans", broken)
    message = {
        "type": "slice",
        "tenantId": small["tenant"],
        "jobId": started.job_id,
        "slice": 0,
        "loanIds": small["loans"],
    }
    with pytest.raises(RuntimeError):
        jobs.handle(message, last_attempt=False)  # retried: nothing counted yet
    assert jobs.get(small["tenant"], started.job_id).loans_done == 0
    with pytest.raises(RuntimeError):
        jobs.handle(message, last_attempt=True)  # raised again: SQS moves it to the dead-letter queue
    job = jobs.get(small["tenant"], started.job_id)
    assert (job.state, job.loans_failed, job.loans_done) == ("failed", 16, 16)
    assert job.failures[0].error == "gave up: the snapshots could not be read"


def test_a_synchronous_backtest_over_its_loan_days_is_refused_with_the_figures(small, monkeypatch):  # noqa: F811
    import pytest

    from lms.automation import backtest
    from lms.errors import Invalid

    monkeypatch.setattr(backtest, "MAX_SYNC_LOAN_DAYS", 1_000)
    with pytest.raises(Invalid) as refused:
        backtest.backtest(small["tenant"], _request(ruleId=small["rules"][0]))
    assert "16 loans x 90 days is over 1,000 loan-days" in refused.value.message
    assert "POST /rules/backtest/jobs" in refused.value.message
    assert backtest.backtest(small["tenant"], _request(ruleId=small["rules"][0], sample=11)).loan_days == 11 * 90
