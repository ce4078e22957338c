"""The queue pump: what Lambda's SQS event source mapping does, for moto (which never runs Lambda
code). For every function of template.yaml with an SQS event it receives messages (up to the event's
BatchSize), hands them to the function's handler in Lambda's event shape, deletes the ones that
succeeded and leaves the rest to be received again. A handler that raises (a worker killed in the
middle of a batch) fails the whole batch, as in Lambda.

One local liberty: a failed message is made visible again at once (Lambda waits for the queue's
visibility timeout, minutes). moto applies the queue's redrive policy: after maxReceiveCount
receives a message moves to the dead-letter queue.

Used by the local stack (a thread) and by tests (`drain()`: until every queue is empty).
"""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from typing import Any, Callable

from local.apigw import context_for, handler_module
from local.polling import Poller
from local.resources import load_template

Handler = Callable[[dict, Any], dict]


@dataclass
class Source:
    function: str  # logical id
    queue: str  # logical id
    batch_size: int
    module: str  # functions.<dir>.app


def sources(template: dict[str, Any]) -> list[Source]:
    found = []
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "SQS":
                queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
                module = handler_module(props)
                found.append(Source(name, queue, int(event["Properties"].get("BatchSize", 10)), module))
    return found


class QueuePump(Poller):
    name = "queue pump"

    def __init__(self, session: Any, endpoint_url: str | None = None, handlers: dict[str, Handler] | None = None,
                 interval: float = 0.2):
        self._sqs = session.client("sqs", endpoint_url=endpoint_url)
        self._sources = sources(load_template())
        self._handlers: dict[str, Handler] = dict(handlers or {})  # by function logical id
        self._urls: dict[str, str] = {}
        self._arns: dict[str, str] = {}
        self._interval = interval

    def handler(self, function: str) -> Handler:
        if function not in self._handlers:
            source = next(s for s in self._sources if s.function == function)
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
            self._arns[queue] = self._sqs.get_queue_attributes(
                QueueUrl=self._urls[queue], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return self._urls[queue]

    def poll_once(self) -> int:
        """One batch from each queue to its function; the number of messages received."""
        count = 0
        for source in self._sources:
            count += self._deliver(source)
        return count

    def _deliver(self, source: Source) -> int:
        url = self._url(source.queue)
        answer = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(source.batch_size, 10),
                                           MessageSystemAttributeNames=["All"], WaitTimeSeconds=0)
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        records = [{
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody", ""),
            "eventSource": "aws:sqs", "eventSourceARN": self._arns[source.queue], "awsRegion": "us-east-1",
        } for m in messages]
        try:
            context = context_for(source.function, "local-queue-pump")
            answer = self.handler(source.function)({"Records": records}, context) or {}
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
        except Exception as error:  # the whole batch failed (as when a Lambda invocation dies)
            print(f"queue pump: {source.function} failed a batch: {error!r}", flush=True)
            failed = {r["messageId"] for r in records}
        done = [r for r in records if r["messageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(done)])
        again = [r for r in records if r["messageId"] in failed]
        if again:
            self._sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"], "VisibilityTimeout": 0} for i, r in enumerate(again)])
        return len(records)

    def drain(self, max_rounds: int = 100_000, timeout: float = 600) -> int:
        """Polls until a round receives nothing from any queue; the messages received."""
        total, deadline = 0, time.monotonic() + timeout
        for _ in range(max_rounds):
            count = self.poll_once()
            total += count
            if not count:
                return total
            if time.monotonic() > deadline:
                break
        raise RuntimeError("queues did not empty: messages keep coming")

    def depth(self, queue: str) -> int:
        attributes = self._sqs.get_queue_attributes(QueueUrl=self._url(queue), AttributeNames=["All"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def drain_all(*pumps: Any, max_rounds: int = 100) -> None:
    """Until every pump is quiet in the same round (queue work makes stream records and back)."""
    for _ in range(max_rounds):
        if sum(p.drain() for p in pumps) == 0:
            return
    raise RuntimeError("the pumps did not settle")
