"""Webhook delivery (SQS, partial batch failures): one signed, SSRF-checked HTTP attempt per message,
retries re-queued with backoff. The decisions live in lms.webhooks.sender."""

import json

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from lms.logs import invocation_keys
from lms.webhooks import sender

logger = Logger()


@invocation_keys(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    messages, failures = [], []
    for record in SQSEvent(event).records:
        try:
            messages.append((record.message_id, json.loads(record.body)))
        except ValueError:
            logger.error("not a webhook message", extra={"message_id": record.message_id})
            failures.append(record.message_id)  # retried, then dead-lettered: never silently dropped
    failures += sender.handle_batch(messages)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures]}
