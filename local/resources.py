"""Resources from template.yaml, created in moto: the one source of truth for tables and queues.

Tests and the local stack both call create_resources(), so neither can drift from what deploys.
"""

from __future__ import annotations

import copy
import functools
import json
import random
import string
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, !GetAtt...) as their long form."""


def _tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)  # the only other kind of node
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as a dict of its own (the caller may change it): the file is parsed once until it changes
    (the tests' pumps each read it; parsing takes about 0.1 s, a copy 1 ms)."""
    found = path.stat()
    return copy.deepcopy(_parsed(path, found.st_mtime_ns, found.st_size))


@functools.lru_cache(maxsize=4)
def _parsed(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_CfnLoader)


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Logical id -> Properties, for every resource of the type."""
    return {name: r.get("Properties", {}) for name, r in template["Resources"].items() if r["Type"] == kind}


def tables(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical id -> the table's Properties, for every AWS::DynamoDB::Table."""
    return of_type(template, "AWS::DynamoDB::Table")


def queues(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return of_type(template, "AWS::SQS::Queue")


def _create_table_arguments(name: str, props: dict[str, Any]) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        arguments["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        arguments["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return arguments


def _resolved(template: dict[str, Any], names: dict[str, str], variables: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in variables.items():
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            if ref in names:
                out[key] = names[ref]
            elif ref in template.get("Parameters", {}):
                default = str(template["Parameters"][ref].get("Default", ""))
                if default:  # an empty parameter is an unset variable (the local stack's own value stays)
                    out[key] = default
        elif isinstance(value, (str, int)):
            out[key] = str(value)
    return out


def function_environment(
    template: dict[str, Any], names: dict[str, str], function: str | None = None
) -> dict[str, str]:
    """The Globals environment variables (and `function`'s own, when named), with !Ref to a resource
    resolved to its local name and !Ref to a parameter to its default."""
    variables = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    if function is not None:
        own = template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
        variables.update(own)
    return _resolved(template, names, variables)


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical id -> the function's Properties, for every AWS::Serverless::Function."""
    return of_type(template, "AWS::Serverless::Function")


def create_resources(
    session: Any,
    endpoint_url: str | None = None,
    template: dict[str, Any] | None = None,
    secret_values: dict[str, str] | None = None,
) -> dict[str, str]:
    """Creates every table, queue, secret and key of the template through the given boto3 session, in moto
    (in-process mock, or the moto server at endpoint_url); returns the environment variables the functions
    need to find them."""
    template = template or load_template()
    return function_environment(template, create(session, endpoint_url, template, secret_values))


def create(
    session: Any, endpoint_url: str | None, template: dict[str, Any], secret_values: dict[str, str] | None = None
) -> dict[str, str]:
    """Creates every table, queue, secret and key of the template; what !Ref gives for each locally (a table's
    name, a queue's URL, a secret's name, a key's alias). A secret's value is secret_values[logical id], or
    random as Secrets Manager would generate it."""
    names = _secrets_and_keys(session, endpoint_url, template, secret_values or {})
    dynamodb = session.client("dynamodb", endpoint_url=endpoint_url)
    for logical_id, props in tables(template).items():
        dynamodb.create_table(**_create_table_arguments(logical_id, props))
        names[logical_id] = logical_id
    if queues(template):
        sqs = session.client("sqs", endpoint_url=endpoint_url)
        arns: dict[str, str] = {}
        # Dead-letter queues first: a redrive policy names its target's ARN.
        for logical_id, props in sorted(queues(template).items(), key=lambda item: "RedrivePolicy" in item[1]):
            attributes = {
                k: str(v)
                for k, v in props.items()
                if k in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds")
            }
            redrive = props.get("RedrivePolicy")
            if redrive:
                target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
                attributes["RedrivePolicy"] = json.dumps(
                    {"deadLetterTargetArn": arns[target], "maxReceiveCount": int(redrive["maxReceiveCount"])}
                )
            queue_url = sqs.create_queue(QueueName=logical_id, Attributes=attributes)["QueueUrl"]
            arns[logical_id] = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            names[logical_id] = queue_url  # what !Ref gives for a queue
    return names


def _secrets_and_keys(
    session: Any, endpoint_url: str | None, template: dict[str, Any], values: dict[str, str]
) -> dict[str, str]:
    """Secrets Manager secrets (named by their logical id) and KMS keys (with the alias alias/<logical id>):
    the same calls the deployed functions make then reach them."""
    names: dict[str, str] = {}
    secrets = of_type(template, "AWS::SecretsManager::Secret")
    if secrets:
        manager = session.client("secretsmanager", endpoint_url=endpoint_url)
        for logical_id, props in secrets.items():
            length = int((props.get("GenerateSecretString") or {}).get("PasswordLength", 32))
            value = values.get(logical_id) or "".join(
                random.SystemRandom().choice(string.ascii_letters + string.digits) for _ in range(length)
            )
            manager.create_secret(Name=logical_id, SecretString=value, Description=props.get("Description", ""))
            names[logical_id] = logical_id  # GetSecretValue takes a name as well as an ARN
    keys = of_type(template, "AWS::KMS::Key")
    if keys:
        kms = session.client("kms", endpoint_url=endpoint_url)
        for logical_id, props in keys.items():
            key_id = kms.create_key(Description=props.get("Description", ""))["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName=f"alias/{logical_id}", TargetKeyId=key_id)
            names[logical_id] = f"alias/{logical_id}"
    return names
