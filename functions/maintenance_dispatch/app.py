"""Daily maintenance dispatch (EventBridge schedule, every 15 minutes): creates each tenant's run once
its local time has passed its maintenance hour. The decisions live in lms.maintenance."""

import lms.coldstart  # first: no garbage collection while the modules below load

# isort: split
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from lms import maintenance
from lms.logs import invocation_keys
from lms.measures import metrics
from lms.tracing import capture

logger = Logger()


@capture
@metrics.log_metrics
@invocation_keys(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    created = maintenance.dispatch()
    logger.info("maintenance dispatch", extra={"runs_created": len(created)})
    return {"runsCreated": [{"tenantId": t, "runId": r} for t, r in created]}


lms.coldstart.loaded()  # every module loaded: frozen, and collected again from here
