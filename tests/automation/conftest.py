import boto3
import pytest


@pytest.fixture
def pump(aws):
    """The local stack's stream pump over the in-process moto: `pump.drain()` delivers every stream
    record to the real-time handler, as Lambda's event source mapping would, until all is quiet."""
    from local.streams import StreamPump

    return StreamPump(boto3.Session(region_name="us-east-1"))
