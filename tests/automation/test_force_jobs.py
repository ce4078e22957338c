"""Force one rule on many loans as a background job over SQS (POST /rules/{id}/force, GET /jobs/{id}):
every enrolled loan (or the ones named), each once however often its message is delivered, a worker
dying mid-batch loses nothing, a loan that keeps failing ends in the dead-letter queue and is
counted failed without blocking the others."""

from __future__ import annotations

import boto3
import pytest

from local.queues import drain_all
from tests.conftest import make_customer, make_loan


def _setup(api, loans: int = 6, watched: int = 3):
    """Loans, the first `watched` of them in portfolio Watch; then an inactive rule on Watch."""
    assert api.post("/portfolios", {"title": "Watch"}).status == 201
    assert api.post("/checklist-items", {"title": "Reviewed"}).status == 201
    customer = make_customer(api)
    made = []
    for i in range(loans):
        loan = make_loan(api, [(customer["id"], "primary")], portfolios=["Watch"] if i < watched else [])
        assert api.post(f"/loans/{loan['id']}/activate").status == 200
        made.append(loan)
    rule = api.post(
        "/rules",
        {
            "name": "Review watched",
            "active": False,
            "evalRealTime": False,
            "criteria": '(contains? portfolios "Watch")',
            "actions": [{"type": "loan-checklist", "check": ["Reviewed"]}],
        },
    )
    assert rule.status == 201, rule
    return made, rule.json


def _audit(api, loan_id):
    return api.get(f"/loans/{loan_id}/rule-applications").json["items"]


def _start(api, rule_id, body=None):
    started = api.post(f"/rules/{rule_id}/force", body or {})
    assert started.status == 202, started
    assert set(started.json) == {"jobId"}
    return started.json["jobId"]


def test_a_job_forces_the_rule_on_every_enrolled_loan(api, queue_pump, pump):
    loans, rule = _setup(api)
    later = make_loan(api, [])  # created after the rule, which has addToNewLoans: enrolled
    opted_out = make_loan(api, [], portfolios=["Watch"])
    assert api.put(f"/loans/{opted_out['id']}", {"ruleOptOuts": [rule["id"]]}).status == 200
    job_id = _start(api, rule["id"])

    queued = api.get(f"/jobs/{job_id}").json
    assert queued["state"] == "queued" and queued["loansTotal"] is None and queued["loansDone"] == 0
    drain_all(queue_pump, pump)

    job = api.get(f"/jobs/{job_id}").json
    assert job["type"] == "force" and job["ruleId"] == rule["id"]
    assert (job["state"], job["loansTotal"], job["loansDone"], job["loansMatched"], job["loansFailed"]) == (
        "completed",
        7,
        7,
        3,
        0,
    )
    assert job["finishedAt"] and job["failures"] == []
    for loan in loans[:3]:
        assert api.get(f"/loans/{loan['id']}").json["checklist"] == ["Reviewed"]
        [entry] = _audit(api, loan["id"])
        assert (entry["ruleId"], entry["trigger"], entry["matched"]) == (rule["id"], "force-job", True)
    for loan in loans[3:] + [later]:
        assert api.get(f"/loans/{loan['id']}").json["checklist"] == []
        assert _audit(api, loan["id"]) == []
    assert api.get(f"/loans/{opted_out['id']}").json["checklist"] == []  # opted out: not in the job


def test_named_loans_only_even_when_not_enrolled(api, queue_pump, pump):
    loans, rule = _setup(api)
    assert api.put(f"/rules/{rule['id']}", {"addToNewLoans": False}).status == 200
    newcomer = make_loan(api, [], portfolios=["Watch"])  # not enrolled
    job_id = _start(api, rule["id"], {"loanIds": [newcomer["id"], loans[0]["id"], loans[5]["id"], newcomer["id"]]})
    drain_all(queue_pump, pump)

    job = api.get(f"/jobs/{job_id}").json
    assert (job["state"], job["loansTotal"], job["loansDone"], job["loansMatched"]) == ("completed", 3, 3, 2)
    assert api.get(f"/loans/{newcomer['id']}").json["checklist"] == ["Reviewed"]
    assert api.get(f"/loans/{loans[0]['id']}").json["checklist"] == ["Reviewed"]
    assert api.get(f"/loans/{loans[1]['id']}").json["checklist"] == []  # not named


def _outcome(api, loans, job_id):
    job = api.get(f"/jobs/{job_id}").json
    return (
        {k: job[k] for k in ("state", "loansTotal", "loansDone", "loansMatched", "loansFailed")},
        [
            (
                api.get(f"/loans/{loan['id']}").json["checklist"],
                api.get(f"/loans/{loan['id']}").json["version"],
                [(e["ruleId"], e["matched"], e["actionsApplied"]) for e in _audit(api, loan["id"])],
            )
            for loan in loans
        ],
    )


def test_every_message_delivered_twice_changes_and_counts_nothing_twice(api, queue_pump, pump):
    loans, rule = _setup(api, loans=12, watched=5)
    clean_job = _start(api, rule["id"], {"loanIds": [loan["id"] for loan in loans[:6]]})
    drain_all(queue_pump, pump)
    clean = _outcome(api, loans[:6], clean_job)

    real = queue_pump.handler("ForceWorkerFunction")
    queue_pump.set_handler(
        "ForceWorkerFunction", lambda event, context: (real(event, context), real(event, context))[1]
    )
    twice_job = _start(api, rule["id"], {"loanIds": [loan["id"] for loan in loans[6:]]})
    drain_all(queue_pump, pump)
    twice = _outcome(api, loans[6:], twice_job)

    assert clean[0] == {"state": "completed", "loansTotal": 6, "loansDone": 6, "loansMatched": 5, "loansFailed": 0}
    assert twice[0] == {"state": "completed", "loansTotal": 6, "loansDone": 6, "loansMatched": 0, "loansFailed": 0}
    # The second job's loans: loans 6..11, none watched: the same as the clean job's unwatched one.
    assert all(t == clean[1][5] for t in twice[1])
    # And the whole first job once more, every message twice: nothing changes, nothing counted twice.
    again_job = _start(api, rule["id"], {"loanIds": [loan["id"] for loan in loans[:6]]})
    drain_all(queue_pump, pump)
    again = _outcome(api, loans[:6], again_job)
    assert again[0] == {**clean[0], "loansMatched": 5}
    assert [(c, v, len(a)) for c, v, a in again[1]] == [(c, v, len(a) * 2 if c else 0) for c, v, a in clean[1]]


