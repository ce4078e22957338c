"""The local pumps behave as Lambda's event source mappings declared in template.yaml: batch size, retries
from the first failed record, bisection of a failing batch, Lambda's invocation record on the on-failure
queue, FilterCriteria; and a pump's own trouble is said, kept, and never loses a record."""

from __future__ import annotations

import json

import boto3
import pytest

from local.queues import QueuePump
from local.streams import StreamPump, matches
from tests.conftest import SESSION

REGION = "us-east-1"


def _loans(n: int, start: int = 0) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    for i in range(start, start + n):
        client.put_item(TableName="LoansTable", Item={"tenantId": {"S": "tnt_pump"}, "loanId": {"S": f"loan_{i:03d}"}})


def _failures(queue: str) -> list[dict]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    found: list[dict] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        found += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )


class Recorder:
    """A handler that keeps each batch it is given and answers with `answer(records)`."""

    def __init__(self, answer):
        self.answer, self.batches = answer, []

    def __call__(self, event, context):
        keys = [r["dynamodb"]["Keys"]["loanId"]["S"] for r in event["Records"]]
        self.batches.append(keys)
        return self.answer(event["Records"])


def _pump(handler) -> StreamPump:
    pump = StreamPump(SESSION, handlers={"RealtimeFunction": handler}, functions=["RealtimeFunction"])
    pump.mappings = [m for m in pump.mappings if m.table == "LoansTable"]
    return pump


def test_a_batch_that_succeeds_is_invoked_once(aws):
    recorder = Recorder(lambda records: {"batchItemFailures": []})
    _loans(3)
    _pump(recorder).drain()
    assert recorder.batches == [["loan_000", "loan_001", "loan_002"]]


def test_a_partial_failure_is_retried_from_the_first_failed_record_then_given_up_with_lambda_s_record(aws):
    def fail_loan_1(records):
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
                for r in records
                if r["dynamodb"]["Keys"]["loanId"]["S"] == "loan_001"
            ]
        }

    recorder = Recorder(fail_loan_1)
    _loans(3)
    pump = _pump(recorder)
    pump.drain()
    assert recorder.batches[0] == ["loan_000", "loan_001", "loan_002"]
    assert recorder.batches[1:] == [["loan_001", "loan_002"]] * 5, (
        "5 retries (MaximumRetryAttempts), from the failed record"
    )
    [record] = _failures("RealtimeFailuresQueue")
    info = record["DDBStreamBatchInfo"]
    assert (info["batchSize"], record["requestContext"]["approximateInvokeCount"]) == (2, 6)
    assert (
        record["requestContext"]["condition"] == "RetryAttemptsExhausted"
        and "functionError" not in record["responseContext"]
    )
    assert [r["dynamodb"]["Keys"]["loanId"]["S"] for r in pump.failed] == ["loan_001", "loan_002"]
    assert int(info["startSequenceNumber"]) < int(info["endSequenceNumber"])
    _loans(1, start=3)
    pump.drain()
    assert recorder.batches[-1] == ["loan_003"], "the mapping went on past what it gave up on"


def test_a_handler_that_raises_has_its_batch_bisected_down_to_the_failing_record(aws):
    def raise_for_loan_2(records):
        if any(r["dynamodb"]["Keys"]["loanId"]["S"] == "loan_002" for r in records):
            raise RuntimeError("poison")
        return {}

    recorder = Recorder(raise_for_loan_2)
    _loans(4)
    pump = _pump(recorder)
    pump.drain()
    assert recorder.batches[:5] == [
        ["loan_000", "loan_001", "loan_002", "loan_003"],
        ["loan_000", "loan_001"],
        ["loan_002", "loan_003"],
        ["loan_002"],
        ["loan_002"],
    ]
    assert recorder.batches.count(["loan_002"]) == 6 and recorder.batches[-1] == ["loan_003"]
    [record] = _failures("RealtimeFailuresQueue")
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1 and record["responseContext"]["functionError"] == "Unhandled"
    status = next(s for s in pump.status() if s["table"] == "LoansTable")
    assert (status["bisections"], status["retries"], status["sentToOnFailure"], status["handlerErrors"]) == (2, 5, 1, 8)


def test_an_identifier_that_names_no_record_fails_the_whole_batch(aws):
    recorder = Recorder(lambda records: {"batchItemFailures": [{"itemIdentifier": "not-a-sequence-number"}]})
    _loans(2)
    _pump(recorder).drain()
    assert recorder.batches == [["loan_000", "loan_001"]] * 6


def test_when_the_on_failure_queue_cannot_be_reached_the_records_are_kept_and_the_error_said(aws, capsys):
    recorder = Recorder(lambda records: (_ for _ in ()).throw(RuntimeError("always")))
    _loans(1)
    pump = _pump(recorder)
    pump.mappings[0].on_failure = "NoSuchQueue"
    pump.drain()
    mapping = pump.mappings[0]
    assert len(mapping.pending) == 1, "the record is kept"
    assert mapping.last_error and "QueueDoesNotExist" in mapping.last_error["error"]
    assert "RealtimeFunction on the LoansTable stream: unexpected error" in capsys.readouterr().err
    mapping.on_failure = "RealtimeFailuresQueue"
    pump.drain()
    assert not mapping.pending and len(_failures("RealtimeFailuresQueue")) == 1


def test_the_filter_criteria_of_the_runs_mapping():
    pattern = {"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "run#"}]}}}}
    assert matches(pattern, {"dynamodb": {"Keys": {"sk": {"S": "run#2026-03-02"}, "tenantId": {"S": "t"}}}})
    assert not matches(pattern, {"dynamodb": {"Keys": {"sk": {"S": "job#1"}}}})
    assert not matches(pattern, {"dynamodb": {"Keys": {}}})
    assert matches({"eventName": ["INSERT", "MODIFY"]}, {"eventName": "MODIFY"})
    with pytest.raises(ValueError):
        matches({"eventName": [{"anything-but": "REMOVE"}]}, {"eventName": "MODIFY"})


def test_a_queue_batch_deletes_what_succeeded_and_returns_what_failed(aws):
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName="ForceJobsQueue")["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}))
    seen: list[int] = []

    def handler(event, context):
        seen.extend(json.loads(r["body"])["n"] for r in event["Records"])
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]}
                for r in event["Records"]
                if json.loads(r["body"])["n"] == 1 and seen.count(1) < 3
            ]
        }

    pump = QueuePump(SESSION, handlers={"ForceWorkerFunction": handler}, functions=["ForceWorkerFunction"])
    pump.drain()
    assert sorted(seen) == [0, 1, 1, 1, 2] and pump.depth("ForceJobsQueue") == 0
    [status] = pump.status()
    assert (status["received"], status["succeeded"], status["failed"]) == (5, 3, 2)


def test_a_queue_pump_whose_queue_is_gone_says_so_and_goes_on(aws, capsys):
    pump = QueuePump(SESSION, functions=["ForceWorkerFunction"])
    pump.sources[0].queue = "NoSuchQueue"
    assert pump.poll_once() == 0
    assert pump.sources[0].last_error and "NoSuchQueue" in capsys.readouterr().err
