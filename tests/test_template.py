"""template.yaml is the single source of truth: what moto builds from it, what the code reads from the
environment, what the functions may touch, and the sample events in events/ must all agree with it.

Everything is compared against the template as read here (with its own YAML loader, not the one in
local/resources.py), never against hard-coded copies of what moto returns."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.apigw import LambdaContext
from local.resources import load_template
from tests.conftest import make_customer

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"
EVENTS = sorted((ROOT / "events").glob("api_*.json"))  # the API function's; the others' are checked below
PLACEHOLDER_KEY = "lk_demo_key_replace_me"
PLACEHOLDER_CUSTOMER = "cus_00000000000000000000000000"
PSEUDO_PARAMETERS = {
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
}
DYNAMODB_POLICY_TEMPLATES = {
    "DynamoDBCrudPolicy",
    "DynamoDBReadPolicy",
    "DynamoDBWritePolicy",
    "DynamoDBReconfigurePolicy",
}


# ---------------------------------------------------------------- reading the template


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE_PATH)


def _of_type(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] in types}


def _tables(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in _of_type(template, "AWS::DynamoDB::Table").items()}


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r.get("Properties", {}) for name, r in _of_type(template, "AWS::Serverless::Function").items()}


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _referenced(value: Any) -> set[str]:
    """Logical ids (and parameters) that a value refers to through Ref, GetAtt or Sub."""
    names: set[str] = set()
    for node in _walk(value):
        if isinstance(node.get("Ref"), str):
            names.add(node["Ref"])
        if isinstance(node.get("Fn::GetAtt"), list):
            names.add(node["Fn::GetAtt"][0])
        if "Fn::Sub" in node:
            sub = node["Fn::Sub"]
            text, variables = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])
            for name in re.findall(r"\$\{([^}!]+)\}", text):
                name = name.split(".", 1)[0] if not name.startswith("AWS::") else name
                if name not in variables:
                    names.add(name)
    return names


def _environment(template: dict[str, Any], function: str) -> dict[str, Any]:
    globals_ = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    own = _functions(template)[function].get("Environment", {}).get("Variables", {})
    return {**globals_, **own}


# ---------------------------------------------------------------- tables: template vs moto


def _key_schema(schema: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema]


def _indexes(indexes: list[dict[str, Any]] | None) -> dict[str, tuple[Any, ...]]:
    return {
        i["IndexName"]: (
            _key_schema(i["KeySchema"]),
            i["Projection"]["ProjectionType"],
            sorted(i["Projection"].get("NonKeyAttributes", [])),
        )
        for i in indexes or []
    }


def test_moto_has_exactly_the_templates_tables(aws, template):
    client = boto3.client("dynamodb", region_name="us-east-1")
    names = client.list_tables()["TableNames"]
    assert sorted(names) == sorted(_tables(template))


@pytest.mark.parametrize("logical_id", sorted(_tables(load_template(TEMPLATE_PATH))))
def test_moto_table_matches_the_template(aws, template, logical_id):
    props = _tables(template)[logical_id]
    described = boto3.client("dynamodb", region_name="us-east-1").describe_table(TableName=logical_id)["Table"]

    assert _key_schema(described["KeySchema"]) == _key_schema(props["KeySchema"])
    assert sorted((a["AttributeName"], a["AttributeType"]) for a in described["AttributeDefinitions"]) == sorted(
        (a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]
    )
    assert _indexes(described.get("GlobalSecondaryIndexes")) == _indexes(props.get("GlobalSecondaryIndexes"))
    assert _indexes(described.get("LocalSecondaryIndexes")) == _indexes(props.get("LocalSecondaryIndexes"))
    assert described.get("BillingModeSummary", {}).get("BillingMode") == props["BillingMode"]

    stream = described.get("StreamSpecification") or {}
    if "StreamSpecification" in props:
        assert stream.get("StreamEnabled") is True
        assert stream.get("StreamViewType") == props["StreamSpecification"]["StreamViewType"]
        assert described.get("LatestStreamArn")
    else:
        assert not stream.get("StreamEnabled"), f"{logical_id} has a stream in moto but not in the template"
        assert not described.get("LatestStreamArn")


def test_every_table_is_on_demand_recoverable_encrypted_and_retained(template):
    for name, resource in _of_type(template, "AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        assert props.get("BillingMode") == "PAY_PER_REQUEST", name
        assert props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is True, name
        assert props.get("SSESpecification", {}).get("SSEEnabled") is True, name
        assert resource.get("DeletionPolicy") == "Retain" and resource.get("UpdateReplacePolicy") == "Retain", name
        assert "TableName" not in props, f"{name}: a fixed TableName blocks replacement and a second stack"
        defined = {a["AttributeName"] for a in props["AttributeDefinitions"]}
        keyed = {k["AttributeName"] for k in props["KeySchema"]}
        for index in props.get("GlobalSecondaryIndexes", []) + props.get("LocalSecondaryIndexes", []):
            keyed |= {k["AttributeName"] for k in index["KeySchema"]}
        assert defined == keyed, f"{name}: attribute definitions must be exactly the key attributes"


def test_customer_and_loan_changes_are_streamed_with_both_images(template):
    tables = _tables(template)
    for name in ("CustomersTable", "LoansTable"):
        assert tables[name]["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES", name


# ---------------------------------------------------------------- references, environment, permissions


def test_every_reference_in_the_template_resolves(template):
    known = set(template["Resources"]) | set(template.get("Parameters", {})) | PSEUDO_PARAMETERS
    dangling = _referenced(template.get("Globals", {})) - known
    dangling |= _referenced(template["Resources"]) - known
    dangling |= _referenced(template.get("Outputs", {})) - known
    assert not dangling


def test_globals_environment_references_resources_or_parameters(template):
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    known = set(template["Resources"]) | set(template.get("Parameters", {}))
    refs = {key: value["Ref"] for key, value in variables.items() if isinstance(value, dict) and "Ref" in value}
    assert refs, "the Globals environment names no resource at all"
    for key, ref in refs.items():
        assert ref in known, f"{key}: !Ref {ref} is neither a resource nor a parameter"


def test_the_code_reads_exactly_the_table_variables_the_template_sets(template):
    """shared/lms/config.py and the Globals environment name the same *_TABLE variables, and
    each one points at a DynamoDB table of the template."""
    source = (ROOT / "shared" / "lms" / "config.py").read_text()
    read = set(re.findall(r"""env\.get\(\s*["']([A-Z0-9_]+_TABLE)["']""", source))
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert read == {key for key in variables if key.endswith("_TABLE")}
    tables = set(_tables(template))
    for key in read:
        assert variables[key].get("Ref") in tables, key
    assert tables <= {variables[key]["Ref"] for key in read}, "a table no function can find"


def _policy_tables(policy: Any) -> set[str]:
    """Tables a Policies entry grants: a SAM DynamoDB policy template, or an inline statement."""
    if isinstance(policy, dict):
        ((name, value),) = policy.items() if len(policy) == 1 else ((None, policy),)
        if name in DYNAMODB_POLICY_TEMPLATES:
            return _referenced(value.get("TableName"))
        statements = policy.get("Statement", [])
        granted: set[str] = set()
        for statement in statements:
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if statement.get("Effect") == "Allow" and any(str(a).startswith("dynamodb:") for a in actions):
                granted |= _referenced(statement.get("Resource"))
        return granted
    return set()


def test_the_api_function_may_use_every_table_it_is_told_about(template):
    tables = set(_tables(template))
    environment = _environment(template, "ApiFunction")
    told = {value["Ref"] for value in environment.values() if isinstance(value, dict) and value.get("Ref") in tables}
    assert told, "ApiFunction's environment names no table"
    policies = _functions(template)["ApiFunction"].get("Policies", [])
    granted = set().union(*(_policy_tables(p) for p in policies)) if policies else set()
    assert told - granted == set(), "tables in ApiFunction's environment without a policy granting them"
    assert granted - told == set(), "ApiFunction is granted tables it is not told about"
    for policy in policies:
        assert not (isinstance(policy, str) and "FullAccess" in policy), f"{policy} is not least privilege"


def test_no_secret_is_an_environment_value_or_a_parameter(template):
    """The admin key is a Secrets Manager secret that AWS generates, the webhook signing secrets are sealed
    with a KMS key: the functions are told where they are (a secret's ARN, a key's id), never a value."""
    secret = _of_type(template, "AWS::SecretsManager::Secret")["AdminApiKeySecret"]["Properties"]
    assert secret["GenerateSecretString"]["PasswordLength"] >= 32 and "SecretString" not in secret
    key = _of_type(template, "AWS::KMS::Key")["WebhookSigningKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    assert not [p for p in template["Parameters"] if re.search("key|secret|password|token", p, re.I)]
    for function in _functions(template):
        for name, value in _environment(template, function).items():
            literal = value if isinstance(value, str) else ""
            assert not re.search(r"[A-Za-z0-9+/_=-]{24,}", literal), f"{function}.{name} looks like a secret"
    assert _environment(template, "ApiFunction")["ADMIN_KEY_SECRET"] == {"Ref": "AdminApiKeySecret"}
    for function in ("ApiFunction", "WebhookSenderFunction"):
        assert _environment(template, function)["WEBHOOK_SIGNING_KEY"] == {"Ref": "WebhookSigningKey"}


def test_only_the_api_reads_the_admin_key_and_only_the_sender_decrypts_signing_secrets(template):
    granted: dict[str, set[str]] = {}
    for function, properties in _functions(template).items():
        for policy in properties.get("Policies", []):
            if isinstance(policy, dict):
                granted.setdefault(function, set()).update(
                    k for k in policy if k.startswith(("AWSSecretsManager", "KMS"))
                )
    assert {f: g for f, g in granted.items() if g} == {
        "ApiFunction": {"AWSSecretsManagerGetSecretValuePolicy", "KMSEncryptPolicy"},
        "WebhookSenderFunction": {"KMSDecryptPolicy"},
    }


def test_globals(template):
    function = template["Globals"]["Function"]
    assert function["Runtime"] == "python3.11"
    assert 1 <= function["Timeout"] <= 900 and function["MemorySize"] >= 128
    layers = _of_type(template, "AWS::Serverless::LayerVersion")
    assert {layer["Ref"] for layer in function["Layers"]} == set(layers)
    for name, layer in layers.items():
        assert layer["Properties"]["CompatibleRuntimes"] == [function["Runtime"]], name
        assert layer["Metadata"]["BuildMethod"] == function["Runtime"], name


def test_every_function_logs_to_a_log_group_with_retention(template):
    groups = _of_type(template, "AWS::Logs::LogGroup")
    functions = {
        **_functions(template),
        **{n: r["Properties"] for n, r in _of_type(template, "AWS::Lambda::Function").items()},
    }
    assert functions
    for name, props in functions.items():
        configured = props.get("LoggingConfig", {}).get("LogGroup")
        if configured is not None:
            assert isinstance(configured, dict) and configured.get("Ref") in groups, (
                f"{name}: LoggingConfig.LogGroup is not a log group of this stack"
            )
            group = groups[configured["Ref"]]
        else:
            named = [g for g in groups.values() if name in _referenced(g["Properties"].get("LogGroupName"))]
            assert len(named) == 1, f"{name} has no explicit log group"
            group = named[0]
        assert group["Properties"].get("RetentionInDays"), f"{name}: its log group keeps logs forever"


def test_every_function_and_layer_points_at_code_that_exists(template):
    for name, props in _functions(template).items():
        code = ROOT / props["CodeUri"]
        module, handler = props["Handler"].rsplit(".", 1)
        source = code / f"{module.replace('.', '/')}.py"
        assert source.is_file(), f"{name}: {source} is missing"
        assert re.search(rf"^def {handler}\(", source.read_text(), re.M), f"{name}: no {handler} in {source}"
    for name, resource in _of_type(template, "AWS::Serverless::LayerVersion").items():
        content = ROOT / resource["Properties"]["ContentUri"]
        assert (content / "requirements.txt").is_file(), f"{name}: sam build wants requirements.txt at {content}"


# ---------------------------------------------------------------- sample events

EXPECTED_STATUS = {
    "api_openapi.json": 200,
    "api_get_tenant.json": 200,
    "api_list_customers.json": 200,
    "api_post_customer.json": 201,
    "api_post_customer_status.json": 201,
    "api_put_customer_status.json": 200,
    "api_post_loan.json": 201,
}


def _function_samples() -> list[tuple[str, Path]]:
    from local.resources import functions

    found = []
    for name, props in functions(load_template()).items():
        folder = props["CodeUri"].strip("/").split("/")[-1]
        found += [(name, path) for path in sorted((ROOT / "events").glob(f"{folder}_*.json"))]
    return found


def test_every_function_has_a_sample_event():
    from local.resources import functions

    assert {name for name, _ in _function_samples()} == set(functions(load_template()))


@pytest.mark.parametrize(
    "function, path",
    [s for s in _function_samples() if s[0] != "ApiFunction"],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_a_sample_event_has_the_shape_its_event_source_sends(function, path):
    """Stream records from a table the function reads, SQS messages from its queue, the schedule's event."""
    from local.queues import sources
    from local.streams import mappings

    template = load_template()
    event = json.loads(path.read_text())
    tables = {m.table for m in mappings(template) if m.function == function}
    queues = {s.queue for s in sources(template) if s.function == function}
    if tables:
        for record in event["Records"]:
            assert record["eventSource"] == "aws:dynamodb" and record["eventName"] in ("INSERT", "MODIFY", "REMOVE")
            assert record["eventSourceARN"].split(":table/")[1].split("/")[0] in tables
            assert record["dynamodb"]["Keys"] and record["dynamodb"]["SequenceNumber"]
    elif queues:
        for record in event["Records"]:
            assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].rsplit(":", 1)[1] in queues
            json.loads(record["body"])
            assert record["attributes"]["ApproximateReceiveCount"]
    else:
        assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"


def test_the_documented_sample_events_exist():
    assert {path.name for path in EVENTS} >= set(EXPECTED_STATUS)


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.name)
def test_sample_event_is_an_api_gateway_rest_proxy_event(path):
    event = json.loads(path.read_text())
    for key in (
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    ):
        assert key in event, key
    assert event["httpMethod"] in {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}
    assert event["path"].startswith("/") and event["isBase64Encoded"] is False
    assert event["resource"] == "/{proxy+}" and event["pathParameters"] == {"proxy": event["path"].lstrip("/")}
    context = event["requestContext"]
    assert context["httpMethod"] == event["httpMethod"] and context["resourcePath"] == event["resource"]
    assert context["path"] == f"/{context['stage']}{event['path']}"
    assert context["requestId"] and context["identity"]["sourceIp"]
    assert event["multiValueHeaders"] == {k: [v] for k, v in event["headers"].items()}
    query = event["queryStringParameters"] or {}
    assert (event.get("multiValueQueryStringParameters") or {}) == {k: [v] for k, v in query.items()}
    if event["body"] is not None:
        json.loads(event["body"])
        assert event["headers"].get("Content-Type") == "application/json"
    authorization = event["headers"].get("Authorization")
    if event["path"] != "/openapi.json":
        assert authorization == f"Bearer {PLACEHOLDER_KEY}", "use the documented placeholder key"
    assert authorization in (None, f"Bearer {PLACEHOLDER_KEY}")


def _with_key(event: dict[str, Any], key: str) -> dict[str, Any]:
    for headers in (event["headers"], event["multiValueHeaders"]):
        if "Authorization" in headers:
            headers["Authorization"] = f"Bearer {key}" if headers is event["headers"] else [f"Bearer {key}"]
    return event


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.name)
def test_sample_event_through_the_real_handler(api, path):
    from functions.api.app import lambda_handler

    customer = make_customer(api)
    text = path.read_text().replace(PLACEHOLDER_CUSTOMER, customer["id"])
    event = _with_key(json.loads(text), api.key)
    if "If-Match" in event["headers"]:
        event["headers"]["If-Match"] = event["multiValueHeaders"]["If-Match"][0] = f'"{customer["version"]}"'

    answer = lambda_handler(event, LambdaContext())

    assert answer["statusCode"] < 500, answer
    if path.name in EXPECTED_STATUS:
        assert answer["statusCode"] == EXPECTED_STATUS[path.name], answer


@pytest.mark.parametrize(
    "path", [p for p in EVENTS if "Authorization" in json.loads(p.read_text())["headers"]], ids=lambda p: p.name
)
def test_sample_event_with_the_placeholder_key_is_refused(aws, path):
    from functions.api.app import lambda_handler

    answer = lambda_handler(json.loads(path.read_text()), LambdaContext())

    assert answer["statusCode"] == 401, answer


def test_every_dead_letter_and_on_failure_queue_has_an_alarm_that_tells_the_topic(template):
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    watched = {
        d["Value"]["Fn::GetAtt"][0]
        for a in alarms.values()
        for d in a["Properties"].get("Dimensions", [])
        if d["Name"] == "QueueName"
    }
    failure_queues = {n for n in _of_type(template, "AWS::SQS::Queue") if "DeadLetter" in n or "Failures" in n}
    assert failure_queues and failure_queues <= watched
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["Properties"]["OKActions"] == [{"Ref": "AlarmTopic"}], name


def test_stream_readers_are_watched_for_iterator_age(template):
    readers = {
        name
        for name, props in _functions(template).items()
        if any(e["Type"] == "DynamoDB" for e in (props.get("Events") or {}).values())
    }
    watched = {
        d["Value"]["Ref"]
        for a in _of_type(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "IteratorAge"
        for d in a["Properties"]["Dimensions"]
    }
    assert readers and readers == watched


def test_the_services_own_metrics_are_alarmed_on_where_powertools_writes_them(template):
    """Powertools writes each metric to POWERTOOLS_METRICS_NAMESPACE with a `service` dimension; an alarm
    looking elsewhere would never fire. Every metric alarmed on is one lms.measures documents."""
    import lms.measures

    environment = template["Globals"]["Function"]["Environment"]["Variables"]
    namespace, service = environment["POWERTOOLS_METRICS_NAMESPACE"], environment["POWERTOOLS_SERVICE_NAME"]
    assert namespace == lms.measures.NAMESPACE  # where the library writes when the environment names none
    seen = set()
    for alarm in _of_type(template, "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        stats = [m["MetricStat"]["Metric"] for m in properties.get("Metrics", []) if "MetricStat" in m]
        for metric in stats + ([properties] if properties.get("Namespace") == namespace else []):
            if metric["Namespace"] != namespace:
                continue
            assert metric["Dimensions"] == [{"Name": "service", "Value": service}]
            seen.add(metric["MetricName"])
    assert {"MaintenanceRunsFailed", "MaintenanceRunsLate", "WebhookAttempts", "WebhookAttemptsFailed"} <= seen
    assert all(f"- {name}" in lms.measures.__doc__ or f", {name}" in lms.measures.__doc__ for name in seen)


def test_the_dashboard_is_json_naming_only_resources_of_the_template(template):
    dashboard = _of_type(template, "AWS::CloudWatch::Dashboard")["OperationsDashboard"]["Properties"]
    text = dashboard["DashboardBody"]["Fn::Sub"]
    names = set(re.findall(r"\$\{([A-Za-z]+)(?:\.QueueName)?\}", text)) - {"AWS"}
    assert names and names <= set(template["Resources"])
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", text))["widgets"]
    titles = " ".join(w["properties"]["title"] for w in widgets)
    for watched in ("Maintenance", "Rule applications", "Webhook", "Errors"):
        assert watched in titles
