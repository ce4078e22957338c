"""Test setup: moto in-process (never hand-written fakes), resources built from template.yaml,
and an in-process client that sends API Gateway proxy events to the real API handler."""

from __future__ import annotations

import hashlib
import json
import os

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
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "ADMIN_API_KEY_SHA256": hashlib.sha256(b"test-admin-key").hexdigest(),
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
# a case no one can reproduce); HYPOTHESIS_PROFILE=explore searches with fresh random examples.
from hypothesis import settings as _hypothesis  # noqa: E402

_hypothesis.register_profile("repeatable", derandomize=True, database=None)
_hypothesis.register_profile("explore", derandomize=False)
_hypothesis.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture
def aws():
    """A fresh moto account with every table and queue of template.yaml."""
    with mock_aws():
        create_resources(boto3.Session(region_name="us-east-1"))
        yield


class Reply:
    def __init__(self, raw: dict):
        self.raw = raw
        self.status = raw["statusCode"]
        self.headers = {k.lower(): ", ".join(v) for k, v in (raw.get("multiValueHeaders") or {}).items()}
        self.headers.update({k.lower(): v for k, v in (raw.get("headers") or {}).items()})
        self.text = raw.get("body") or ""
        self.json = json.loads(self.text) if self.text else None

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


def new_tenant(name: str = "Lender", timezone: str = "UTC") -> Api:
    reply = Api().post("/admin/tenants", {"name": name, "timezone": timezone}, key=ADMIN_KEY)
    assert reply.status == 201, reply
    client = Api(reply.json["apiKey"])
    client.tenant_id = reply.json["tenantId"]
    return client


@pytest.fixture
def api(aws) -> Api:
    """A client holding the API key of a fresh tenant."""
    return new_tenant("First Lender")


@pytest.fixture
def other_api(aws) -> Api:
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


def make_loan(api: Api, customers: list[tuple[str, str]] = (), **fields) -> dict:
    body = {"setup": LOAN_SETUP, "customers": [{"customerId": c, "role": r} for c, r in customers], **fields}
    reply = api.post("/loans", body)
    assert reply.status == 201, reply
    return reply.json
