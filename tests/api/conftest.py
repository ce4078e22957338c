import pytest

from tests.api.helpers import World


@pytest.fixture
def world(aws):
    """The first tenant, holding one of everything: the same world in every test (made once per process,
    then copied into each test's fresh account; see tests.conftest.prepared)."""
    from tests.conftest import new_tenant, prepared

    return prepared("world", lambda: World(new_tenant("First Lender")))


@pytest.fixture(scope="module")
def shared_aws():
    """One moto account for a whole module of read-only or must-write-nothing tests (speed)."""
    from tests.conftest import fresh_aws

    with fresh_aws():
        yield


@pytest.fixture(scope="module")
def shared_world(shared_aws):
    """A tenant holding one of everything, shared by a module whose tests must write nothing."""
    from tests.conftest import new_tenant

    return World(new_tenant("Shared Lender"))
