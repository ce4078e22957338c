"""The README's examples, run verbatim against a freshly started local stack over real HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
STARTUP_TIMEOUT = 60
# README lines a reader edits by hand (the printed URL and keys); the test exports the real values.
HAND_SET = re.compile(r"^\s*export\s+(API|KEY|ADMIN_KEY)=")

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """`python -m local.stack` as a subprocess; reads its stdout in a thread. Its state files (for `make
    invoke`) go to a folder of its own, `state`."""

    def __init__(self, **environment: str) -> None:
        self.demo_key = "lk_e2e-demo-key"
        self.admin_key = "lk_e2e-admin-key"
        self.state = tempfile.mkdtemp(prefix="local-stack-")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DYNAMODB_", "POWERTOOLS_"))}
        env.update(
            PORT=str(free_port()),
            MOTO_PORT=str(free_port()),
            DEMO_API_KEY=self.demo_key,
            ADMIN_API_KEY=self.admin_key,
            PYTHONUNBUFFERED="1",
            LOCAL_STACK_STATE=self.state,
            **environment,
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local.stack"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.errors: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        if not self._ready.wait(STARTUP_TIMEOUT):
            self.kill()
            raise AssertionError(f"the stack did not start in {STARTUP_TIMEOUT}s:\n{self.output()}")
        self.api = self.value("API")
        self.key = self.value("API key")
        self.admin = self.value("Admin key")

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None  # stdout=PIPE
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("API key:"):
                self._ready.set()
        self._ready.set()  # exited: don't wait for nothing

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None  # stderr=PIPE
        for line in self.process.stderr:
            self.errors.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines) + "\n--- stderr ---\n" + "\n".join(self.errors[-50:])

    def value(self, label: str) -> str:
        for line in self.lines:
            if line.startswith(label + ": "):
                return line.split(": ", 1)[1].strip()
        raise AssertionError(f"no {label!r} line in:\n{self.output()}")

    def request(self, method: str, path: str, body=None, key: str | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.api + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if key:
            req.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(req, timeout=10) as answer:
                text = answer.read().decode()
                return answer.status, json.loads(text) if text else {}
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            return error.code, json.loads(text) if text else {}

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()  # its moto server sees its standard input close and exits too
            self.process.wait(10)


def readme_script() -> str:
    blocks = re.findall(r"^```bash\n(.*?)^```", README.read_text(), flags=re.S | re.M)
    assert blocks, "README.md has no ```bash blocks"
    lines = [line for block in blocks for line in block.splitlines() if not HAND_SET.match(line)]
    return "\n".join(lines)


def test_the_readme_examples_run_against_the_local_stack(stack):
    script = "set -euo pipefail\n" + readme_script() + '\necho "CUSTOMER=$CUSTOMER"\necho "LOAN=$LOAN"\n'
    env = {**os.environ, "API": stack.api, "KEY": stack.key, "ADMIN_KEY": stack.admin, "LOCAL_STACK_STATE": stack.state}
    run = subprocess.run(["bash", "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, (
        f"README script failed ({run.returncode}):\n{run.stdout}\n{run.stderr}\n{stack.output()}"
    )

    found = dict(re.findall(r"^(CUSTOMER|LOAN)=(\S+)$", run.stdout, flags=re.M))
    customer_id, loan_id = found["CUSTOMER"], found["LOAN"]
    status, customer = stack.request("GET", f"/customers/{customer_id}", key=stack.key)
    assert status == 200 and customer["status"] == "SCRA", customer
    status, page = stack.request("GET", f"/customers/{customer_id}/loans", key=stack.key)
    assert status == 200
    assert [(item["role"], item["loan"]["id"]) for item in page["items"]] == [("primary", loan_id)]
    assert loan_id in run.stdout  # the README's own GET /customers/{id}/loans printed it
    status, loan = stack.request("GET", f"/loans/{loan_id}", key=stack.key)
    assert status == 200 and loan["active"] is True and loan["loanStatus"] == "Open", loan
    assert loan["portfolios"] == ["Collections"]
    assert '"apiKey"' in run.stdout  # the admin example created a tenant
    assert "Grace is now: Active" in run.stdout  # the webhook example called the API back
    # The Idempotency-Key example: two 201s, the second the first answer replayed, and one payment.
    assert len(re.findall(r"^HTTP/1\.1 201", run.stdout, flags=re.M)) >= 2, run.stdout
    assert len(re.findall(r"^idempotent-replayed: true", run.stdout, flags=re.M | re.I)) == 1, run.stdout
    status, transactions = stack.request("GET", f"/loans/{loan_id}/transactions", key=stack.key)
    assert [t["amount"] for t in transactions["items"] if t["type"] == "payment"].count("25.00") == 1, transactions

    # The maintenance example ran tomorrow's maintenance now, and it maintained the example's loan.
    [maintained] = re.findall(
        r'"state":"completed","loansQueued":(\d+),"loansDone":(\d+),"loansFailed":(\d+)', run.stdout
    )
    assert maintained == ("1", "1", "0"), run.stdout
    status, snapshots = stack.request("GET", f"/loans/{loan_id}/snapshots", key=stack.key)
    assert status == 200 and len(snapshots["items"]) == 2, snapshots  # today and tomorrow
    status, tenant = stack.request("GET", "/tenant", key=stack.key)
    assert tenant["businessDate"] is None, "the example put the date back"
    assert "'function': 'ApiFunction', 'environments': 2" in run.stdout, "the status example"
    assert "\n200\n" in run.stdout, "make invoke ran the API function from its built artifacts"


def test_the_stack_prints_its_address_and_keys_and_requires_a_key(stack):
    assert stack.api.startswith("http://127.0.0.1:")
    assert stack.key == stack.demo_key and stack.admin == stack.admin_key
    status, body = stack.request("GET", "/tenant")
    assert status == 401 and body["error"]["code"], body
    status, body = stack.request("GET", "/tenant", key="lk_wrong")
    assert status == 401
    status, body = stack.request("GET", "/tenant", key=stack.key)
    assert status == 200 and body["name"] == "Demo Lender", body
    status, _ = stack.request("GET", "/openapi.json")
    assert status == 200


def test_the_gateway_refuses_huge_bodies_without_calling_the_api(stack):
    status, body = stack.request("POST", "/customers", {"firstName": "x" * (2 * 1024 * 1024)}, key=stack.key)
    assert status == 413 and set(body["error"]) == {"code", "message", "details"}, body


def test_the_access_log_never_shows_keys(stack):
    stack.request("GET", "/tenant", key=stack.key)
    time.sleep(0.2)
    log = "\n".join(stack.errors)
    assert "GET /tenant 200" in log
    assert stack.key not in log and stack.admin not in log


def test_sigint_stops_the_stack_cleanly():
    started = Stack()
    try:
        started.process.send_signal(signal.SIGINT)
        assert started.process.wait(5) == 0, started.output()
        with pytest.raises(OSError):  # the gateway is gone
            urllib.request.urlopen(started.api + "/openapi.json", timeout=2)
    finally:
        started.kill()
