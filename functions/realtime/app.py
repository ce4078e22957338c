"""Real-time rules: DynamoDB stream records of loans, customers and transactions (Powertools batch
processing, partial batch failures). The decisions live in lms.automation.realtime."""

import lms.coldstart  # first: no garbage collection while the modules below load

# isort: split
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lms.automation import realtime
from lms.logs import invocation_keys
from lms.measures import metrics
from lms.tracing import capture

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
_batch: dict = {}  # per-tenant labels, rules and today, read once per batch


def record_handler(record: DynamoDBRecord) -> None:
    outcomes = realtime.handle(record.raw_event, _batch)
    logger.info(
        "stream record",
        extra={
            "event_id": record.event_id,
            "event_name": str(record.event_name),
            "runs": len(outcomes),
            "skipped": [o.skipped for o in outcomes if o.skipped],
        },
    )


@capture
@metrics.log_metrics
@invocation_keys(logger)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    _batch.clear()
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


lms.coldstart.loaded()  # every module loaded: frozen, and collected again from here
