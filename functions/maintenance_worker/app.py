"""Daily maintenance worker (SQS, partial batch failures): pages of a run's loans, and loans brought
forward day by day with snapshots and daily rules. The decisions live in lms.maintenance."""

import json
import os

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from lms import maintenance
from lms.logs import invocation_keys

logger = Logger()
MAX_RECEIVES = int(os.environ.get("MAX_RECEIVE_COUNT", "5"))  # the queue's redrive policy


@invocation_keys(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    messages = []
    failures = []
    for record in SQSEvent(event).records:
        try:
            body = json.loads(record.body)
        except ValueError:
            logger.error("not a maintenance message", extra={"message_id": record.message_id})
            failures.append(record.message_id)  # retried, then dead-lettered: never silently dropped
            continue
        messages.append((record.message_id, body, int(record.attributes.approximate_receive_count or 1)))
    failures += maintenance.handle_batch(messages, MAX_RECEIVES)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures]}
