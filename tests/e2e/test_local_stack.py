"""The local stack under real use (issue 13): parallel clients, cancelled DynamoDB transactions, poison
stream records, unknown methods, each function invoked from its built artifacts, log lines that name
their own function, local webhook receivers allowed while it runs, a stop within 5 seconds."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError

from local.receiver import Receiver
from tests.e2e.conftest import settled, tenant_caller
from tests.e2e.test_readme import ROOT, Stack

pytestmark = pytest.mark.e2e
SETUP = {
    "loanAmount": "5000.00",
    "interestRate": "12",
    "termPeriods": 24,
    "paymentFrequency": "monthly",
    "contractDate": "2026-01-10",
    "firstPaymentDate": "2026-02-10",
}
STREAMED = ("LoansTable", "CustomersTable", "TransactionsTable", "AuditTable", "JobsTable")


def raw(stack: Stack, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """(status, headers, parsed JSON body or None) over one new connection."""
    address = urlsplit(stack.api)
    assert address.hostname is not None
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        data = answer.read()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, json.loads(data) if data else None
    finally:
        connection.close()


def local_status(stack: Stack) -> dict:
    status, _, body = raw(stack, "GET", "/_local/status")
    assert status == 200, body
    return body


def aws(stack: Stack, service: str):
    """A client of the stack's own moto server (the address its status page gives)."""
    return boto3.client(
        service,
        endpoint_url=local_status(stack)["moto"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def eventually(check, seconds: float = 5.0, every: float = 0.1):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


@pytest.fixture(scope="module")
def receiver():
    started = Receiver()
    yield started
    started.close()


def _allow(stack: Stack, target: str) -> None:
    run = subprocess.run(
        ["make", "-s", "webhook-target", f"TARGET={target}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "API": stack.api},
        timeout=60,
    )
    assert run.returncode == 0 and target in run.stdout, run.stdout + run.stderr


# ---------------------------------------------------------------- the gateway


def test_fifty_parallel_requests_are_all_answered_without_a_reset(stack):
    def one(_: int) -> int:
        return raw(stack, "GET", "/tenant", headers={"Authorization": f"Bearer {stack.key}"})[0]

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(one, range(50)))
    assert answers == [200] * 50


def test_twenty_concurrent_payments_with_one_idempotency_key_make_one_payment(stack):
    key, call = tenant_caller(stack, "Idempotent")
    customer = call("POST", "/customers", {"firstName": "Ada", "lastName": "L", "customerType": "individual"})
    loan = call(
        "POST",
        "/loans",
        {
            "setup": {
                "loanAmount": "1000.00",
                "interestRate": "5",
                "termPeriods": 12,
                "paymentFrequency": "monthly",
                "contractDate": "2026-01-15",
                "firstPaymentDate": "2026-02-15",
            },
            "customers": [{"customerId": customer["id"], "role": "primary"}],
        },
    )
    call("POST", f"/loans/{loan['id']}/activate")
    body = json.dumps({"amount": "50.00"}).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Idempotency-Key": "pay-once"}
    start = threading.Barrier(20)

    def pay(_: int):
        start.wait()
        return raw(stack, "POST", f"/loans/{loan['id']}/payments", body, headers)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(pay, range(20)))
    assert [status for status, _, _ in answers] == [201] * 20, answers
    assert len({answer["id"] for _, _, answer in answers}) == 1
    assert sum(1 for _, h, _ in answers if h.get("idempotent-replayed") == "true") == 19
    payments = [t for t in call("GET", f"/loans/{loan['id']}/transactions")["items"] if t["type"] == "payment"]
    assert [t["id"] for t in payments] == [answers[0][2]["id"]]


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        (b'{"firstName": "Ada\xff", "lastName": "L", "customerType": "individual"}', "application/json", 400),
        (b'{"firstName": "Ada", "lastName": "L", "customerType": "individual"}', None, 415),
    ],
)
def test_a_body_that_is_not_utf8_or_not_sent_as_json_is_refused_by_the_gateway_too(stack, body, content_type, status):
    headers = {"Authorization": f"Bearer {stack.key}", **({"Content-Type": content_type} if content_type else {})}
    got, _, answer = raw(stack, "POST", "/customers", body, headers)
    assert got == status and set(answer) == {"error"}, answer


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT", "get"])
def test_an_unknown_method_is_405_with_allow_in_the_error_shape(stack, method):
    status, headers, body = raw(stack, method, "/loans", headers={"Authorization": f"Bearer {stack.key}"})
    assert status == 405, (status, body)
    assert set(body["error"]) == {"code", "message", "details"} and body["error"]["code"] == "method_not_allowed"
    assert headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_a_known_method_a_path_does_not_serve_is_405_and_options_lists_the_methods(stack):
    status, headers, body = raw(stack, "DELETE", "/tenant", headers={"Authorization": f"Bearer {stack.key}"})
    assert (status, headers["allow"], body["error"]["code"]) == (405, "GET, HEAD, OPTIONS, PUT", "method_not_allowed")
    status, headers, _ = raw(stack, "OPTIONS", "/loans/loan_x/payments")
    assert (status, headers["allow"]) == (204, "OPTIONS, POST")
    status, _, body = raw(stack, "TRACE", "/no/such/path")
    assert status == 404 and body["error"]["code"] == "not_found"


