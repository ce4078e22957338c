"""Domain events for webhooks: DynamoDB stream records of loans, customers, transactions, the audit
log and maintenance runs (Powertools batch processing, partial batch failures). The decisions live in
lms.webhooks.events."""

import lms.coldstart  # first: no garbage collection while the modules below load

# isort: split
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lms.logs import invocation_keys
from lms.measures import metrics
from lms.tracing import capture
from lms.webhooks import events

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
_batch: list = [events.Batch()]  # subscriptions and business dates, read once per batch


def record_handler(record: DynamoDBRecord) -> None:
    queued = events.handle(record.raw_event, _batch[0])
    if queued:
        logger.info("webhook messages queued", extra={"event_id": record.event_id, "messages": queued})


@capture
@metrics.log_metrics
@invocation_keys(logger)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    _batch[0] = events.Batch()
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


lms.coldstart.loaded()  # every module loaded: frozen, and collected again from here
