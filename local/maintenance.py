"""`make maintenance DATE=YYYY-MM-DD`: runs daily maintenance now on the running local stack (or any
deployment) through the API, and shows its progress. API and KEY come from the environment, as in
the README (the URL and key `make run` printed)."""
from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request


def call(api: str, key: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(api.rstrip("/") + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def bar(done: int, total: int | None, width: int = 40) -> str:
    if not total:
        return "[" + " " * width + "]   queuing loans"
    filled = width * done // total
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def main(argv: list[str]) -> int:
    api, key = os.environ.get("API", "http://127.0.0.1:3000"), os.environ.get("KEY", "")
    if not key:
        print("set KEY to the API key `make run` printed (and API if not http://127.0.0.1:3000)", file=sys.stderr)
        return 2
    day = argv[0] if argv and argv[0] else None
    status, started = call(api, key, "POST", "/maintenance/runs", {"businessDate": day} if day else {})
    if status != 202:
        print(f"maintenance not started ({status}): {started.get('error', started)}", file=sys.stderr)
        return 1
    run_id = started["runId"]
    print(f"run {run_id}")
    while True:
        status, run = call(api, key, "GET", f"/maintenance/runs/{run_id}")
        if status != 200:
            print(f"\nrun {run_id}: {status} {run}", file=sys.stderr)
            return 1
        print(f"\r{bar(run['loansDone'], run['loansQueued'])} failed {run['loansFailed']}  ", end="", flush=True)
        if run["state"] in ("completed", "failed"):
            print(f"\n{run['state']}: {run['loansDone']} loans, {run['loansFailed']} failed")
            return 0 if run["state"] == "completed" else 1
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
