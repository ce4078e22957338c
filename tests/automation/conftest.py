import pytest

from tests.conftest import SESSION


@pytest.fixture
def pump(aws):
    """The local stack's stream pump over the in-process moto: `pump.drain()` delivers every stream
    record to the real-time handler, as Lambda's event source mapping would, until all is quiet."""
    from local.streams import StreamPump

    return StreamPump(SESSION)


@pytest.fixture
def queue_pump(aws):
    """The local stack's queue pump over the in-process moto: `queue_pump.drain()` hands every queued
    message to its worker (force jobs, maintenance), as Lambda's SQS event source would."""
    from local.queues import QueuePump

    return QueuePump(SESSION)
