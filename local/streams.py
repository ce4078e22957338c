"""The stream pump: what Lambda's DynamoDB event source mapping does, for moto (which never runs
Lambda code). It reads every stream of template.yaml's tables, hands the records to the real-time
handler in batches, as Lambda would (same event shape, same handler), retries the records the
handler reports failed (bisecting is moot: failures are per record), and after the template's
MaximumRetryAttempts sends what still fails to the on-failure queue.

Used by the local stack (a thread polling every 0.2 s) and by tests (`drain()`: until quiet).
"""
from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any, Callable

from local.resources import load_template, tables

BATCH = 100


def _event_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    dynamodb = dict(record.get("dynamodb", {}))
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": dynamodb, "eventSourceARN": stream_arn}


class _Context:
    function_name = "RealtimeFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:RealtimeFunction"
    aws_request_id = "local-stream-pump"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


class StreamPump:
    name = "stream pump"

    def __init__(self, session: Any, endpoint_url: str | None = None,
                 handler: Callable[[dict, Any], dict] | None = None, interval: float = 0.2):
        self._ddb = session.client("dynamodb", endpoint_url=endpoint_url)
        self._streams = session.client("dynamodbstreams", endpoint_url=endpoint_url)
        self._sqs = session.client("sqs", endpoint_url=endpoint_url)
        template = load_template()
        function = template["Resources"]["RealtimeFunction"]["Properties"]
        self._retries = max(e["Properties"]["MaximumRetryAttempts"] for e in function["Events"].values())
        self._tables = [name for name, props in tables(template).items() if props.get("StreamSpecification")]
        self._handler = handler
        self._iterators: dict[tuple[str, str], str | None] = {}
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failed: list[dict[str, Any]] = []

    def _handle(self, event: dict, context: Any) -> dict:
        if self._handler is None:
            from functions.realtime.app import lambda_handler

            self._handler = lambda_handler
        return self._handler(event, context)

    def _shards(self) -> list[tuple[str, str]]:
        found = []
        for table in self._tables:
            arn = self._ddb.describe_table(TableName=table)["Table"].get("LatestStreamArn")
            if not arn:
                continue
            for shard in self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                found.append((arn, shard["ShardId"]))
        return found

    def poll_once(self) -> int:
        """Reads what is new on every shard and hands it to the handler; the number of records read."""
        count = 0
        for arn, shard in self._shards():
            key = (arn, shard)
            if key not in self._iterators:
                self._iterators[key] = self._streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            iterator = self._iterators[key]
            if iterator is None:
                continue
            answer = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            self._iterators[key] = answer.get("NextShardIterator")
            records = [_event_record(r, arn) for r in answer.get("Records", [])]
            for start in range(0, len(records), BATCH):
                self._deliver(records[start:start + BATCH], arn)
            count += len(records)
        return count

    def _deliver(self, records: list[dict[str, Any]], arn: str) -> None:
        pending = records
        for _ in range(self._retries + 1):
            answer = self._handle({"Records": pending}, _Context()) or {}
            failed_ids = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            if not failed_ids:
                return
            # Lambda resumes a stream batch from the first failed record onward.
            first = next(i for i, r in enumerate(pending) if r["dynamodb"]["SequenceNumber"] in failed_ids)
            pending = pending[first:]
        self.failed.extend(pending)
        queue = self._sqs.get_queue_url(QueueName="RealtimeFailuresQueue")["QueueUrl"]
        self._sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(
            {"streamArn": arn, "records": [r["dynamodb"]["SequenceNumber"] for r in pending]}))

    def drain(self, max_rounds: int = 50) -> int:
        """Polls until a round reads nothing (every cascade has settled); the records read."""
        total = 0
        for _ in range(max_rounds):
            count = self.poll_once()
            total += count
            if not count:
                return total
        raise RuntimeError("streams did not settle: records keep coming")

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.poll_once()
                except Exception as error:  # keep pumping; the handler's own failures are handled above
                    print(f"stream pump: {error!r}", flush=True)
                self._stop.wait(self._interval)

        self._thread = threading.Thread(target=loop, name="stream-pump", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
