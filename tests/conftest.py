"""Test setup: moto in-process (never hand-written fakes), resources built from template.yaml,
and an in-process client that sends API Gateway proxy events to the real API handler."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

# The environment must be set before boto3, pynamodb or the lms config is first used.
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_SERVICE_NAME": "loan-automation-tests",
        "POWERTOOLS_METRICS_NAMESPACE": "LoanAutomationTests",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("DYNAMODB_ENDPOINT", None)

import boto3  # noqa: E402
import moto  # noqa: E402,F401
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from local import moto_dynamodb  # noqa: E402
from local.apigw import LambdaContext, proxy_event  # noqa: E402
from local.resources import create_resources  # noqa: E402

ADMIN_KEY = "test-admin-key"
moto_dynamodb.install()  # moto's DynamoDB as the local stack runs it: per-item transaction rollback, one lock

# Property tests: `make test` runs the same generated examples every time (a CI run never fails on
# a case no one can reproduce); HYPOTHESIS_PROFILE=explore searches with fresh random examples, and
# HYPOTHESIS_PROFILE=fast (make test-fast, the developer's loop) runs the first tenth of the repeatable ones.
from hypothesis import settings as _hypothesis  # noqa: E402

HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "repeatable")
_hypothesis.register_profile("repeatable", derandomize=True, database=None)
_hypothesis.register_profile("explore", derandomize=False)
_hypothesis.register_profile("fast", derandomize=True, database=None, max_examples=10)
_hypothesis.load_profile(HYPOTHESIS_PROFILE)


def examples(count: int) -> int:
    """A property test's max_examples: `count`, or under the fast profile a tenth of it (at least 10)."""
    return min(count, max(10, count // 10)) if HYPOTHESIS_PROFILE == "fast" else count


# One boto3 session for every test of a process: a session loads botocore's endpoint data and each service's
# model when it makes its first client of the service (about 0.15 s each), and mock_aws() would give every
# test a new default session. Clients are still made per test (a test's pumps, boto3.client()).
SESSION = boto3.Session(region_name="us-east-1")

# The tables and queues of template.yaml as create_resources made them, once per process (each xdist worker):
# a fresh account gets a copy (a few ms) instead of creating them again through boto3 (about 0.6 s).
_PRISTINE: dict[str, Any] = {}
# prepared(): per name, the account's state right after the fixture's build() and what build() returned.
_PREPARED: dict[str, tuple[dict[str, Any], Any]] = {}
T = TypeVar("T")


def _backends() -> tuple[Any, Any]:
    """moto's DynamoDB and SQS of the account the tests use."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.sqs.models import sqs_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"], sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def _copied_queues(queues: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of moto's queues, each with a lock of its own (a lock cannot be copied)."""
    memo: dict[int, Any] = {id(queue._messages_lock): threading.Condition() for queue in queues.values()}
    return copy.deepcopy(queues, memo)


def _vaults() -> tuple[Any, Any]:
    """moto's Secrets Manager and KMS of the account the tests use."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.kms.models import kms_backends
    from moto.secretsmanager.models import secretsmanager_backends

    return secretsmanager_backends[DEFAULT_ACCOUNT_ID]["us-east-1"], kms_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def _account_state() -> dict[str, Any]:
    """A copy of the account's tables (their items and stream records), queues (their messages) and secrets; its
    keys as they are (no test changes a key: the same objects are put back)."""
    dynamodb, sqs = _backends()
    manager, kms = _vaults()
    return {
        "tables": copy.deepcopy(dynamodb.tables),
        "queues": _copied_queues(sqs.queues),
        "secrets": copy.deepcopy(dict(manager.secrets)),
        "keys": dict(kms.keys),  # each key holds its aliases
    }


def _put_account_state(state: dict[str, Any]) -> None:
    """The account's tables and queues become a copy of `state`'s."""
    dynamodb, sqs = _backends()
    dynamodb.tables.clear()
    dynamodb.tables.update(copy.deepcopy(state["tables"]))
    sqs.queues.clear()
    sqs.queues.update(_copied_queues(state["queues"]))
    manager, kms = _vaults()
    manager.secrets.clear()
    manager.secrets.update(copy.deepcopy(state["secrets"]))  # a test may rotate a secret
    kms.keys.clear()
    kms.keys.update(state["keys"])


def _template_resources() -> None:
    """Every table and queue of template.yaml in the current moto account, which must be empty: made by
    create_resources the first time in this process, a copy of what it made after that."""
    dynamodb, sqs = _backends()
    assert not dynamodb.tables and not sqs.queues, "the moto account is not fresh (a mock_aws inside another?)"
    if not _PRISTINE:
        create_resources(SESSION, secret_values={"AdminApiKeySecret": ADMIN_KEY})
        _PRISTINE.update(_account_state())
    else:
        _put_account_state(_PRISTINE)


def _untouched() -> bool:
    """Whether the account holds exactly the template's tables and queues, with no item, stream record or message."""
    dynamodb, sqs = _backends()
    return (
        _PRISTINE.keys() == {"tables", "queues", "secrets", "keys"}
        and dynamodb.tables.keys() == _PRISTINE["tables"].keys()
        and sqs.queues.keys() == _PRISTINE["queues"].keys()
        and not any(next(iter(table.all_items()), None) for table in dynamodb.tables.values())
        and not any(table.stream_shard is not None and table.stream_shard.items for table in dynamodb.tables.values())
        and not any(queue._messages for queue in sqs.queues.values())
    )


def prepared(name: str, build: Callable[[], T]) -> T:
    """What build() returns, with the moto account as build() left it, for a fixture every test of which starts
    from the same state: built once per process in a fresh account, then copied into each later test's fresh
    account (the same items, ids, stream records and queued messages) with a copy of what it returned. Only for
    state that no process-wide cache of the code keys by its ids (the maintenance worker keeps a run's rules by
    tenant and date for 30 s: a tenant whose runs a test drives must be new)."""
    assert _untouched(), f"{name}: the test's account was written to before the fixture (fixture order?)"
    if name not in _PREPARED:
        result = build()
        _PREPARED[name] = (_account_state(), copy.deepcopy(result))
        return result
    state, result = _PREPARED[name]
    _put_account_state(state)
    return copy.deepcopy(result)


@contextlib.contextmanager
def empty_aws() -> Iterator[None]:
    """mock_aws(): a fresh, empty moto account, with SESSION as boto3's default session."""
    with mock_aws():
        boto3.DEFAULT_SESSION = SESSION  # what boto3.client() uses; mock_aws() puts back the one before it
        yield


@contextlib.contextmanager
def fresh_aws() -> Iterator[None]:
    """A fresh moto account with every table and queue of template.yaml."""
    with empty_aws():
        _template_resources()
        yield


@pytest.fixture
def aws():
    """A fresh moto account with every table and queue of template.yaml."""
    with fresh_aws():
        yield


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With -n (xdist's default `load` distribution): every test is sent to the next free worker, except that the
    tests of one e2e module all go to the same worker, which starts the module's local stack once (about 5 s;
    split over two workers, a module starts two). xdist's own --dist loadgroup cannot do it on this pytest."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class E2eModuleOnOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return nodeid.split("::", 1)[0] if nodeid.startswith("tests/e2e/") else nodeid

    return E2eModuleOnOneWorker(config, log)


class Reply:
    def __init__(self, raw: dict):
        self.raw = raw
        self.status = raw["statusCode"]
        self.headers = {k.lower(): ", ".join(v) for k, v in (raw.get("multiValueHeaders") or {}).items()}
        self.headers.update({k.lower(): v for k, v in (raw.get("headers") or {}).items()})
        self.text = raw.get("body") or ""
        self.json: Any = json.loads(self.text) if self.text else None  # any JSON value; None: no body

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.text[:300]}>"


class Api:
    """Calls the API function in-process, exactly as API Gateway would."""

    def __init__(self, key: str | None = None):
        from functions.api.app import lambda_handler

        self._handler = lambda_handler
        self.key = key

    def request(
        self,
        method: str,
        path: str,
        body=None,
        *,
        key: str | None = "default",
        raw: str | None = None,
        headers: dict | None = None,
        query: dict | None = None,
    ) -> Reply:
        sent = {"Content-Type": "application/json", **(headers or {})}
        key = self.key if key == "default" else key
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        text = raw if raw is not None else (None if body is None else json.dumps(body))
        event = proxy_event(method, path, {k: [str(v)] for k, v in (query or {}).items()}, sent, text)
        return Reply(self._handler(event, LambdaContext()))

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class TenantApi(Api):
    """A client holding the API key of one tenant, and the tenant's id."""

    key: str

    def __init__(self, key: str, tenant_id: str):
        super().__init__(key)
        self.tenant_id = tenant_id


@pytest.fixture
def calls() -> Iterator[Counter]:
    """DynamoDB operations made through botocore, by (operation, table): a batch or a transaction counts once
    for each table it names."""
    import botocore.client

    seen: Counter = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counted(self: Any, operation: str, params: dict[str, Any]) -> Any:
        tables = params.get("RequestItems") or {}
        for entry in params.get("TransactItems") or ():
            tables = {**tables, **{part["TableName"]: None for part in entry.values()}}
        for table in tables or (params.get("TableName", ""),):
            seen[(operation, table)] += 1
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = counted  # counted, then restored
    yield seen
    botocore.client.BaseClient._make_api_call = original


def new_tenant(name: str = "Lender", timezone: str = "UTC") -> TenantApi:
    reply = Api().post("/admin/tenants", {"name": name, "timezone": timezone}, key=ADMIN_KEY)
    assert reply.status == 201, reply
    return TenantApi(reply.json["apiKey"], reply.json["tenantId"])


@pytest.fixture
def api(aws) -> TenantApi:
    """A client holding the API key of a fresh tenant."""
    return new_tenant("First Lender")


@pytest.fixture
def other_api(aws) -> TenantApi:
    """A client of a second, unrelated tenant."""
    return new_tenant("Second Lender")


LOAN_SETUP = {
    "loanAmount": "12000.00",
    "interestRate": "9.5",
    "termPeriods": 36,
    "paymentFrequency": "monthly",
    "contractDate": "2026-01-15",
    "firstPaymentDate": "2026-02-15",
}


def make_customer(api: Api, **fields) -> dict:
    body = {"firstName": "Ada", "lastName": "Lovelace", "customerType": "individual", **fields}
    reply = api.post("/customers", body)
    assert reply.status == 201, reply
    return reply.json


def make_loan(api: Api, customers: Sequence[tuple[str, str]] = (), **fields) -> dict:
    body = {"setup": LOAN_SETUP, "customers": [{"customerId": c, "role": r} for c, r in customers], **fields}
    reply = api.post("/loans", body)
    assert reply.status == 201, reply
    return reply.json
