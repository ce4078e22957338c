"""Daily maintenance worker (SQS, partial batch failures): pages of a run's loans, and loans brought
forward day by day with snapshots and daily rules. The decisions live in lms.maintenance."""

import lms.coldstart  # first: no garbage collection while the modules below load

# isort: split
import os

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from lms import maintenance, queues
from lms.logs import invocation_keys
from lms.measures import metrics
from lms.tracing import capture

logger = Logger()
MAX_RECEIVES = int(os.environ.get("MAX_RECEIVE_COUNT", "5"))  # the queue's redrive policy


@capture
@metrics.log_metrics
@invocation_keys(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    messages, failures = queues.read_batch(event)  # unreadable ones: retried, then dead-lettered
    for message_id in failures:
        logger.error("not a maintenance message", extra={"message_id": message_id})
    failures += maintenance.handle_batch(messages, MAX_RECEIVES)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures]}


lms.coldstart.loaded()  # every module loaded: frozen, and collected again from here
