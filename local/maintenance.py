"""`make maintenance DATE=YYYY-MM-DD`: runs daily maintenance now on the running local stack (or any
deployment) through the API, and shows its progress (loans done of those queued, rate, time left) with
tqdm. API and KEY come from the environment, as in the README (the URL and key `make run` printed).

A slow answer or a dropped connection while following the run is waited out and asked again (the run
goes on in the stack whatever this does); only a run that cannot be started or read at all is an error.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from tqdm import tqdm

POLL_SECONDS = 0.5
TIMEOUT_SECONDS = 10  # one request
PATIENCE_SECONDS = 120  # how long the stack may not answer before this gives up (the run itself goes on)


class Unreachable(Exception):
    pass


def call(api: str, key: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """One request; Unreachable when no answer came (timeout, refused, dropped)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        api.rstrip("/") + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read() or b"{}")
        except ValueError:
            return error.code, {}
    except (OSError, ValueError) as error:  # URLError, timeouts, resets: all OSError
        raise Unreachable(str(getattr(error, "reason", error))) from None


def patiently(api: str, key: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """call(), asked again for up to PATIENCE_SECONDS while the stack does not answer."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        try:
            return call(api, key, method, path, body)
        except Unreachable as error:
            if time.monotonic() > deadline:
                raise
            tqdm.write(f"no answer from {api} yet ({error}); asking again")
            time.sleep(1)


def follow(api: str, key: str, run_id: str, output: Any = None) -> dict:
    """Polls the run until it ends, showing a progress bar; returns the finished run."""
    with tqdm(
        total=None,
        unit="loan",
        desc="queuing loans",
        file=output or sys.stderr,
        dynamic_ncols=True,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]{postfix}",
    ) as bar:
        while True:
            status, run = patiently(api, key, "GET", f"/maintenance/runs/{run_id}")
            if status != 200:
                raise Unreachable(f"GET /maintenance/runs/{run_id} answered {status}: {run.get('error', run)}")
            if run.get("loansQueued") is not None and bar.total != run["loansQueued"]:
                bar.total = run["loansQueued"]
                bar.set_description("maintaining")
            bar.update(run["loansDone"] + run["loansFailed"] - bar.n)
            bar.set_postfix(failed=run["loansFailed"], refresh=False)
            if run["state"] in ("completed", "failed"):
                return run
            time.sleep(POLL_SECONDS)


def main(argv: list[str]) -> int:
    api, key = os.environ.get("API", "http://127.0.0.1:3000"), os.environ.get("KEY", "")
    if not key:
        print("set KEY to the API key `make run` printed (and API if not http://127.0.0.1:3000)", file=sys.stderr)
        return 2
    day = argv[0] if argv and argv[0] else None
    try:
        status, started = patiently(api, key, "POST", "/maintenance/runs", {"businessDate": day} if day else {})
        if status != 202:
            print(f"maintenance not started ({status}): {started.get('error', started)}", file=sys.stderr)
            return 1
        print(f"run {started['runId']}", flush=True)
        run = follow(api, key, started["runId"])
    except Unreachable as error:
        print(f"maintenance: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopped following the run (it goes on in the stack)", file=sys.stderr)
        return 130
    print(f"{run['state']}: {run['loansDone']} loans, {run['loansFailed']} failed", flush=True)
    return 0 if run["state"] == "completed" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
