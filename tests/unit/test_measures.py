"""lms.measures: a metric counted a hundred times in one invocation (a real-time batch of 100 matching records)
never fails the record that counts it, wherever the code runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _count_many(environment: dict[str, str]) -> subprocess.CompletedProcess:
    code = "from lms import measures\nfor _ in range(250):\n    measures.count('RuleApplications')\nprint('counted')\n"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "shared",
        env={"PATH": "/usr/bin:/bin", **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_a_namespace_in_the_environment_the_flush_at_100_values_does_not_raise():
    ran = _count_many({})  # a bench or a script: no POWERTOOLS_METRICS_NAMESPACE
    assert ran.returncode == 0, ran.stderr
    assert '"Namespace": "LoanAutomation"' in ran.stdout  # flushed at the 100th value, to the service's namespace
    assert ran.stdout.rstrip().endswith("counted")


def test_disabled_metrics_print_nothing():
    ran = _count_many({"POWERTOOLS_METRICS_DISABLED": "true"})
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "counted"
