import pytest

from tests.e2e.test_readme import Stack


@pytest.fixture(scope="module")
def stack():
    """A freshly started local stack for the module (`python -m local.stack` as a subprocess)."""
    started = Stack()
    try:
        yield started
    finally:
        started.kill()