# ---------------------------------------------------------------- streams that never stop


def test_after_a_cancelled_transaction_on_every_streamed_table_rules_and_webhooks_go_on(stack, receiver):
    _, call = tenant_caller(stack, "Cancelled Transactions Lender")
    other_key, _ = tenant_caller(stack, "Another Lender")
    _allow(stack, receiver.target)
    call("POST", "/customer-statuses", {"title": "SCRA", "active": True, "displayOrder": 3})
    call("POST", "/portfolios", {"title": "SCRA"})
    call(
        "POST",
        "/rules",
        {
            "name": "SCRA",
            "criteria": '(contains? customer-statuses "SCRA")',
            "evalDaily": False,
            "actions": [{"type": "loan-settings", "addPortfolios": ["SCRA"]}],
        },
    )
    call(
        "POST",
        "/webhooks",
        {"name": "Customers", "url": f"http://{receiver.target}/hook", "events": ["customer.updated"]},
    )
    customer = call("POST", "/customers", {"firstName": "Sam", "lastName": "Member", "customerType": "individual"})
    loan = call("POST", "/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]})
    call("POST", f"/loans/{loan['id']}/activate")

    # Cancelled: the other tenant names this tenant's customer (loans, customers and links in one transaction) ...
    status, answer = stack.request(
        "POST",
        "/loans",
        {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]},
        key=other_key,
    )
    assert status == 422, answer
    # ... and one transaction on each streamed table, straight to moto, whose condition fails.
    dynamodb = aws(stack, "dynamodb")
    for table in STREAMED:
        schema = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
        item = {part["AttributeName"]: {"S": f"cancelled#{part['KeyType']}"} for part in schema}
        missing = {part["AttributeName"]: {"S": f"missing#{part['KeyType']}"} for part in schema}
        with pytest.raises(ClientError) as cancelled:
            dynamodb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table, "Item": item}},
                    {
                        "ConditionCheck": {
                            "TableName": table,
                            "Key": missing,
                            "ConditionExpression": "attribute_exists(#k)",
                            "ExpressionAttributeNames": {"#k": schema[0]["AttributeName"]},
                        }
                    },
                ]
            )
        assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"

    call("PUT", f"/customers/{customer['id']}", {"status": "SCRA"})
    fired = eventually(lambda: "SCRA" in call("GET", f"/loans/{loan['id']}")["portfolios"], seconds=5)
    assert fired, "the real-time rule did not fire within 5 s:\n" + stack.output()
    delivered = eventually(
        lambda: [e for e in receiver.events("customer.updated") if e["data"]["id"] == customer["id"]], 5
    )
    assert delivered, "no customer.updated webhook within 5 s:\n" + stack.output()
    assert all(not s["lastError"] for s in local_status(stack)["streams"])


