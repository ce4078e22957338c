"""`make invoke FUNCTION=<LogicalId> EVENT=events/<file>.json`: one function of template.yaml, once, with one
event, run from the built artifacts (sam build's .aws-sam/build) against the running local stack: what
`sam local invoke` does, without Docker.

The handler runs in a Python of its own with nothing on its path but what Lambda would give it: the
function's folder, the layers' python/ folders and the SDK the runtime provides (boto3 and its
dependencies, linked from .venv into a stand-in for /var/runtime). Its environment is the function's as
the stack runs it (from the stack's .local-stack/stack.json: table names, queue URLs, moto's address,
fake credentials). Its log lines go to standard error, the handler's answer to standard output as JSON;
a handler that raises prints Lambda's error shape (errorMessage, errorType, stackTrace) and exits 1.

For API events, the KEY of the environment (the README exports it) replaces the event's bearer token.

    python -m local.invoke ApiFunction events/api_get_tenant.json
    python -m local.invoke --link-runtime DIR      # only make the SDK stand-in (the packaging check uses it)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".aws-sam" / "build"
# What the python3.11 Lambda runtime provides besides the standard library.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")

# Run with -S by a bare Python: load the handler Lambda would, call it, answer on the real stdout.
BOOTSTRAP = r"""
import importlib, json, sys, traceback, types, uuid
module_name, function_name, event_path, context_json = sys.argv[1:5]
answer_to = sys.stdout
sys.stdout = sys.stderr  # the handler's prints and log lines are its log, as on Lambda
context_fields = json.loads(context_json)
remaining = context_fields.pop("timeout_ms")
context = types.SimpleNamespace(aws_request_id=str(uuid.uuid4()), get_remaining_time_in_millis=lambda: remaining,
                                **context_fields)
with open(event_path) as event_file:
    event = json.load(event_file)
try:
    handler = getattr(importlib.import_module(module_name), function_name)
    result = handler(event, context)
except Exception as error:
    answer_to.write(json.dumps({"errorMessage": str(error), "errorType": type(error).__name__,
                                "stackTrace": traceback.format_tb(error.__traceback__)}, indent=2) + "\n")
    answer_to.flush()
    sys.exit(1)
answer_to.write(json.dumps(result, indent=2, default=str) + "\n")
answer_to.flush()
"""


class InvokeError(Exception):
    pass


def link_runtime(directory: Path) -> None:
    """Links the runtime's SDK packages from this Python's site-packages into `directory`."""
    site = Path(sysconfig.get_paths()["purelib"])
    directory.mkdir(parents=True, exist_ok=True)
    for package in RUNTIME_SDK:
        source = site / package
        if not source.exists():
            raise InvokeError(f"{package} is not installed in {site}")
        target = directory / package
        if not target.exists():
            target.symlink_to(source)


def _state() -> dict[str, Any]:
    path = Path(os.environ.get("LOCAL_STACK_STATE") or ROOT / ".local-stack") / "stack.json"
    try:
        state = json.loads(path.read_text())
        os.kill(int(state["pid"]), 0)
    except (OSError, ValueError, KeyError):
        raise InvokeError(f"no local stack is running (no live stack in {path}): start one with `make run`") from None
    return state


def _function(template: dict[str, Any], name: str) -> dict[str, Any]:
    from local.resources import functions

    found = functions(template)
    if name not in found:
        raise InvokeError(f"{name!r} is not a function of template.yaml: {', '.join(sorted(found))}")
    return found[name]


def _with_key(event: dict[str, Any]) -> dict[str, Any]:
    key = os.environ.get("KEY")
    if not key or "httpMethod" not in event:
        return event
    bearer = f"Bearer {key}"
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "authorization"}
    multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "authorization"}
    return {
        **event,
        "headers": {**headers, "Authorization": bearer},
        "multiValueHeaders": {**multi, "Authorization": [bearer]},
    }


def invoke(function: str, event_path: Path, build: Path = BUILD) -> int:
    from local.resources import load_template

    template = load_template()
    props = _function(template, function)
    state = _state()
    code = build / function
    if not (code / "app.py").exists() and not any(code.glob("*.py")):
        raise InvokeError(f"{code} has no built code: run `make build` (sam build) first")
    try:
        event = json.loads(event_path.read_text())
    except (OSError, ValueError) as error:
        raise InvokeError(f"{event_path}: {error}") from None
    module, _, attribute = props.get(
        "Handler", template["Globals"]["Function"].get("Handler", "app.lambda_handler")
    ).rpartition(".")
    defaults = template["Globals"]["Function"]
    context = {
        "function_name": function,
        "function_version": "$LATEST",
        "memory_limit_in_mb": int(props.get("MemorySize", defaults.get("MemorySize", 128))),
        "invoked_function_arn": f"arn:aws:lambda:us-east-1:123456789012:function:{function}",
        "log_group_name": f"/aws/lambda/{function}",
        "log_stream_name": "local-invoke",
        "timeout_ms": int(props.get("Timeout", defaults.get("Timeout", 3))) * 1000,
    }
    with tempfile.TemporaryDirectory(prefix="invoke-") as scratch:
        runtime = Path(scratch) / "runtime"
        link_runtime(runtime)
        sent = Path(scratch) / "event.json"
        sent.write_text(json.dumps(_with_key(event)))
        layers = [build / name / "python" for name in ("DependenciesLayer", "DomainLayer")]
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": scratch,
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": os.pathsep.join(str(p) for p in [code, *layers, runtime]),
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"),
            **state["functions"][function],
        }
        return subprocess.run(
            [sys.executable, "-S", "-c", BOOTSTRAP, module, attribute, str(sent), json.dumps(context)],
            cwd=code,
            env=env,
        ).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Invoke one function of template.yaml against the local stack.")
    parser.add_argument("function", nargs="?", help="a logical id of template.yaml, e.g. ApiFunction")
    parser.add_argument("event", nargs="?", type=Path, help="an event file, e.g. events/api_get_tenant.json")
    parser.add_argument("--link-runtime", type=Path, metavar="DIR", help="only link the runtime's SDK into DIR")
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        if args.link_runtime:
            link_runtime(args.link_runtime)
            return 0
        if not args.function or not args.event:
            parser.error(
                "FUNCTION and EVENT are both needed: make invoke FUNCTION=ApiFunction EVENT=events/api_get_tenant.json"
            )
        return invoke(args.function, args.event)
    except InvokeError as error:
        print(f"invoke: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
