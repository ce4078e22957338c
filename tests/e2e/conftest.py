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
    """Waits until the stack's pumps have read and handled every stream record so far: nothing waiting and no
    record read for `quiet_seconds` (the pumps read each stream at least once a second)."""
    import json
    import time
    import urllib.request

    deadline, last, quiet_since = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        with urllib.request.urlopen(stack.api + "/_local/status", timeout=10) as answer:
            status = json.loads(answer.read())
        seen = (
            sum(s["records"] for s in status["streams"]),
            sum(s["waiting"] for s in status["streams"]),
            sum(q["received"] + q["depth"] for q in status["queues"]),
        )
        if seen != last or seen[1]:
            last, quiet_since = seen, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_seconds:
            return
        time.sleep(0.2)
    raise AssertionError("the stack's pumps did not settle")
