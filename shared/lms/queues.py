"""Sending work to SQS queues (force jobs, daily maintenance). A queue is named by its URL (what
!Ref gives in template.yaml) or, locally and in tests, by its name.

The endpoint comes from boto3's own configuration (AWS_ENDPOINT_URL in the local stack)."""

from __future__ import annotations

import json
import threading
from typing import Any

from .config import config

BATCH = 10  # SendMessageBatch's limit
_ATTEMPTS = 5

_lock = threading.Lock()
_client: Any = None
_urls: dict[str, str] = {}


def _sqs() -> Any:
    global _client
    with _lock:
        if _client is None:
            import boto3  # only when a message is sent: the API's cold start does not pay for it

            _client = boto3.client("sqs", region_name=config().region)
        return _client


def url(queue: str) -> str:
    if queue.startswith(("https://", "http://")):
        return queue
    if queue not in _urls:
        _urls[queue] = _sqs().get_queue_url(QueueName=queue)["QueueUrl"]
    return _urls[queue]


MAX_DELAY = 900  # SQS: a message can be delayed at most 15 minutes


def send(queue: str, messages: list[dict[str, Any]], delay: int = 0) -> int:
    """Sends every message (JSON), ten per call, each delayed `delay` seconds (at most 900); entries SQS
    refuses are sent again. The number sent."""
    client, queue_url = _sqs(), url(queue)
    extra = {"DelaySeconds": max(0, min(MAX_DELAY, int(delay)))} if delay else {}
    for start in range(0, len(messages), BATCH):
        pending = {str(i): json.dumps(m, separators=(",", ":")) for i, m in enumerate(messages[start : start + BATCH])}
        for _ in range(_ATTEMPTS):
            answer = client.send_message_batch(
                QueueUrl=queue_url, Entries=[{"Id": key, "MessageBody": body, **extra} for key, body in pending.items()]
            )
            failed = {f["Id"] for f in answer.get("Failed", [])}
            pending = {k: v for k, v in pending.items() if k in failed}
            if not pending:
                break
        else:
            raise RuntimeError(f"SQS refused {len(pending)} message(s) for {queue}")
    return len(messages)


def read_batch(event: dict[str, Any]) -> tuple[list[tuple[str, dict[str, Any], int]], list[str]]:
    """An SQS event's messages as (message id, body, receive count), and the ids of the messages whose
    body is not a JSON object: those are reported as failures, so SQS delivers them again and then
    dead-letters them (never dropped silently)."""
    from aws_lambda_powertools.utilities.data_classes import SQSEvent

    messages, unreadable = [], []
    for record in SQSEvent(event).records:
        try:
            body = json.loads(record.body)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            unreadable.append(record.message_id)
            continue
        messages.append((record.message_id, body, int(record.attributes.approximate_receive_count or 1)))
    return messages, unreadable
