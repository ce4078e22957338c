"""Force jobs: one rule on many loans (SQS, Powertools batch processing, partial batch failures).
The decisions live in lms.automation.jobs."""

import lms.coldstart  # first: no garbage collection while the modules below load

# isort: split
import json
import os

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lms.automation import jobs
from lms.logs import invocation_keys
from lms.measures import metrics
from lms.tracing import capture

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)
MAX_RECEIVES = int(os.environ.get("MAX_RECEIVE_COUNT", "5"))  # the queue's redrive policy


def record_handler(record: SQSRecord) -> None:
    message = json.loads(record.body)
    receives = int(record.attributes.approximate_receive_count or 1)
    jobs.handle(message, last_attempt=receives >= MAX_RECEIVES)
    logger.info(
        "force job message",
        extra={
            "type": message.get("type"),
            "job_id": message.get("jobId"),
            "loan_id": message.get("loanId"),
            "receives": receives,
        },
    )


@capture
@metrics.log_metrics
@invocation_keys(logger)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


lms.coldstart.loaded()  # every module loaded: frozen, and collected again from here
