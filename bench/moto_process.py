"""A moto server in its own process for the benches that measure through one (maintenance, webhooks):
the process being measured does not share its interpreter with moto. It is the local stack's own
(local.moto_server, with local.moto_dynamodb's fixes), so the benches measure what `make run` runs."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from local.moto_server import MotoProcess


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Starts it, points this process's AWS clients at it (fake credentials), yields its endpoint."""
    server = MotoProcess()
    server.start()
    endpoint = server.endpoint_url
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "LoanAutomation",
            "POWERTOOLS_SERVICE_NAME": "bench",
            "DYNAMODB_ENDPOINT": endpoint,
            "AWS_ENDPOINT_URL": endpoint,
        }
    )
    try:
        yield endpoint
    finally:
        server.stop()
