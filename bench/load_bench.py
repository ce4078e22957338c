"""The local stack under real use (issue 13): 8 parallel clients against `python -m local.stack` over HTTP.

    python -m bench.load_bench                  # what `make bench` runs: 2,000 customers and loans
    python -m bench.load_bench --loans 500      # a shorter try
    python -m bench.load_bench --strict         # exit 2 when a target is missed

Each client, for each of its loans: creates a customer, creates a loan with the customer as primary
borrower, activates it, posts a payment, changes the customer's status (every other one to SCRA, which
a real-time rule answers by adding the loan to a portfolio, and a webhook subscribed to
customer.status-changed tells a receiver in this process), and reads the loan back. Interleaved with
that, requests that make DynamoDB transactions cancel: every fourth loan, a second tenant's POST /loans
naming this tenant's customer (refused, 422: its ConditionCheck on the customers table fails, so the
transaction on the loans, customers and links tables is cancelled), and every tenth a PUT with a stale
If-Match (409).

Printed at 500, 1,000 and 2,000 loans: p50 and p99 latency of single-loan requests (POST /loans, GET
/loans/{id}, activate, payment) and of all requests since the last line, and the stack's RSS (the stack
process and its moto server, sampled every 0.2 s) now and at its peak, with MB per 1,000 loans since
the previous line. The baselines, from the same run: each request kind timed alone, one client, before
the load (latency ratios), and the stack's RSS when it started (memory ratio). Afterwards the bench
checks that nothing was lost: every SCRA customer's loan is in the portfolio, every status change was
delivered to the receiver, and the stack's pumps report no error and nothing sent to an on-failure queue.

Targets: peak RSS under 600 MB at 2,000 loans, growing no faster than linearly (the MB per 1,000 loans of
a later interval at most 1.5x the first one's), p99 of single-loan requests under 300 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from local.receiver import Receiver

ROOT = Path(__file__).resolve().parent.parent
SETUP = {
    "loanAmount": "12000.00",
    "interestRate": "9.5",
    "termPeriods": 36,
    "paymentFrequency": "monthly",
    "contractDate": "2026-01-15",
    "firstPaymentDate": "2026-02-15",
}
SINGLE_LOAN = ("POST /loans", "GET /loans/{id}", "POST /loans/{id}/activate", "POST /loans/{id}/payments")
RSS_TARGET_MB, P99_TARGET_MS, GROWTH_TARGET = 600, 300, 1.5
DEMO_KEY, ADMIN_KEY = "lk_load-bench-demo", "lk_load-bench-admin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the stack and its memory


class Stack:
    def __init__(self) -> None:
        self.port = free_port()
        self.state = Path(os.environ.get("TMPDIR", "/tmp")) / f"load-bench-{self.port}"  # its stack.json
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DYNAMODB_", "POWERTOOLS_"))}
        env.update(
            PORT=str(self.port),
            DEMO_API_KEY=DEMO_KEY,
            ADMIN_API_KEY=ADMIN_KEY,
            PYTHONUNBUFFERED="1",
            LOCAL_STACK_STATE=str(self.state),
        )
        self.log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"load-bench-{self.port}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local.stack"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self.log, text=True
        )
        stdout = self.process.stdout
        assert stdout is not None  # stdout=PIPE
        for line in stdout:
            if line.startswith("API key:"):
                break
        else:
            raise SystemExit(f"the stack did not start; see {self.log.name}")
        self.stdout_bytes = 0  # what the functions logged (Powertools writes to standard output)
        threading.Thread(target=self._drain, args=(stdout,), daemon=True).start()

    def _drain(self, stdout: Any) -> None:
        for line in stdout:
            if line.startswith("{"):
                self.stdout_bytes += len(line.encode("utf-8"))

    def pids(self) -> list[int]:
        found = [self.process.pid]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    found.append(int(entry.name))
        return found

    def rss_by_process(self) -> list[float]:
        """MB for the stack, then its moto server (and any other child)."""
        sizes = []
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return sizes

    def cpu_seconds(self) -> list[float]:
        """CPU time (user + system) of the stack, then of its moto server."""
        times = []
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                times.append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
            except OSError:
                pass
        return times

    def rss_mb(self) -> float:
        return sum(self.rss_by_process())

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class Memory(threading.Thread):
    def __init__(self, stack: Stack):
        super().__init__(daemon=True)
        self.stack, self.peak, self.now = stack, 0.0, 0.0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.now = self.stack.rss_mb()
            self.peak = max(self.peak, self.now)
            time.sleep(0.2)


# ---------------------------------------------------------------- clients


class Client:
    def __init__(self, port: int, key: str, timings: dict[str, list[float]], lock: threading.Lock):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.key, self.timings, self.lock = key, timings, lock
        self.errors: list[str] = []

    def call(
        self,
        method: str,
        path: str,
        kind: str,
        body: dict | None = None,
        expect: tuple[int, ...] = (200, 201),
        headers: dict | None = None,
    ) -> dict:
        sent = {"Authorization": f"Bearer {self.key}", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/json"
        for attempt in (1, 2):  # a kept-alive connection the gateway closed meanwhile is opened again, once
            started = time.perf_counter()
            try:
                self.connection.request(method, path, body=None if body is None else json.dumps(body), headers=sent)
                answer = self.connection.getresponse()
                data = answer.read()
                status = answer.status
                break
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected) as error:
                self.connection.close()
                if attempt == 2:
                    with self.lock:
                        self.errors.append(f"{kind}: {error!r}")
                    return {}
            except (OSError, http.client.HTTPException) as error:
                self.connection.close()
                with self.lock:
                    self.errors.append(f"{kind}: {error!r}")
                return {}
        elapsed = time.perf_counter() - started
        with self.lock:
            self.timings.setdefault(kind, []).append(elapsed)
            if status not in expect:
                self.errors.append(f"{kind}: {status} {data[:200]!r}")
        return json.loads(data) if data else {}


def local_status(port: int) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/_local/status")
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000 if ordered else 0.0


def _one_loan(client: Client, other: Client, index: int, scra: set[str]) -> str:
    customer = client.call(
        "POST",
        "/customers",
        "POST /customers",
        {"firstName": "Load", "lastName": f"Bench {index}", "customerType": "individual"},
    )
    if not customer:
        return ""
    loan = client.call(
        "POST",
        "/loans",
        "POST /loans",
        {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]},
    )
    if not loan:
        return ""
    if index % 4 == 0:  # another tenant names this customer: a cancelled transaction, 422
        other.call(
            "POST",
            "/loans",
            "cancelled: foreign customer",
            {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]},
            expect=(422,),
        )
    client.call("POST", f"/loans/{loan['id']}/activate", "POST /loans/{id}/activate")
    client.call("POST", f"/loans/{loan['id']}/payments", "POST /loans/{id}/payments", {"amount": "100.00"})
    status = "SCRA" if index % 2 == 0 else "Lead"
    client.call("PUT", f"/customers/{customer['id']}", "PUT /customers/{id}", {"status": status})
    if status == "SCRA":
        scra.add(loan["id"])
    if index % 10 == 0:  # a stale version: 409
        client.call(
            "PUT",
            f"/customers/{customer['id']}",
            "stale PUT",
            {"email": "x@example.com"},
            expect=(409,),
            headers={"If-Match": '"1"'},
        )
    client.call("GET", f"/loans/{loan['id']}", "GET /loans/{id}")
    return loan["id"]


def main() -> int:  # noqa: C901 - the bench's script, top to bottom: set-up, baseline, load, checks
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    checkpoints = sorted({n for n in (500, 1000, 2000, args.loans) if n <= args.loans})

    stack = Stack()
    memory = Memory(stack)
    time.sleep(2)
    idle_rss = stack.rss_mb()
    memory.start()
    lock = threading.Lock()
    timings: dict[str, list[float]] = {}
    try:
        admin = Client(stack.port, ADMIN_KEY, {}, lock)
        other = Client(
            stack.port, admin.call("POST", "/admin/tenants", "admin", {"name": "Other"})["apiKey"], timings, lock
        )
        demo = Client(stack.port, DEMO_KEY, {}, lock)
        receiver = Receiver(keep=False)
        local = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
        local.request("POST", "/_local/webhook-targets", body=json.dumps({"target": receiver.target}))
        answer = local.getresponse()
        answer.read()
        assert answer.status == 200, "the stack did not allow the receiver"
        demo.call(
            "POST",
            "/rules",
            "setup",
            {
                "name": "SCRA portfolio",
                "criteria": '(contains? customer-statuses "SCRA")',
                "evalDaily": False,
                "actions": [{"type": "loan-settings", "addPortfolios": ["Collections"]}],
            },
        )
        demo.call(
            "POST",
            "/webhooks",
            "setup",
            {"name": "Status changes", "url": f"http://{receiver.target}/hook", "events": ["customer.status-changed"]},
        )

        # Baseline: each request kind alone, one client, nothing else running.
        alone: dict[str, list[float]] = {}
        single = Client(stack.port, DEMO_KEY, alone, lock)
        scra: set[str] = set()
        for index in range(1, 21):
            _one_loan(single, Client(stack.port, other.key, alone, lock), index * 2 + 1, scra)
        scra.clear()
        time.sleep(2)

        print(
            f"idle stack {idle_rss:.0f} MB; alone (one client): single-loan p50 "
            f"{percentile([t for k in SINGLE_LOAN for t in alone.get(k, [])], 0.5):.0f} ms ("
            + ", ".join(f"{k} {percentile(v, 0.5):.0f}" for k, v in sorted(alone.items()))
            + ")",
            flush=True,
        )
        print(
            f"{'loans':>6} {'seconds':>8} {'req/s':>6} {'1-loan p50':>10} {'p99':>6} {'all p50':>8} {'p99':>6} "
            f"{'RSS MB':>7} {'peak':>6} {'MB/1000 loans':>14} {'p99 / alone p50':>16} {'stack+moto MB':>14} "
            f"{'CPU ms/request':>15}",
            flush=True,
        )
        made = [0]
        counter = iter(range(args.loans))
        clients = [Client(stack.port, DEMO_KEY, timings, lock) for _ in range(args.clients)]
        cancellers = [Client(stack.port, other.key, timings, lock) for _ in range(args.clients)]

        def work(position: int) -> None:
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                if _one_loan(clients[position], cancellers[position], index, scra):
                    with lock:
                        made[0] += 1

        threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(args.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        seen = dict.fromkeys(timings, 0)
        previous = (0, idle_rss)
        cpu_before, requests_before = stack.cpu_seconds(), 0
        intervals: list[float] = []
        results: list[tuple[int, float, float]] = []  # (loans made, single-loan p99 ms, peak RSS MB)
        for checkpoint in checkpoints:
            while made[0] < checkpoint and any(t.is_alive() for t in threads):
                time.sleep(0.05)
            with lock:
                window = {k: v[seen.get(k, 0) :] for k, v in timings.items()}
                seen = {k: len(v) for k, v in timings.items()}
                requests = sum(len(v) for v in timings.values())
            single_loan = [t for k in SINGLE_LOAN for t in window.get(k, [])]
            everything = [t for v in window.values() for t in v]
            elapsed = time.perf_counter() - started
            rss = memory.now
            per_thousand = (rss - previous[1]) / max(1, checkpoint - previous[0]) * 1000
            intervals.append(per_thousand)
            previous = (checkpoint, rss)
            alone_p50 = percentile([t for k in SINGLE_LOAN for t in alone.get(k, [])], 0.5)
            cpu_now = stack.cpu_seconds()
            cpu_per_request = "+".join(
                f"{(now - before) / max(1, requests - requests_before) * 1000:.0f}"
                for now, before in zip(cpu_now, cpu_before, strict=True)
            )
            cpu_before, requests_before = cpu_now, requests
            p99 = percentile(single_loan, 0.99)
            results.append((checkpoint, p99, memory.peak))
            print(
                f"{checkpoint:>6} {elapsed:>8.0f} {requests / elapsed:>6.1f} {percentile(single_loan, 0.5):>10.0f} "
                f"{p99:>6.0f} {percentile(everything, 0.5):>8.0f} {percentile(everything, 0.99):>6.0f} "
                f"{rss:>7.0f} {memory.peak:>6.0f} {per_thousand:>14.0f} {p99 / alone_p50 if alone_p50 else 0:>15.1f}x "
                f"{'+'.join(f'{m:.0f}' for m in stack.rss_by_process()):>14} {cpu_per_request:>15}",
                flush=True,
            )
        for thread in threads:
            thread.join()
        print(
            "whole run, p50/p99 ms by request: "
            + ", ".join(
                f"{k} {percentile(v, 0.5):.0f}/{percentile(v, 0.99):.0f}"
                for k, v in sorted(timings.items())
                if k in SINGLE_LOAN or k.startswith(("PUT", "POST /customers"))
            ),
            flush=True,
        )

        # Nothing lost: the rule and the webhook answered every change, the pumps report no trouble.
        deadline, quiet, seen_last = time.monotonic() + 180, 0, None
        while time.monotonic() < deadline and quiet < 3:  # quiet: 3 s without a record read or a message
            status = local_status(stack.port)
            waiting = sum(s["waiting"] for s in status["streams"]) + sum(q["depth"] for q in status["queues"])
            seen_now = (sum(s["records"] for s in status["streams"]), receiver.count)
            quiet = quiet + 1 if (not waiting and seen_now == seen_last) else 0
            seen_last = seen_now
            time.sleep(1)
        missing = [
            loan
            for loan in sorted(scra)
            if "Collections" not in demo.call("GET", f"/loans/{loan}", "check").get("portfolios", [])
        ]
        problems = [f"{s['function']} on {s['table']}: {s['lastError']}" for s in status["streams"] if s["lastError"]]
        problems += [
            f"{s['function']} on {s['table']}: {s['sentToOnFailure']} records sent to the on-failure queue"
            for s in status["streams"]
            if s["sentToOnFailure"]
        ]
        problems += [f"{q['function']}: {q['lastError']}" for q in status["queues"] if q["lastError"]]
        errors = [e for c in clients + cancellers + [other] for e in c.errors]
        print(
            f"checks: {len(scra) - len(missing)}/{len(scra)} SCRA loans in the portfolio; "
            f"{receiver.count} status changes delivered (at least {args.loans} expected: each customer went "
            f"to Lead or SCRA); unexpected answers: {len(errors)}; pump problems: {len(problems)}"
        )
        for line in errors[:10] + problems[:10]:
            print("  " + line)
        for loan_id in missing[:3]:
            loan = demo.call("GET", f"/loans/{loan_id}", "check")
            customer = demo.call("GET", f"/customers/{loan['customers'][0]['customerId']}", "check")
            audit = demo.call("GET", f"/loans/{loan_id}/rule-applications", "check")
            print(
                f"  not in the portfolio: {loan_id} (version {loan.get('version')}, "
                f"portfolios {loan.get('portfolios')}), "
                f"customer {customer.get('status')} version {customer.get('version')}; audit: "
                + json.dumps(
                    [
                        {k: e.get(k) for k in ("trigger", "matched", "error", "skipped", "actionsApplied")}
                        for e in audit.get("items", [])
                    ]
                )
            )
    finally:
        memory.running = False
        stack.stop()

    growth = max(intervals[1:], default=intervals[0]) / intervals[0] if intervals and intervals[0] > 0 else 0
    last = results[-1]
    print(
        f"targets: peak RSS {last[2]:.0f} MB at {last[0]} loans (target < {RSS_TARGET_MB}), "
        f"{last[2] / idle_rss:.1f}x the idle stack; growth {growth:.2f}x the first interval's MB per 1,000 loans "
        f"(target <= {GROWTH_TARGET}); single-loan p99 {max(r[1] for r in results):.0f} ms at worst "
        f"(target < {P99_TARGET_MS})"
    )
    ok = (
        last[2] < RSS_TARGET_MB
        and growth <= GROWTH_TARGET
        and max(r[1] for r in results) < P99_TARGET_MS
        and not missing
        and not errors
        and not problems
        and receiver.count >= args.loans
    )
    if not ok:
        print("a target or a check was missed")
    return 2 if (args.strict and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
