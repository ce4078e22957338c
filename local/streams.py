"""The stream pump: what Lambda's DynamoDB event source mappings do, for moto (which never runs Lambda
code). Each DynamoDB event of a function in template.yaml is one mapping, and the pump keeps each
mapping's place in its stream as Lambda does:

- each stream is read about 4 times a second (once a second when idle; at once after a write through the
  gateway) from where the mapping stopped, filtered by its FilterCriteria, and handed to the function's
  handler (the same module Lambda runs) in batches of up to BatchSize, once BatchSize records are waiting
  or the oldest has waited MaximumBatchingWindowInSeconds;
- a batch the handler reports partly failed (ReportBatchItemFailures) is retried from the first failed
  record; a handler that raises fails the whole batch, which is split in two and each half retried when
  BisectBatchOnFunctionError is on (splitting uses no retry);
- after MaximumRetryAttempts retries, Lambda's invocation record for what still fails (the shard, first
  and last sequence numbers, the batch size) goes to the on-failure destination, and the mapping goes
  on past it. A record is never dropped without that record; an error of the pump itself (moto gone,
  the destination unreachable) keeps the batch and tries again.

Used by the local stack (a thread per function) and by tests (`drain()`, which hands over what is
waiting at once, without a batching window).
"""

from __future__ import annotations

import importlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local.apigw import ACCOUNT, REGION, context_for, handler_module
from local.polling import Poller, say
from local.resources import load_template, tables

Handler = Callable[[dict, Any], Any]
READ_LIMIT = 1000  # records per GetRecords call
BEHIND_WARNING_SECONDS = 30


@dataclass
class Mapping:
    """One event source mapping (a function reading one table's stream) and where it stands."""

    function: str  # logical id
    module: str  # functions.<dir>.app
    table: str  # logical id (= name locally)
    batch_size: int
    retries: int  # MaximumRetryAttempts; -1: until the record expires
    bisect: bool
    report_failures: bool
    on_failure: str | None  # queue logical id
    window: float = 0.0  # MaximumBatchingWindowInSeconds
    filters: list[dict[str, Any]] = field(default_factory=list)
    stream_arn: str | None = None
    shard_id: str | None = None
    iterator: str | None = None
    checkpoint: str | None = None  # the last sequence number settled
    pending: list[dict[str, Any]] = field(default_factory=list)  # read, not yet settled
    waiting_since: float = 0.0  # when the oldest pending record was read (time.monotonic)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("records", "invocations", "retries", "bisections", "handlerErrors", "sentToOnFailure", "handlerMs"), 0
        )
    )
    last_error: dict[str, Any] | None = None
    warned_at: float = 0.0

    @property
    def where(self) -> str:
        return f"{self.function} on the {self.table} stream"

    def behind_seconds(self) -> float:
        """How old the oldest record read but not yet settled is (0 when caught up)."""
        if not self.pending:
            return 0.0
        return max(
            0.0, time.time() - float(self.pending[0]["dynamodb"].get("ApproximateCreationDateTime", time.time()))
        )

    def status(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "table": self.table,
            "behindSeconds": round(self.behind_seconds(), 1),
            "waiting": len(self.pending),
            "checkpoint": self.checkpoint,
            **self.counts,
            "lastError": self.last_error,
        }


