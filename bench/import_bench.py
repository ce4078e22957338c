"""Cold start (issue 20): the time to import each function's handler from the built artifacts, side by side with
`import boto3` alone in the same run.

    python -m bench.import_bench                # what `make bench` runs (it runs `make build` first)
    python -m bench.import_bench --strict       # exit 2 when a function misses the target
    python -m bench.import_bench --traced       # as on Lambda with Tracing: Active (the X-Ray SDK imported)

Every sample is a fresh bare interpreter (python3.11 -S, empty environment but the function's variables from
template.yaml, a dummy region and credentials) whose sys.path is what Lambda gives the function: its code
first, then the layers' python/ folders, then the runtime's SDK (boto3 and its dependencies, linked from .venv
into a stand-in for /var/runtime). Inside it, perf_counter times `importlib.import_module` of the handler's
module, or of boto3 for the baseline, and nothing else. One warm-up round (not counted) writes any missing
bytecode and fills the page cache; then each round imports boto3 and every handler once, the order rotated
round by round. Reported: every round, each median, and each function's median over boto3's.
Target: every function at most 1.3x boto3.

A reference row, not a function: the libraries every function but the webhook sender imports whatever it does
(pynamodb for the tables, pydantic for the models, Powertools' logger and metrics), timed the same way: what no
change to the service's own imports can take below.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from local.invoke import link_runtime  # noqa: E402
from local.resources import function_environment, functions, load_template  # noqa: E402

BUILD = ROOT / ".aws-sam" / "build"
LAYERS = ("DependenciesLayer", "DomainLayer")
TARGET = 1.3
BASELINE = "import boto3"
FLOOR = "floor (libraries)"
FLOOR_MODULES = "pynamodb.models,pydantic.main,aws_lambda_powertools.logging,aws_lambda_powertools.metrics"

# The child: time the imports (one module, or several separated by commas), answer with the seconds they took
# and how many modules they loaded.
CHILD = r"""
import importlib, json, sys, time
before = len(sys.modules)
start = time.perf_counter()
for name in sys.argv[1].split(","):
    importlib.import_module(name)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "modules": len(sys.modules) - before}))
"""


def bare_python() -> str:
    """The interpreter .venv was made from: a bare one, whose -S leaves only the standard library."""
    return getattr(sys, "_base_executable", None) or sys.executable


def samples(template: dict[str, Any]) -> dict[str, tuple[str, Path]]:
    """Label -> (modules to import, function code folder) for boto3, each function's handler and the floor."""
    found: dict[str, tuple[str, Path]] = {}
    for name, props in sorted(functions(template).items()):
        module = props["Handler"].rsplit(".", 1)[0]
        found[name] = (module, BUILD / name)
    first_code = next(iter(found.values()))[1]
    return {BASELINE: ("boto3", first_code), **found, FLOOR: (FLOOR_MODULES, first_code)}


def environment(template: dict[str, Any], function: str | None, runtime: Path, traced: bool) -> dict[str, str]:
    """What the function's process would see: its template variables (each !Ref to a resource as the resource's
    logical id), a dummy region and credentials; nothing in it may reach AWS at import."""
    names = {name: name for name in template["Resources"]}
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(runtime),
        "LANG": "C.UTF-8",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        **function_environment(template, names, function),
    }
    if traced:  # lms.tracing turns the Tracer on where Lambda's own variables say it runs on Lambda
        code = BUILD / (function or next(iter(functions(template))))
        env.update(LAMBDA_TASK_ROOT=str(code), AWS_LAMBDA_FUNCTION_NAME=function or "baseline")
    return env


def measure(label: str, module: str, code: Path, env: dict[str, str], runtime: Path) -> dict[str, Any]:
    path = [str(code), *(str(BUILD / layer / "python") for layer in LAYERS), str(runtime)]
    answer = subprocess.run(
        [bare_python(), "-S", "-c", CHILD, module],
        cwd=code,
        env={**env, "PYTHONPATH": os.pathsep.join(path)},
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        raise SystemExit(f"{label}: importing {module} failed:\n{answer.stderr}")
    result: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    return result


def build() -> None:
    """The artifacts as `make build` leaves them (a no-op when nothing changed since); its output only if it fails."""
    made = subprocess.run(["make", "-s", "build"], cwd=ROOT, capture_output=True, text=True, check=False)
    if made.returncode != 0:
        raise SystemExit(f"make build failed:\n{made.stdout}{made.stderr}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9, help="measured rounds (at least 7)")
    parser.add_argument("--traced", action="store_true", help="as on Lambda: the Tracer on, the X-Ray SDK imported")
    parser.add_argument("--no-build", action="store_true", help="measure .aws-sam/build as it is")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    rounds = max(args.rounds, 7)
    if not args.no_build:
        build()
    template = load_template(BUILD / "template.yaml")
    print(
        f"python {platform.python_version()} ({bare_python()} -S), {os.cpu_count()} cpus; "
        f"{rounds} rounds after one warm-up; {'traced (LAMBDA_TASK_ROOT set)' if args.traced else 'not traced'}"
    )
    with tempfile.TemporaryDirectory(prefix="import-bench-") as scratch:
        runtime = Path(scratch) / "runtime"
        link_runtime(runtime)
        targets = samples(template)
        envs = {
            label: environment(template, label if label in functions(template) else None, runtime, args.traced)
            for label in targets
        }
        labels = list(targets)
        times: dict[str, list[float]] = {label: [] for label in labels}
        modules: dict[str, int] = {}
        for round_number in range(rounds + 1):
            order = labels[round_number % len(labels) :] + labels[: round_number % len(labels)]
            row = {}
            for label in order:
                module, code = targets[label]
                result = measure(label, module, code, envs[label], runtime)
                row[label] = result["seconds"] * 1000
                modules[label] = result["modules"]
            if round_number == 0:
                print("warm-up: " + ", ".join(f"{label} {row[label]:.0f}" for label in labels) + " ms (not counted)")
                continue
            for label in labels:
                times[label].append(row[label])
            print(
                f"round {round_number} (first: {order[0]}): "
                + ", ".join(f"{label} {row[label]:.0f}" for label in labels)
                + " ms"
            )
    baseline = statistics.median(times[BASELINE])
    print(f"\n{'':28} {'median ms':>10} {'ratio':>7} {'modules':>8}")
    missed = []
    for label in labels:
        median = statistics.median(times[label])
        ratio = median / baseline
        judged = label not in (BASELINE, FLOOR)
        verdict = ("  met" if ratio <= TARGET else "  MISSED") if judged else ""
        if judged and ratio > TARGET:
            missed.append(label)
        print(f"{label:28} {median:10.1f} {ratio:6.2f}x {modules[label]:8}{verdict}")
    print(f"  target: every handler at most {TARGET}x `{BASELINE}`: " + ("met" if not missed else "MISSED"))
    return 2 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
