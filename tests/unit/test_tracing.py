"""lms.tracing: on Lambda, each handler is a captured subsegment and the work on a loan a subsegment annotated
with its tenant and loan (searchable in X-Ray); anywhere else (tests, the local stack) the X-Ray SDK is never
imported and nothing changes. Run in child interpreters with the real X-Ray SDK, its emitter replaced by one
that keeps what it would have sent to the daemon."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHILD = r"""
import json, os, sys
sys.path[:0] = [ROOT, ROOT + "/shared"]
from lms import tracing
sent = []
if tracing.tracer is not None:
    from aws_xray_sdk.core import xray_recorder

    class Keep:
        def send_entity(self, entity):
            sent.append(json.loads(entity.serialize()))
        def set_daemon_address(self, address):
            pass

    # streaming_threshold=0: each subsegment sent as it ends
    xray_recorder.configure(emitter=Keep(), context_missing="IGNORE_ERROR", streaming_threshold=0)

@tracing.capture
def handler(event, context):
    tracing.annotate_request("tnt_1", "/loans/loan_9/payments")
    with tracing.span("run_rules", tenant_id="tnt_1", loan_id="loan_1", rule_id=None):
        tracing.annotate(extra="x")
    return {"ok": True}

class Context:
    function_name = "Fn"
    aws_request_id = "r-1"

answer = handler({}, Context())
print(json.dumps({"answer": answer, "sent": sent, "xray": "aws_xray_sdk" in sys.modules}))
"""


def _child(**environment: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED")}
    run = subprocess.run(
        [sys.executable, "-c", CHILD.replace("ROOT", repr(str(ROOT)))],
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_off_lambda_the_sdk_is_never_imported_and_the_handler_is_as_it_was():
    got = _child()
    assert got == {"answer": {"ok": True}, "sent": [], "xray": False}


def test_disabled_on_lambda_too_when_asked():
    assert _child(LAMBDA_TASK_ROOT="/var/task", POWERTOOLS_TRACE_DISABLED="true")["xray"] is False


def test_on_lambda_the_handler_and_the_loans_work_are_traced_with_annotations():
    got = _child(
        LAMBDA_TASK_ROOT="/var/task",
        AWS_LAMBDA_FUNCTION_NAME="Fn",
        _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    assert got["answer"] == {"ok": True} and got["xray"] is True
    subsegments = [s for entity in got["sent"] for s in [entity, *entity.get("subsegments", [])]]
    names = {s.get("name") for s in subsegments}
    assert "## handler" in names and "run_rules" in names
    run = next(s for s in subsegments if s.get("name") == "run_rules")
    assert run["annotations"] == {"tenant_id": "tnt_1", "loan_id": "loan_1", "extra": "x"}
    handled = next(s for s in subsegments if s.get("name") == "## handler")
    assert {k: handled["annotations"].get(k) for k in ("tenant_id", "loan_id")} == {
        "tenant_id": "tnt_1",
        "loan_id": "loan_9",
    }