def mappings(template: dict[str, Any]) -> list[Mapping]:
    found = []
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        for event in (props.get("Events") or {}).values():
            if event["Type"] != "DynamoDB":
                continue
            spec = event["Properties"]
            destination = ((spec.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            found.append(
                Mapping(
                    function=name,
                    module=handler_module(props),
                    table=spec["Stream"]["Fn::GetAtt"][0],
                    batch_size=int(spec.get("BatchSize", 100)),
                    retries=int(spec.get("MaximumRetryAttempts", -1)),
                    bisect=bool(spec.get("BisectBatchOnFunctionError", False)),
                    report_failures="ReportBatchItemFailures" in (spec.get("FunctionResponseTypes") or []),
                    on_failure=destination["Fn::GetAtt"][0] if destination else None,
                    window=float(spec.get("MaximumBatchingWindowInSeconds", 0)),
                    filters=[
                        json.loads(f["Pattern"]) for f in ((spec.get("FilterCriteria") or {}).get("Filters") or [])
                    ],
                )
            )
    return found


def matches(pattern: Any, value: Any) -> bool:
    """An event filter pattern (the subset template.yaml uses: exact values and prefixes) against a record."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and matches(p, value[k]) for k, p in pattern.items())
    if isinstance(pattern, list):
        for option in pattern:
            if isinstance(option, dict):
                if set(option) != {"prefix"}:
                    raise ValueError(f"the local stream pump does not know the filter {option}")
                if isinstance(value, str) and value.startswith(option["prefix"]):
                    return True
            elif option == value:
                return True
        return False
    return pattern == value


def _event_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda hands it to a function (creation time in epoch seconds, the ARN)."""
    dynamodb = dict(record.get("dynamodb", {}))
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": dynamodb, "eventSourceARN": stream_arn}


def _iso(epoch: Any) -> str:
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class StreamPump(Poller):
    name = "stream pump"
    min_period, idle_wait, idle_wait_max = 0.5, 0.5, 1.0  # twice a second (Lambda: 4), once a second when idle

    def __init__(
        self,
        session: Any,
        endpoint_url: str | None = None,
        handler: Handler | None = None,
        interval: float | None = None,
        handlers: dict[str, Handler | None] | None = None,
        functions: list[str] | None = None,
    ):
        """handler: the real-time function's handler (default the real one); handlers: any function's, by
        logical id (None: that function is not pumped); functions: pump only these."""
        self._ddb = session.client("dynamodb", endpoint_url=endpoint_url)
        self._streams = session.client("dynamodbstreams", endpoint_url=endpoint_url)
        self._sqs = session.client("sqs", endpoint_url=endpoint_url)
        template = load_template()
        streamed = {name for name, props in tables(template).items() if props.get("StreamSpecification")}
        self._handlers: dict[str, Handler | None] = dict(handlers or {})
        if handler is not None:
            self._handlers["RealtimeFunction"] = handler
        self.mappings = [
            m
            for m in mappings(template)
            if m.table in streamed
            and (functions is None or m.function in functions)
            and not (m.function in self._handlers and self._handlers[m.function] is None)
        ]
        if functions:
            self.name = f"stream pump ({', '.join(functions)})"
        if interval is not None:
            self.min_period = self.idle_wait = self.idle_wait_max = interval
        self._draining = False
        self._queue_urls: dict[str, str] = {}
        self.failed: list[dict[str, Any]] = []  # records given up on (also sent to the on-failure queue)

    def _handler(self, function: str, module: str) -> Handler:
        handler = self._handlers.get(function)
        if handler is None:
            handler = self._handlers[function] = importlib.import_module(module).lambda_handler
        return handler

    # ------------------------------------------------------------ reading

    def poll_once(self) -> int:
        """Reads what is new for every mapping and settles it; the number of records read."""
        count = 0
        for mapping in self.mappings:
            try:
                count += self._poll(mapping)
            except Exception as error:  # noqa: BLE001 - one stream's trouble stops no other
                mapping.last_error = {
                    "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "error": f"{type(error).__name__}: {error}",
                }
                self.failed_with(error, mapping.where)
        return count

    def _poll(self, mapping: Mapping) -> int:
        read = self._read(mapping) if len(mapping.pending) < mapping.batch_size else 0
        handler = self._handler(mapping.function, mapping.module)
        while mapping.pending:
            if (
                len(mapping.pending) < mapping.batch_size
                and not self._draining
                and time.monotonic() - mapping.waiting_since < mapping.window
            ):
                return read  # the batching window is still open: more records may come

            self._warn_if_behind(mapping)
            batch = mapping.pending[: mapping.batch_size]
            self._settle(mapping, handler, batch)
            del mapping.pending[: len(batch)]
            mapping.checkpoint = batch[-1]["dynamodb"]["SequenceNumber"]
        return read

    def _position(self, mapping: Mapping) -> str:
        """A new iterator where the mapping stands: after its checkpoint, or the oldest record kept."""
        if mapping.stream_arn is None:
            mapping.stream_arn = self._ddb.describe_table(TableName=mapping.table)["Table"].get("LatestStreamArn")
            if mapping.stream_arn is None:
                raise RuntimeError(f"table {mapping.table} has no stream")
            shards = self._streams.describe_stream(StreamArn=mapping.stream_arn)["StreamDescription"]["Shards"]
            mapping.shard_id = shards[0]["ShardId"]  # moto's streams have one shard, for good
        where: dict[str, Any] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": mapping.checkpoint}
            if mapping.checkpoint
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        return self._streams.get_shard_iterator(StreamArn=mapping.stream_arn, ShardId=mapping.shard_id, **where)[
            "ShardIterator"
        ]

    def _read(self, mapping: Mapping) -> int:
        if mapping.iterator is None:
            mapping.iterator = self._position(mapping)
        wanted = min(READ_LIMIT, mapping.batch_size - len(mapping.pending))  # a batch at a time: memory stays bounded
        try:
            answer = self._streams.get_records(ShardIterator=mapping.iterator, Limit=wanted)
        except self._streams.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") not in (
                "ExpiredIteratorException",
                "TrimmedDataAccessException",
            ):
                raise
            mapping.iterator = self._position(mapping)
            answer = self._streams.get_records(ShardIterator=mapping.iterator, Limit=wanted)
        assert mapping.stream_arn is not None  # found by _position(), which gave the iterator
        records = [_event_record(r, mapping.stream_arn) for r in answer.get("Records", [])]
        mapping.iterator = answer.get("NextShardIterator")
        mapping.counts["records"] += len(records)
        kept = [r for r in records if not mapping.filters or any(matches(f, r) for f in mapping.filters)]
        if len(kept) < len(records) and not mapping.pending and not kept:
            mapping.checkpoint = records[-1]["dynamodb"]["SequenceNumber"]  # all filtered out: settled
        if kept and not mapping.pending:
            mapping.waiting_since = time.monotonic()
        mapping.pending.extend(kept)
        return len(records)

    def _warn_if_behind(self, mapping: Mapping) -> None:
        behind = mapping.behind_seconds()
        if behind > BEHIND_WARNING_SECONDS and time.monotonic() - mapping.warned_at > BEHIND_WARNING_SECONDS:
            mapping.warned_at = time.monotonic()
            say(
                f"{self.name}: warning: {mapping.where} is {behind:.0f} s behind "
                f"({len(mapping.pending)} records waiting)"
            )

    # ------------------------------------------------------------ invoking

    def _settle(self, mapping: Mapping, handler: Handler, batch: list[dict[str, Any]]) -> None:
        """Invokes until every record of the batch succeeded or went to the on-failure destination."""
        work: list[tuple[list[dict[str, Any]], int]] = [(batch, 0)]  # (records, retries so far), in order
        while work:
            records, retries = work.pop(0)
            failed_from = self._invoke(mapping, handler, records)
            if failed_from is None:
                continue
            if failed_from < 0:  # the function failed (raised): the whole batch
                if mapping.bisect and len(records) > 1:
                    mapping.counts["bisections"] += 1
                    half = len(records) // 2
                    work[:0] = [(records[:half], retries), (records[half:], retries)]
                    continue
                remaining = records
            else:  # partial failure: Lambda checkpoints before the first failed record and retries from it
                remaining = records[failed_from:]
            if mapping.retries >= 0 and retries >= mapping.retries:
                self._give_up(mapping, remaining, retries + 1, function_error=failed_from < 0)
                continue
            mapping.counts["retries"] += 1
            work.insert(0, (remaining, retries + 1))

    def _invoke(self, mapping: Mapping, handler: Handler, records: list[dict[str, Any]]) -> int | None:
        """None when every record succeeded; the index of the first failed record; -1 when the function failed."""
        mapping.counts["invocations"] += 1
        started = time.perf_counter()
        try:
            answer = handler({"Records": records}, context_for(mapping.function, str(uuid.uuid4()))) or {}
        except Exception as error:  # noqa: BLE001 - what Lambda sees as a function error
            mapping.counts["handlerMs"] += round((time.perf_counter() - started) * 1000)
            mapping.counts["handlerErrors"] += 1
            say(
                f"{self.name}: {mapping.function} failed a batch of {len(records)} records from {mapping.table}: "
                f"{error!r}"
            )
            return -1
        mapping.counts["handlerMs"] += round((time.perf_counter() - started) * 1000)
        if not mapping.report_failures:
            return None
        failures = (answer.get("batchItemFailures") or []) if isinstance(answer, dict) else []
        if not failures:
            return None
        positions = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(records)}
        found = [positions.get(f.get("itemIdentifier")) if isinstance(f, dict) else None for f in failures]
        named = [i for i in found if i is not None]
        if len(named) < len(found):
            return 0  # an identifier that names no record of the batch: Lambda fails the whole batch
        return min(named)

    def _give_up(self, mapping: Mapping, records: list[dict[str, Any]], invocations: int, function_error: bool) -> None:
        """Lambda's invocation record for the records it stops retrying, to the on-failure destination."""
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        record = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{mapping.function}",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                **({"functionError": "Unhandled"} if function_error else {}),
            },
            "version": "1.0",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "DDBStreamBatchInfo": {
                "shardId": mapping.shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime", time.time())),
                "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime", time.time())),
                "batchSize": len(records),
                "streamArn": mapping.stream_arn,
            },
        }
        if mapping.on_failure:
            if mapping.on_failure not in self._queue_urls:
                self._queue_urls[mapping.on_failure] = self._sqs.get_queue_url(QueueName=mapping.on_failure)["QueueUrl"]
            self._sqs.send_message(QueueUrl=self._queue_urls[mapping.on_failure], MessageBody=json.dumps(record))
        mapping.counts["sentToOnFailure"] += len(records)
        self.failed.extend(records)
        say(
            f"{self.name}: {mapping.where}: gave up on records {first['SequenceNumber']}..{last['SequenceNumber']} "
            f"after {invocations} invocations; Lambda's invocation record went to "
            f"{mapping.on_failure or 'nowhere (no destination)'}"
        )

    # ------------------------------------------------------------ tests and the status page

    def drain(self, max_rounds: int = 50) -> int:
        """Polls until a round reads nothing (every cascade has settled); the records read."""
        total = 0
        self._draining = True
        try:
            for _ in range(max_rounds):
                count = self.poll_once()
                total += count
                if not count:
                    return total
        finally:
            self._draining = False
        raise RuntimeError("streams did not settle: records keep coming")

    def status(self) -> list[dict[str, Any]]:
        return [m.status() for m in self.mappings]
