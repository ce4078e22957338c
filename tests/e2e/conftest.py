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


def tenant_caller(stack, name: str):
    """A new tenant on the stack: (its API key, call(method, path, body) that asserts a 2xx and returns the body)."""
    status, tenant = stack.request("POST", "/admin/tenants", {"name": name}, key=stack.admin)
    assert status == 201, tenant
    key = tenant["apiKey"]

    def call(method, path, body=None):
        code, answer = stack.request(method, path, body, key=key)
        assert code in (200, 201, 202, 204), (method, path, code, answer)
        return answer

    return key, call


def settled(stack, quiet_seconds: float = 2.0, timeout: float = 30.0) -> None:
    """Waits until the stack's pumps have handled everything so far (local.control.settled)."""
    from local.control import settled as pumps_settled

    pumps_settled(stack.api, quiet_seconds, timeout)
