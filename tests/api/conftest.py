import pytest

from tests.api.helpers import World


@pytest.fixture
def world(api):
    """The first tenant, holding one of everything."""
    return World(api)


@pytest.fixture(scope="module")
def shared_aws():
    """One moto account for a whole module of read-only or must-write-nothing tests (speed)."""
    import boto3
    from moto import mock_aws

    from local.resources import create_resources

    with mock_aws():
        create_resources(boto3.Session(region_name="us-east-1"))
        yield


@pytest.fixture(scope="module")
def shared_world(shared_aws):
    """A tenant holding one of everything, shared by a module whose tests must write nothing."""
    from tests.conftest import new_tenant

    return World(new_tenant("Shared Lender"))
