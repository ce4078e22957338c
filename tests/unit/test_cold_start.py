"""Cold start (issue 20): each function imports what it uses, and a model is built when it is first used. What a
handler imports is read in a child interpreter, one per function (bench/import_bench.py measures the time)."""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lms.contract as contract

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))
CHILD = r"""
import gc, importlib, json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
before = set(sys.modules)
importlib.import_module("app")
print(json.dumps({"collecting": gc.isenabled(), "frozen": gc.get_freeze_count()}))
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def _imported(function: str) -> set[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LAMBDA_TASK_ROOT", "AWS_LAMBDA_FUNCTION_NAME")}
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "functions" / function), str(ROOT / "shared")],
        env={**env, "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    *_, collector, modules = run.stdout.strip().splitlines()
    _COLLECTOR[function] = json.loads(collector)
    return set(json.loads(modules))


_COLLECTOR: dict[str, dict] = {}  # each function's garbage collector after its handler's import


@pytest.fixture(scope="module")
def imported() -> dict[str, set[str]]:
    return {function: _imported(function) for function in FUNCTIONS}


def _has(modules: set[str], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in modules)


def test_each_handler_loads_without_collection_and_collects_again_once_loaded(imported):
    """lms.coldstart: the collector is off while a handler's modules load; after, they are frozen (never walked
    again) and the collector is on for the invocations."""
    for function in FUNCTIONS:
        assert _has(imported[function], "lms.coldstart"), function
        assert _COLLECTOR[function]["collecting"] is True, function
        assert _COLLECTOR[function]["frozen"] > 10_000, function


def test_only_the_api_imports_the_http_router(imported):
    assert [f for f in FUNCTIONS if _has(imported[f], "aws_lambda_powertools.event_handler")] == ["api"]


def test_the_api_imports_powertools_openapi_models_only_to_answer_openapi_json(imported):
    assert not _has(imported["api"], "aws_lambda_powertools.event_handler.openapi.models")


def test_no_handler_builds_powertools_parser_models(imported):
    # The batch utility builds the parser's event models at import when pydantic is imported before it.
    assert [f for f in FUNCTIONS if _has(imported[f], "aws_lambda_powertools.utilities.parser")] == []


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_handler_imports_boto3(imported, function):
    """botocore (pynamodb's) is every function's; boto3 only where a secret, a queue or a key is first used."""
    assert not _has(imported[function], "boto3")


def test_the_webhook_sender_imports_neither_the_models_nor_the_rule_compiler(imported):
    assert [p for p in ("pydantic", "lms.contract", "lms.rules") if _has(imported["webhook_sender"], p)] == []


def _child(code: str) -> str:
    run = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT / 'shared')!r})\n{code}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_asking_for_a_model_imports_its_module_and_what_it_needs_only():
    loaded = _child(
        "import lms.contract\n"
        "alone = sorted(m for m in sys.modules if m.startswith('lms.contract.'))\n"
        "from lms.contract import Loan\n"
        "print(alone, sorted(m for m in sys.modules if m.startswith('lms.contract.')))"
    )
    assert loaded == "[] ['lms.contract.base', 'lms.contract.loans', 'lms.contract.settings']"


def test_each_name_mypy_reads_is_the_one_its_module_defines_at_run_time():
    tree = ast.parse(Path(contract.__file__).read_text())
    checked = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    typed = {
        alias.name: f"lms.contract.{node.module}"
        for node in checked.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert sorted(typed) == sorted(contract.__all__)
    for name, module in typed.items():
        assert getattr(contract, name) is getattr(importlib.import_module(module), name), name
    with pytest.raises(AttributeError):
        contract.NoSuchModel  # noqa: B018


def test_a_model_is_built_when_first_used():
    built = _child(
        "from lms.contract import LoanValues\n"
        "before = LoanValues.__pydantic_complete__\n"
        "LoanValues()\n"
        "print(before, LoanValues.__pydantic_complete__)"
    )
    assert built == "False True"
