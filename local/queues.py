"""The queue pump: what Lambda's SQS event source mapping does, for moto (which never runs Lambda
code). For every function of template.yaml with an SQS event it receives messages (up to the event's
BatchSize), hands them to the function's handler in Lambda's event shape, deletes the ones that
succeeded (ReportBatchItemFailures) and leaves the rest to be received again. A handler that raises
(a worker killed in the middle of a batch) fails the whole batch, as in Lambda.

One local liberty: a failed message is made visible again at once (Lambda waits for the queue's
visibility timeout, minutes). moto applies the queue's redrive policy: after maxReceiveCount
receives a message moves to the dead-letter queue.

Used by the local stack (a thread per function, long-polling its queue) and by tests (`drain()`: until
every queue is empty).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.apigw import REGION, context_for, handler_module
from local.polling import Poller, now_iso, say
from local.resources import load_template

Handler = Callable[[dict, Any], dict]
BEHIND_WARNING_SECONDS = 30


@dataclass
class Source:
    function: str  # logical id
    queue: str  # logical id
    batch_size: int
    module: str  # functions.<dir>.app
    report_failures: bool = True
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("received", "succeeded", "failed", "handlerErrors", "invocations", "handlerMs"), 0
        )
    )
    busy_since: float | None = None  # every receive since then found messages
    last_error: dict[str, Any] | None = None
    warned_at: float = 0.0

    @property
    def where(self) -> str:
        return f"{self.function} on {self.queue}"

    def behind_seconds(self) -> float:
        return 0.0 if self.busy_since is None else time.monotonic() - self.busy_since


def sources(template: dict[str, Any]) -> list[Source]:
    found = []
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "SQS":
                spec = event["Properties"]
                found.append(
                    Source(
                        name,
                        spec["Queue"]["Fn::GetAtt"][0],
                        int(spec.get("BatchSize", 10)),
                        handler_module(props),
                        "ReportBatchItemFailures" in (spec.get("FunctionResponseTypes") or []),
                    )
                )
    return found


class QueuePump(Poller):
    name = "queue pump"

    def __init__(
        self,
        session: Any,
        endpoint_url: str | None = None,
        handlers: dict[str, Handler] | None = None,
        interval: float = 0.2,
        functions: list[str] | None = None,
        wait_seconds: int = 0,
    ):
        """functions: pump only these; wait_seconds: SQS long polling (the stack's threads wait for messages
        in moto instead of asking again and again)."""
        self._sqs = session.client("sqs", endpoint_url=endpoint_url)
        self.sources = [s for s in sources(load_template()) if functions is None or s.function in functions]
        if functions:
            self.name = f"queue pump ({', '.join(functions)})"
        self._handlers: dict[str, Handler] = dict(handlers or {})  # by function logical id
        self._urls: dict[str, str] = {}
        self._arns: dict[str, str] = {}
        self.idle_wait = self.idle_wait_max = interval
        self._wait_seconds = wait_seconds

    def handler(self, function: str) -> Handler:
        if function not in self._handlers:
            source = next(s for s in self.sources if s.function == function)
            self._handlers[function] = importlib.import_module(source.module).lambda_handler
        return self._handlers[function]

    def set_handler(self, function: str, handler: Handler | None) -> None:
        """Replaces a function's handler (tests: a worker that dies mid-batch); None restores it."""
        if handler is None:
            self._handlers.pop(function, None)
        else:
            self._handlers[function] = handler

    def _url(self, queue: str) -> str:
        if queue not in self._urls:
            self._urls[queue] = self._sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            self._arns[queue] = self._sqs.get_queue_attributes(QueueUrl=self._urls[queue], AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
        return self._urls[queue]

    def poll_once(self, wait_seconds: int | None = None) -> int:
        """One batch from each queue to its function; the number of messages received."""
        count = 0
        for source in self.sources:
            try:
                count += self._deliver(source, self._wait_seconds if wait_seconds is None else wait_seconds)
            except Exception as error:  # noqa: BLE001 - one queue's trouble stops no other
                source.last_error = {"at": now_iso(), "error": f"{type(error).__name__}: {error}"}
                self.failed_with(error, source.where)
        return count

    def _deliver(self, source: Source, wait_seconds: int) -> int:
        url = self._url(source.queue)
        answer = self._sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(source.batch_size, 10),
            MessageSystemAttributeNames=["All"],
            WaitTimeSeconds=wait_seconds,
        )
        messages = answer.get("Messages", [])
        if not messages:
            source.busy_since = None
            return 0
        if source.busy_since is None:
            source.busy_since = time.monotonic()
        self._warn_if_behind(source)
        source.counts["received"] += len(messages)
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": self._arns[source.queue],
                "awsRegion": REGION,
            }
            for m in messages
        ]
        source.counts["invocations"] += 1
        started = time.perf_counter()
        try:
            answer = self.handler(source.function)({"Records": records}, context_for(source.function)) or {}
            failed = (
                {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])} if source.report_failures else set()
            )
        except Exception as error:  # noqa: BLE001 - the whole batch failed (as when a Lambda invocation dies)
            source.counts["handlerErrors"] += 1
            say(f"{self.name}: {source.function} failed a batch of {len(records)} messages: {error!r}")
            failed = {r["messageId"] for r in records}
        source.counts["handlerMs"] += round((time.perf_counter() - started) * 1000)
        done = [r for r in records if r["messageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(done)]
            )
        again = [r for r in records if r["messageId"] in failed]
        if again:
            self._sqs.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"], "VisibilityTimeout": 0}
                    for i, r in enumerate(again)
                ],
            )
        source.counts["succeeded"] += len(done)
        source.counts["failed"] += len(again)
        return len(records)

    def _warn_if_behind(self, source: Source) -> None:
        behind = source.behind_seconds()
        if behind > BEHIND_WARNING_SECONDS and time.monotonic() - source.warned_at > BEHIND_WARNING_SECONDS:
            source.warned_at = time.monotonic()
            say(
                f"{self.name}: warning: {source.where} is behind: messages have been waiting for {behind:.0f} s "
                f"(about {self.depth(source.queue)} in the queue)"
            )

    def drain(self, max_rounds: int = 100_000, timeout: float = 600) -> int:
        """Polls until a round receives nothing from any queue; the messages received."""
        total, deadline = 0, time.monotonic() + timeout
        for _ in range(max_rounds):
            count = self.poll_once(wait_seconds=0)
            total += count
            if not count:
                return total
            if time.monotonic() > deadline:
                break
        raise RuntimeError("queues did not empty: messages keep coming")

    def depth(self, queue: str) -> int:
        attributes = self._sqs.get_queue_attributes(QueueUrl=self._url(queue), AttributeNames=["All"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def status(self) -> list[dict[str, Any]]:
        return [
            {
                "function": s.function,
                "queue": s.queue,
                "behindSeconds": round(s.behind_seconds(), 1),
                "depth": self.depth(s.queue),
                **s.counts,
                "lastError": s.last_error,
            }
            for s in self.sources
        ]


def drain_all(*pumps: Any, max_rounds: int = 100) -> None:
    """Until every pump is quiet in the same round (queue work makes stream records and back)."""
    for _ in range(max_rounds):
        if sum(p.drain() for p in pumps) == 0:
            return
    raise RuntimeError("the pumps did not settle")
