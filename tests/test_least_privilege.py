"""Least privilege, checked (issue 19): every function's policies in template.yaml name exactly the tables,
queues, secrets and keys its code reaches (tests/privileges.py reads the code: the calls from the handler
through the lms library to the store's models and to lms.config's names), plus the queues its event source
mappings send failed batches to. A missing permission fails on AWS with AccessDenied; an extra one is more than
the function needs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from local.resources import load_template
from tests.privileges import ROOT, destinations, granted, reached

TEMPLATE = load_template()
FUNCTIONS = {n: r["Properties"] for n, r in TEMPLATE["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def _handler(properties: dict[str, Any]) -> Path:
    return ROOT / properties["CodeUri"] / (properties["Handler"].split(".")[0] + ".py")


def differences(function: str, properties: dict[str, Any]) -> tuple[set, set]:
    """(missing, extra): what the code reaches that the policies do not name, and the other way round."""
    needed = set(reached(_handler(properties))) | destinations(properties)
    allowed = granted(properties)
    return needed - allowed, allowed - needed


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_function_is_granted_exactly_what_its_code_reaches(function):
    missing, extra = differences(function, FUNCTIONS[function])
    assert not missing, f"{function} reaches {sorted(missing)} without a policy for it"
    assert not extra, f"{function} is granted {sorted(extra)} that its code never reaches"


POLICIES = [(f, i) for f, p in sorted(FUNCTIONS.items()) for i in range(len(p.get("Policies", [])))]


@pytest.mark.parametrize(("function", "index"), POLICIES, ids=[f"{f}-{i}" for f, i in POLICIES])
def test_removing_any_policy_line_fails_the_check(function, index):
    properties = copy.deepcopy(FUNCTIONS[function])
    removed = properties["Policies"].pop(index)
    missing, _ = differences(function, properties)
    assert missing, f"removing {removed} from {function} went unnoticed"


def test_a_policy_for_a_resource_the_code_never_reaches_is_extra():
    properties = copy.deepcopy(FUNCTIONS["WebhookSenderFunction"])
    properties["Policies"].append({"DynamoDBCrudPolicy": {"TableName": {"Ref": "LoansTable"}}})
    assert differences("WebhookSenderFunction", properties)[1] == {("table", "LoansTable")}


def test_what_the_reading_finds_for_the_sender_and_the_api():
    """The sender reaches its table, its queues and the signing key only; the API the admin secret too."""
    sender = reached(_handler(FUNCTIONS["WebhookSenderFunction"]))
    assert sender == {
        ("table", "WebhooksTable"),
        ("queue", "WebhookQueue"),
        ("queue", "WebhookDeadLetterQueue"),
        ("key", "WebhookSigningKey"),
    }
    api = reached(_handler(FUNCTIONS["ApiFunction"]))
    assert {("secret", "AdminApiKeySecret"), ("key", "WebhookSigningKey"), ("table", "IdempotencyTable")} <= api


def test_only_sam_policy_templates_naming_one_resource_are_accepted():
    with pytest.raises(ValueError, match="not a policy template"):
        granted({"Policies": [{"AmazonDynamoDBFullAccess": {}}]})
    with pytest.raises(ValueError, match="not one SAM policy template"):
        granted({"Policies": ["AWSLambdaBasicExecutionRole"]})


def test_an_import_made_inside_a_function_is_read_as_reached(tmp_path):
    """Imports deferred to first use (cold starts) reach as much as those at the top: missing them hid the
    force worker's reads of the snapshots and webhooks tables (a backtest job's slice)."""
    from tests.privileges import Module

    source = tmp_path / "deferred.py"
    source.write_text(
        "from lms.store import loans\n\n\ndef later():\n    from lms.store import snapshots\n    import lms.config\n"
        "    from lms.store import loans as other\n    return snapshots, other, lms.config\n"
    )
    module = Module("lms.deferred", source)
    assert module.aliases["snapshots"] == ("lms.store.snapshots", "")
    assert module.aliases["lms.config"] == ("lms.config", "")
    assert module.aliases["loans"] == ("lms.store.loans", "")
