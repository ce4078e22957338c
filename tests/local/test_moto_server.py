"""local.moto_server's WSGI application: DynamoDB, DynamoDB Streams and SQS (JSON) requests go straight to
moto's handlers and answer exactly what moto's own dispatcher (its Flask application) answers; every other
service still goes through moto's dispatcher."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

from local import moto_dynamodb, moto_server
from tests.conftest import empty_aws

AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/{service}/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0"
)


@pytest.fixture
def apps():
    with empty_aws():
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName="Loans",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield Client(moto_server.application()), Client(DomainDispatcherApplication(create_backend_app))


def _call(client: Client, target: str, body: dict, service: str = "dynamodb", user_agent: str = "Boto3/1.44.5"):
    answer = client.post(
        "/",
        data=json.dumps(body),
        headers={
            "X-Amz-Target": target,
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": AUTH.format(service=service),
            "X-Amz-Date": "20261201T000000Z",
            "User-Agent": user_agent,
        },
    )
    return answer.status_code, json.loads(answer.get_data() or b"{}"), answer.headers


ITEM = {
    "pk": {"S": "T#1"},
    "sk": {"S": "LOAN#1"},
    "amount": {"N": "12000.00"},
    "tags": {"SS": ["a", "b"]},
    "setup": {"M": {"rate": {"N": "9.5"}, "flags": {"L": [{"BOOL": True}, {"NULL": True}]}}},
}
REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("DynamoDB_20120810.PutItem", {"TableName": "Loans", "Item": ITEM}),
    ("DynamoDB_20120810.GetItem", {"TableName": "Loans", "Key": {"pk": ITEM["pk"], "sk": ITEM["sk"]}}),
    (
        "DynamoDB_20120810.Query",
        {"TableName": "Loans", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "T#1"}}},
    ),
    ("DynamoDB_20120810.GetItem", {"TableName": "Missing", "Key": {"pk": {"S": "x"}, "sk": {"S": "y"}}}),
    (
        "DynamoDB_20120810.TransactWriteItems",
        {
            "TransactItems": [
                {
                    "ConditionCheck": {
                        "TableName": "Loans",
                        "Key": {"pk": {"S": "T#2"}, "sk": {"S": "none"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            ]
        },
    ),
    ("DynamoDB_20120810.PutItem", {"TableName": "Loans", "Item": {"pk": {"S": "x"}}}),
]


@pytest.mark.parametrize("target, body", REQUESTS, ids=[f"{t.split('.')[1]}-{i}" for i, (t, _) in enumerate(REQUESTS)])
def test_dynamodb_answers_what_moto_s_own_dispatcher_answers(apps, target, body):
    fast, moto = apps
    fast_status, fast_body, fast_headers = _call(fast, target, body)
    moto_status, moto_body, moto_headers = _call(moto, target, body)
    assert (fast_status, fast_body) == (moto_status, moto_body)
    assert fast_headers["Content-Type"] == moto_headers["Content-Type"]
    assert fast_headers.get("x-amzn-crc32") == moto_headers.get("x-amzn-crc32")


def test_dynamodb_errors_keep_moto_s_shape(apps):
    fast, _ = apps
    status, body, _ = _call(fast, "DynamoDB_20120810.GetItem", {"TableName": "Missing", "Key": {"pk": {"S": "x"}}})
    assert status == 400 and body["__type"].endswith("ResourceNotFoundException")
    status, body, _ = _call(fast, *REQUESTS[4])
    assert status == 400 and body["__type"].endswith("TransactionCanceledException")
    assert [r["Code"] for r in body["CancellationReasons"]] == ["ConditionalCheckFailed"]


def test_streams_answer_what_moto_s_own_dispatcher_answers(apps):
    fast, moto = apps
    _call(fast, *REQUESTS[0])
    streams = _call(fast, "DynamoDBStreams_20120810.ListStreams", {}, "dynamodb")
    assert streams[0] == 200 and streams[1] == _call(moto, "DynamoDBStreams_20120810.ListStreams", {})[1]
    arn = streams[1]["Streams"][0]["StreamArn"]
    shard = _call(fast, "DynamoDBStreams_20120810.DescribeStream", {"StreamArn": arn})[1]["StreamDescription"][
        "Shards"
    ][0]
    iterator = _call(
        fast,
        "DynamoDBStreams_20120810.GetShardIterator",
        {"StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"},
    )[1]["ShardIterator"]
    records = _call(fast, "DynamoDBStreams_20120810.GetRecords", {"ShardIterator": iterator})[1]["Records"]
    assert [r["eventName"] for r in records] == ["INSERT"]
    assert records[0]["dynamodb"]["NewImage"] == ITEM


SQS_REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("AmazonSQS.CreateQueue", {"QueueName": "q", "Attributes": {"VisibilityTimeout": "5"}}),
    ("AmazonSQS.GetQueueUrl", {"QueueName": "q"}),
    ("AmazonSQS.GetQueueUrl", {"QueueName": "missing"}),
    ("AmazonSQS.SendMessage", {"QueueUrl": "http://localhost/123456789012/missing", "MessageBody": "x"}),
    ("AmazonSQS.GetQueueAttributes", {"QueueUrl": "http://localhost/123456789012/q", "AttributeNames": ["All"]}),
    ("AmazonSQS.ReceiveMessage", {"QueueUrl": "http://localhost/123456789012/q", "WaitTimeSeconds": 0}),
]


@pytest.mark.parametrize(
    "target, body", SQS_REQUESTS, ids=[f"{t.split('.')[1]}-{i}" for i, (t, _) in enumerate(SQS_REQUESTS)]
)
def test_sqs_answers_what_moto_s_own_dispatcher_answers(apps, target, body):
    fast, moto = apps
    _call(fast, *SQS_REQUESTS[0], "sqs")
    fast_status, fast_body, fast_headers = _call(fast, target, body, "sqs")
    moto_status, moto_body, moto_headers = _call(moto, target, body, "sqs")
    volatile = ("CreatedTimestamp", "LastModifiedTimestamp")
    for answer in (fast_body, moto_body):
        for name in volatile:
            answer.get("Attributes", {}).pop(name, None)
    assert (fast_status, fast_body) == (moto_status, moto_body)
    assert fast_headers["Content-Type"] == moto_headers["Content-Type"]


def test_only_other_services_go_through_moto_s_dispatcher(apps, monkeypatch):
    fast, _ = apps
    asked: list[str | None] = []  # X-Amz-Target of each request moto's dispatcher saw
    original = DomainDispatcherApplication.get_application

    def get_application(self: DomainDispatcherApplication, environ: dict[str, Any]) -> Any:
        asked.append(environ.get("HTTP_X_AMZ_TARGET"))
        return original(self, environ)

    monkeypatch.setattr(DomainDispatcherApplication, "get_application", get_application)
    assert _call(fast, *REQUESTS[0])[0] == 200
    assert _call(fast, "DynamoDBStreams_20120810.ListStreams", {})[0] == 200
    status, body, _ = _call(fast, "AmazonSQS.CreateQueue", {"QueueName": "q"}, "sqs")
    assert status == 200 and body["QueueUrl"].endswith("/q")
    assert asked == []
    status, _, _ = _call(fast, "AWSEvents.ListRules", {}, "events")
    assert status == 200
    assert asked == ["AWSEvents.ListRules"]


def test_the_background_s_requests_take_their_turn_after_the_api_s(apps, monkeypatch):
    """A request whose User-Agent names the local stack's background (AWS_SDK_UA_APP_ID) is deferrable."""
    fast, _ = apps
    seen: list[bool] = []
    original = moto_dynamodb.TurnLock.acquire

    def acquire(self: moto_dynamodb.TurnLock) -> None:
        seen.append(moto_dynamodb._deferrable.value)
        original(self)

    monkeypatch.setattr(moto_dynamodb.TurnLock, "acquire", acquire)
    target, body = REQUESTS[1]
    assert _call(fast, target, body)[0] == 200
    agent = f"Boto3/1.44.5 md/Botocore#1.44.5 {moto_server.BACKGROUND_AGENT} cfg/retry-mode#legacy"
    assert _call(fast, target, body, user_agent=agent)[0] == 200
    assert seen == [False, True]
    assert moto_dynamodb._deferrable.value is False  # the server's thread is put back


def test_the_stack_starts_its_background_with_the_app_id_its_calls_carry(monkeypatch):
    """What the stack gives its background process: botocore then adds app/<id> to every call's User-Agent."""
    import botocore.session

    from local import stack

    env = stack.background_environment("lk_demo")
    assert env["DEMO_API_KEY"] == "lk_demo"
    monkeypatch.setenv("AWS_SDK_UA_APP_ID", env["AWS_SDK_UA_APP_ID"])
    client = botocore.session.get_session().create_client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    agent = client._user_agent_creator.to_string()  # what botocore sends
    assert moto_server.BACKGROUND_AGENT in agent.split()
