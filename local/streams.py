"""The stream pump: what Lambda's DynamoDB event source mappings do, for moto (which never runs
Lambda code). For every function of template.yaml with DynamoDB stream events (real-time rules, domain
events for webhooks) it reads those tables' streams with its own iterators, hands the records to the
function's handler in batches, as Lambda would (same event shape, same handler), retries the records the
handler reports failed (bisecting is moot: failures are per record), and after the event's
MaximumRetryAttempts sends what still fails to the event's on-failure queue.

Used by the local stack (a thread polling every 0.2 s) and by tests (`drain()`: until quiet).
"""
from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from local.apigw import context_for, handler_module
from local.polling import Poller
from local.resources import load_template, tables

BATCH = 100


def _event_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    dynamodb = dict(record.get("dynamodb", {}))
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": dynamodb, "eventSourceARN": stream_arn}


@dataclass
class Consumer:
    function: str  # logical id
    module: str  # functions.<dir>.app
    tables: list[str]  # table logical ids (= names locally)
    retries: int
    failures: str  # the on-failure queue (logical id = name locally)


def consumers(template: dict[str, Any]) -> list[Consumer]:
    found = []
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        events = [e["Properties"] for e in (props.get("Events") or {}).values() if e["Type"] == "DynamoDB"]
        if events:
            found.append(Consumer(
                name, handler_module(props),
                [e["Stream"]["Fn::GetAtt"][0] for e in events], max(e["MaximumRetryAttempts"] for e in events),
                events[0]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]))
    return found


class StreamPump(Poller):
    name = "stream pump"

    def __init__(self, session: Any, endpoint_url: str | None = None,
                 handler: Callable[[dict, Any], dict] | None = None, interval: float = 0.2,
                 handlers: dict[str, Callable[[dict, Any], dict]] | None = None):
        """handler: the real-time function's handler (default the real one); handlers: any function's,
        by logical id (a handler of None: that function is not pumped)."""
        self._ddb = session.client("dynamodb", endpoint_url=endpoint_url)
        self._streams = session.client("dynamodbstreams", endpoint_url=endpoint_url)
        self._sqs = session.client("sqs", endpoint_url=endpoint_url)
        template = load_template()
        streamed = {name for name, props in tables(template).items() if props.get("StreamSpecification")}
        self._consumers = [c for c in consumers(template) if set(c.tables) & streamed]
        self._handlers: dict[str, Callable[[dict, Any], dict] | None] = dict(handlers or {})
        if handler is not None:
            self._handlers["RealtimeFunction"] = handler
        self._arns: dict[str, str | None] = {}
        self._shards: dict[str, list[dict[str, Any]]] = {}
        self._iterators: dict[tuple[str, str, str], str | None] = {}
        self._interval = interval
        self.failed: list[dict[str, Any]] = []

    def _handler(self, consumer: Consumer) -> Callable[[dict, Any], dict] | None:
        if consumer.function not in self._handlers:
            self._handlers[consumer.function] = importlib.import_module(consumer.module).lambda_handler
        return self._handlers[consumer.function]

    def _stream(self, table: str) -> str | None:
        if self._arns.get(table) is None:
            self._arns[table] = self._ddb.describe_table(TableName=table)["Table"].get("LatestStreamArn")
        return self._arns[table]

    def poll_once(self) -> int:
        """Reads what is new on every shard for every consumer and hands it to the consumer's handler;
        the number of records read."""
        count = 0
        for consumer in self._consumers:
            handler = self._handler(consumer)
            if handler is None:
                continue
            for table in consumer.tables:
                arn = self._stream(table)
                if not arn:
                    continue
                if arn not in self._shards:  # moto's streams keep their one shard
                    self._shards[arn] = self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
                for shard in self._shards[arn]:
                    key = (consumer.function, arn, shard["ShardId"])
                    if key not in self._iterators:
                        self._iterators[key] = self._streams.get_shard_iterator(
                            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                    iterator = self._iterators[key]
                    if iterator is None:
                        continue
                    answer = self._streams.get_records(ShardIterator=iterator, Limit=1000)
                    self._iterators[key] = answer.get("NextShardIterator")
                    records = [_event_record(r, arn) for r in answer.get("Records", [])]
                    for start in range(0, len(records), BATCH):
                        self._deliver(consumer, handler, records[start:start + BATCH], arn)
                    count += len(records)
        return count

    def _deliver(self, consumer: Consumer, handler: Callable[[dict, Any], dict], records: list[dict[str, Any]],
                 arn: str) -> None:
        pending = records
        for _ in range(consumer.retries + 1):
            answer = handler({"Records": pending}, context_for(consumer.function, "local-stream-pump")) or {}
            failed_ids = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            if not failed_ids:
                return
            # Lambda resumes a stream batch from the first failed record onward.
            first = next(i for i, r in enumerate(pending) if r["dynamodb"]["SequenceNumber"] in failed_ids)
            pending = pending[first:]
        self.failed.extend(pending)
        queue = self._sqs.get_queue_url(QueueName=consumer.failures)["QueueUrl"]
        self._sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(
            {"function": consumer.function, "streamArn": arn, "records": [r["dynamodb"]["SequenceNumber"] for r in pending]}))

    def drain(self, max_rounds: int = 50) -> int:
        """Polls until a round reads nothing (every cascade has settled); the records read."""
        total = 0
        for _ in range(max_rounds):
            count = self.poll_once()
            total += count
            if not count:
                return total
        raise RuntimeError("streams did not settle: records keep coming")
