"""Webhook delivery (SQS, partial batch failures): one signed, SSRF-checked HTTP attempt per message,
retries re-queued with backoff. The decisions live in lms.webhooks.sender."""

import lms.coldstart  # first: no garbage collection while the modules below load

# isort: split
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from lms import queues
from lms.logs import invocation_keys
from lms.measures import metrics
from lms.tracing import capture
from lms.webhooks import sender

logger = Logger()


@capture
@metrics.log_metrics
@invocation_keys(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    messages, failures = queues.read_batch(event)  # unreadable ones: retried, then dead-lettered
    for message_id in failures:
        logger.error("not a webhook message", extra={"message_id": message_id})
    failures += sender.handle_batch([(message_id, body) for message_id, body, _ in messages])
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures]}


lms.coldstart.loaded()  # every module loaded: frozen, and collected again from here