def test_a_foreign_customer_is_refused_and_streams_go_on(stack):
    """The cancellation the issue found first: another tenant's POST /loans naming this tenant's customer."""
    _, call = tenant_caller(stack, "Owner Lender")
    foreign_key, _ = tenant_caller(stack, "Foreign Lender")
    call("POST", "/portfolios", {"title": "Watched"})
    call(
        "POST",
        "/rules",
        {
            "name": "Watch",
            "criteria": "(= 1 1)",
            "evalDaily": False,
            "actions": [{"type": "loan-settings", "addPortfolios": ["Watched"]}],
        },
    )
    customer = call("POST", "/customers", {"firstName": "Own", "lastName": "Customer", "customerType": "individual"})
    status, answer = stack.request(
        "POST",
        "/loans",
        {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]},
        key=foreign_key,
    )
    assert status == 422, answer
    loan = call("POST", "/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]})
    call("POST", f"/loans/{loan['id']}/activate")
    assert eventually(lambda: "Watched" in call("GET", f"/loans/{loan['id']}")["portfolios"], seconds=5), stack.output()


def test_a_batch_whose_every_record_fails_is_retried_bisected_and_sent_to_the_on_failure_queue(stack):
    """Four transactions that name no tenant or loan (written to the table directly: nothing else could write
    them) make the real-time handler fail every record of its batch: Lambda's mapping retries, bisects down
    to one record, retries each 5 times, and sends an invocation record for each to RealtimeFailuresQueue."""
    before = {(s["function"], s["table"]): s for s in local_status(stack)["streams"]}
    dynamodb = aws(stack, "dynamodb")
    dynamodb.batch_write_item(
        RequestItems={
            "TransactionsTable": [
                {
                    "PutRequest": {
                        "Item": {
                            "loanKey": {"S": f"poison#{n}"},
                            "transactionId": {"S": "txn_poison"},
                            "kind": {"S": "payment"},
                        }
                    }
                }
                for n in range(4)
            ]
        }
    )

    def settled():
        mapping = next(
            s
            for s in local_status(stack)["streams"]
            if (s["function"], s["table"]) == ("RealtimeFunction", "TransactionsTable")
        )
        return (
            mapping
            if mapping["sentToOnFailure"] - before[("RealtimeFunction", "TransactionsTable")]["sentToOnFailure"] == 4
            else None
        )

    mapping = eventually(settled, seconds=30)
    assert mapping, local_status(stack)
    old = before[("RealtimeFunction", "TransactionsTable")]
    assert mapping["bisections"] - old["bisections"] >= 3, "4 records: split in two, then each half in two"
    assert mapping["retries"] - old["retries"] >= 4 * 5, "each record alone retried MaximumRetryAttempts (5) times"
    assert not mapping["lastError"] and mapping["waiting"] == 0

    sqs = aws(stack, "sqs")
    queue = sqs.get_queue_url(QueueName="RealtimeFailuresQueue")["QueueUrl"]
    records = []
    for _ in range(10):
        records += [
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        ]
        if len(records) >= 4:
            break
    info = [
        r["DDBStreamBatchInfo"] for r in records if r["requestContext"]["functionArn"].endswith(":RealtimeFunction")
    ]
    assert len(info) == 4 and all(
        i["batchSize"] == 1 and i["startSequenceNumber"] == i["endSequenceNumber"] for i in info
    )
    assert all(
        r["requestContext"]["condition"] == "RetryAttemptsExhausted"
        and r["requestContext"]["approximateInvokeCount"] == 6
        for r in records
    )
    assert all(i["streamArn"].split("/")[1] == "TransactionsTable" for i in info)

    # Nothing after them was dropped: a payment still runs the rules.
    _, call = tenant_caller(stack, "After The Poison Lender")
    call("POST", "/portfolios", {"title": "Paid"})
    call(
        "POST",
        "/rules",
        {
            "name": "Paid",
            "criteria": "(> status-total-paid 0)",
            "evalDaily": False,
            "actions": [{"type": "loan-settings", "addPortfolios": ["Paid"]}],
        },
    )
    customer = call("POST", "/customers", {"firstName": "Pay", "lastName": "Er", "customerType": "individual"})
    loan = call("POST", "/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]})
    call("PUT", "/tenant", {"businessDate": "2026-03-01"})
    call("POST", f"/loans/{loan['id']}/activate")
    call("POST", f"/loans/{loan['id']}/payments", {"amount": "100.00"})
    assert eventually(lambda: "Paid" in call("GET", f"/loans/{loan['id']}")["portfolios"], seconds=10), stack.output()


# ---------------------------------------------------------------- local webhook receivers


def test_a_local_receiver_is_refused_with_how_to_allow_it_then_allowed_without_a_restart(stack):
    local = Receiver()
    try:
        key, call = tenant_caller(stack, "Local Receiver Lender")
        status, answer = stack.request(
            "POST",
            "/webhooks",
            {"name": "Mine", "url": f"http://{local.target}/in", "events": ["customer.created"]},
            key=key,
        )
        assert status == 422, answer
        message = answer["error"]["message"]
        assert "WEBHOOK_ALLOWED_TARGETS" in message and f"make webhook-target TARGET={local.target}" in message, message
        _allow(stack, local.target)
        hook = call(
            "POST", "/webhooks", {"name": "Mine", "url": f"http://{local.target}/in", "events": ["customer.created"]}
        )
        customer = call(
            "POST", "/customers", {"firstName": "New", "lastName": "Customer", "customerType": "individual"}
        )
        assert eventually(
            lambda: [e for e in local.events("customer.created") if e["data"]["id"] == customer["id"]], 10
        ), (hook, stack.output())
    finally:
        local.server.shutdown()


# ---------------------------------------------------------------- every function, from its built artifacts


def _sample(function: str) -> Path:
    from local.resources import functions, load_template

    folder = functions(load_template())[function]["CodeUri"].strip("/").split("/")[-1]
    samples = sorted((ROOT / "events").glob(f"{folder}_*.json"))
    assert samples, f"no sample event for {function} (events/{folder}_*.json)"
    return samples[0]


def _functions() -> list[str]:
    from local.resources import functions, load_template

    return sorted(functions(load_template()))


@pytest.mark.parametrize("function", _functions())
def test_make_invoke_runs_each_function_from_its_built_artifacts_against_the_stack(stack, function):
    run = subprocess.run(
        ["make", "-s", "invoke", f"FUNCTION={function}", f"EVENT={_sample(function)}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "KEY": stack.key, "LOCAL_STACK_STATE": stack.state},
    )
    answer = json.loads(run.stdout)
    if run.returncode != 0:  # the handler raised: Lambda's error shape (a sample naming no stored job or loan)
        assert set(answer) == {"errorMessage", "errorType", "stackTrace"}, answer
    else:
        assert run.returncode == 0, run.stdout + run.stderr
        if function == "ApiFunction":
            assert answer["statusCode"] == 200 and json.loads(answer["body"])["name"] == "Demo Lender", answer
        elif function == "MaintenanceDispatchFunction":
            assert isinstance(answer["runsCreated"], list), answer
        else:
            assert isinstance(answer["batchItemFailures"], list), answer
    logged = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    assert all(line["function_name"] == function for line in logged), run.stderr  # what it logged names it


def test_make_invoke_says_when_no_stack_runs(tmp_path):
    run = subprocess.run(
        ["make", "-s", "invoke", "FUNCTION=ApiFunction", "EVENT=events/api_get_tenant.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "LOCAL_STACK_STATE": str(tmp_path)},
    )
    assert run.returncode != 0 and "make run" in run.stderr and "Traceback" not in run.stderr, run.stderr


# ---------------------------------------------------------------- make tenant


def _make_tenant(*arguments: str, admin_key: str, state: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("API", "TZ", "NAME")}
    return subprocess.run(
        ["make", "-s", "tenant", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**environment, "ADMIN_KEY": admin_key, "LOCAL_STACK_STATE": state},
    )


def test_make_tenant_creates_a_tenant_on_the_running_stack_and_prints_its_key_once(stack):
    run = _make_tenant("NAME=Make Lender", "TZ=America/Chicago", admin_key=stack.admin, state=stack.state)
    assert run.returncode == 0, run.stdout + run.stderr
    key = next(line.split(": ", 1)[1] for line in run.stdout.splitlines() if line.startswith("API key: "))
    status, tenant = stack.request("GET", "/tenant", key=key)
    assert status == 200 and (tenant["name"], tenant["timezone"]) == ("Make Lender", "America/Chicago")
    assert run.stdout.count(key) == 1 and stack.admin not in run.stdout + run.stderr
    elsewhere = _make_tenant("NAME=Remote Lender", f"API={stack.api}", admin_key=stack.admin, state="/nonexistent")
    assert elsewhere.returncode == 0 and "(Remote Lender, UTC)" in elsewhere.stdout, elsewhere.stdout + elsewhere.stderr


@pytest.mark.parametrize(
    ("arguments", "admin_key", "says"),
    [
        (["NAME=Refused"], "lk_not-the-admin-key", "refused (401): unknown admin key"),
        (["NAME=Nowhere", "TZ=Mars/Olympus_Mons"], None, "refused (422): unknown time zone 'Mars/Olympus_Mons'"),
        (["TZ=UTC"], None, "a name is needed"),
        (["NAME=Keyless"], "", "set ADMIN_KEY"),
    ],
)
def test_make_tenant_says_what_went_wrong(stack, arguments, admin_key, says):
    run = _make_tenant(*arguments, admin_key=stack.admin if admin_key is None else admin_key, state=stack.state)
    assert run.returncode != 0 and says in run.stderr and "Traceback" not in run.stderr, run.stdout + run.stderr
    assert run.stderr.count("unknown time zone") <= 1  # the message once, not again as its detail


# ---------------------------------------------------------------- logs and stopping


def test_each_log_line_names_its_own_function_request_and_tenant(stack):
    _, call = tenant_caller(stack, "Logging Lender")
    customer = call("POST", "/customers", {"firstName": "Log", "lastName": "Line", "customerType": "individual"})
    call("PUT", f"/customers/{customer['id']}", {"email": "log@example.com"})
    settled(stack)
    lines = [json.loads(line) for line in stack.lines + stack.errors if line.startswith("{")]  # Powertools: stdout
    requests = [line for line in lines if line.get("message") == "request"]
    assert requests and all(line["function_name"] == "ApiFunction" for line in requests), requests[:3]
    authenticated = [
        line
        for line in requests
        if line.get("status") in (200, 201)
        and not line["path"].startswith("/admin/")
        and line["path"] != "/openapi.json"
    ]
    assert authenticated and all(line.get("tenant_id", "").startswith("tnt_") for line in authenticated), authenticated
    assert len({line["function_request_id"] for line in requests}) == len(requests), "one request id per request"
    records = [line for line in lines if line.get("message") == "stream record"]
    assert records and all(line["function_name"] == "RealtimeFunction" for line in records)


def test_ctrl_c_stops_a_busy_stack_and_its_moto_server_within_5_seconds():
    busy = Stack()
    try:
        moto_port = urlsplit(local_status(busy)["moto"]).port

        def load() -> None:
            for _ in range(20):
                try:
                    busy.request(
                        "POST",
                        "/customers",
                        {"firstName": "A", "lastName": "B", "customerType": "individual"},
                        key=busy.key,
                    )
                except OSError:
                    return

        threads = [threading.Thread(target=load, daemon=True) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1)
        started = time.monotonic()
        busy.process.send_signal(signal.SIGINT)
        assert busy.process.wait(5) == 0, busy.output()
        assert time.monotonic() - started < 5
        with pytest.raises(OSError):
            http.client.HTTPConnection("127.0.0.1", moto_port, timeout=2).request("GET", "/")
        assert not (Path(busy.state) / "stack.json").exists(), "the state files are removed"
    finally:
        busy.kill()


def test_the_stack_keeps_its_admin_key_in_secrets_manager_and_seals_signing_secrets_with_kms(stack):
    """As deployed: the functions are told where the secrets are, never what they are (issue 19)."""
    import boto3

    state = json.loads((Path(stack.state) / "stack.json").read_text())
    for function, environment in state["functions"].items():
        assert stack.admin not in json.dumps(environment), function
    assert state["functions"]["ApiFunction"]["ADMIN_KEY_SECRET"] == "AdminApiKeySecret"
    assert state["functions"]["WebhookSenderFunction"]["WEBHOOK_SIGNING_KEY"] == "alias/WebhookSigningKey"
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1")
    manager = session.client("secretsmanager", endpoint_url=state["moto"])
    assert manager.get_secret_value(SecretId="AdminApiKeySecret")["SecretString"] == stack.admin
    key, call = tenant_caller(stack, "Sealed Lender")
    hook = call("POST", "/webhooks", {"name": "Sealed", "url": "https://example.com/hook", "events": ["loan.updated"]})
    items = session.client("dynamodb", endpoint_url=state["moto"]).scan(TableName="WebhooksTable")["Items"]
    stored = json.dumps(items)
    assert hook["secret"] not in stored and "secretSealed" in stored