def test_a_worker_killed_mid_batch_loses_nothing(api, queue_pump, pump):
    loans, rule = _setup(api, loans=8, watched=4)
    real = queue_pump.handler("ForceWorkerFunction")
    kills: list[int] = []

    def dies_after_three(event, context):
        if len(event["Records"]) > 3 and len(kills) < 3:
            kills.append(1)
            real({"Records": event["Records"][:3]}, context)
            raise SystemError("worker killed")  # no response: Lambda retries the whole batch
        return real(event, context)

    queue_pump.set_handler("ForceWorkerFunction", dies_after_three)
    job_id = _start(api, rule["id"])
    drain_all(queue_pump, pump)

    assert kills, "the worker was never killed: the test proves nothing"
    state, per_loan = _outcome(api, loans, job_id)
    assert state == {"state": "completed", "loansTotal": 8, "loansDone": 8, "loansMatched": 4, "loansFailed": 0}
    for (checklist, _version, audit), loan in zip(per_loan, loans, strict=True):
        watched = loan in loans[:4]
        assert checklist == (["Reviewed"] if watched else [])
        assert len(audit) == (1 if watched else 0)


def test_a_loan_that_keeps_failing_goes_to_the_dead_letter_queue_and_blocks_nothing(api, queue_pump, pump, monkeypatch):
    loans, rule = _setup(api, loans=4, watched=4)
    from lms.automation import jobs

    real_run = jobs.run_rules
    attempts = []

    def flaky(tenant_id, loan_id, *args, **kwargs):
        if loan_id == loans[1]["id"]:
            attempts.append(loan_id)
            raise ConnectionError("DynamoDB unreachable")
        return real_run(tenant_id, loan_id, *args, **kwargs)

    monkeypatch.setattr(jobs, "run_rules", flaky)
    job_id = _start(api, rule["id"])
    drain_all(queue_pump, pump)

    job = api.get(f"/jobs/{job_id}").json
    assert (job["state"], job["loansTotal"], job["loansDone"], job["loansMatched"], job["loansFailed"]) == (
        "completed",
        4,
        4,
        3,
        1,
    )
    assert job["failures"] == [{"loanId": loans[1]["id"], "error": "gave up: DynamoDB unreachable"}]
    assert len(attempts) == 5  # the queue's maxReceiveCount
    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq = sqs.get_queue_url(QueueName="ForceJobsDeadLetterQueue")["QueueUrl"]
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dead] == [
        f'{{"type":"loan","tenantId":"{api.tenant_id}","jobId":"{job_id}","loanId":"{loans[1]["id"]}"}}'
    ]
    assert [api.get(f"/loans/{loan['id']}").json["checklist"] for loan in loans] == [
        ["Reviewed"],
        [],
        ["Reviewed"],
        ["Reviewed"],
    ]


def test_a_rule_error_counts_the_loan_failed_with_its_reason(api, queue_pump, pump):
    loans, _ = _setup(api, loans=2, watched=0)
    rule = api.post(
        "/rules",
        {
            "name": "Divides",
            "criteria": "(> (/ 100 (- status-days-past-due status-days-past-due)) 1)",
            "active": False,
            "actions": [{"type": "loan-checklist", "check": ["Reviewed"]}],
        },
    ).json
    job_id = _start(api, rule["id"])
    drain_all(queue_pump, pump)
    job = api.get(f"/jobs/{job_id}").json
    assert (job["state"], job["loansTotal"], job["loansFailed"]) == ("failed", 2, 2)
    assert {f["loanId"] for f in job["failures"]} == {loan["id"] for loan in loans}
    assert all("divi" in f["error"].lower() for f in job["failures"]), job["failures"]
    assert [e["error"] is not None for e in _audit(api, loans[0]["id"])] == [True]


def test_a_job_with_no_loans_completes_at_once(api, queue_pump):
    rule = api.post(
        "/rules",
        {
            "name": "Nothing",
            "criteria": "(> status-days-past-due 1)",
            "actions": [{"type": "stop-interest", "mode": "suspend"}],
        },
    ).json
    job_id = _start(api, rule["id"])
    queue_pump.drain()
    job = api.get(f"/jobs/{job_id}").json
    assert (job["state"], job["loansTotal"], job["loansDone"]) == ("completed", 0, 0)


@pytest.mark.parametrize("path", ["/rules/rul_01ARZ3NDEKTSV4RRFFQ69G5FAV/force", "/rules/nope/force"])
def test_an_unknown_rule_answers_404(api, path):
    got = api.post(path, {})
    assert got.status == 404 and got.json["error"]["code"]


@pytest.mark.parametrize("job_id", ["job_01ARZ3NDEKTSV4RRFFQ69G5FAV", "nope", "job_" + "A" * 300])
def test_an_unknown_job_answers_404(api, job_id):
    got = api.get(f"/jobs/{job_id}")
    assert got.status == 404 and got.json["error"]["code"]
