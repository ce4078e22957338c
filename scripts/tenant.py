"""Creates a tenant on any deployment of this service, local or on AWS, and prints its API key once.

    make tenant NAME="First Lender" TZ=America/Chicago      # the running local stack (python -m scripts.tenant)
    make tenant NAME="First Lender" TZ=America/Chicago API=https://abc.execute-api.us-east-1.amazonaws.com/prod

The admin key comes from ADMIN_KEY in the environment (never from the command line, where other users of
the machine could read it). API defaults to the running local stack's address (its state file). The call is
the documented one: POST /admin/tenants {"name", "timezone"} with the admin key as a bearer token.
Exit codes: 0 created, 1 refused (the service's error is printed), 2 nothing to call or no admin key.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request


def local_api() -> str | None:
    from local.stack import state_directory

    state = state_directory() / "stack.json"
    try:
        return str(json.loads(state.read_text())["api"])
    except (OSError, ValueError, KeyError):
        return None


def create(api: str, admin_key: str, name: str, timezone: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        api.rstrip("/") + "/admin/tenants",
        data=json.dumps({"name": name, "timezone": timezone}).encode(),
        headers={"Authorization": f"Bearer {admin_key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read() or b"{}")
        except ValueError:
            return error.code, {"error": {"message": f"HTTP {error.code}"}}


def main(argv: list[str]) -> int:
    name = (argv[0] if argv else "").strip()
    timezone = (argv[1] if len(argv) > 1 else "").strip() or "UTC"
    api = (argv[2] if len(argv) > 2 else "").strip() or local_api()
    admin_key = os.environ.get("ADMIN_KEY", "").strip()
    if not name:
        print('a name is needed: make tenant NAME="First Lender" TZ=America/Chicago', file=sys.stderr)
        return 2
    if not api:
        print("no API to call: start the local stack (make run) or give API=https://...", file=sys.stderr)
        return 2
    if not admin_key:
        print("set ADMIN_KEY to the admin key (make run prints it; on AWS, see docs/operations.md)", file=sys.stderr)
        return 2
    try:
        status, body = create(api, admin_key, name, timezone)
    except (urllib.error.URLError, OSError) as unreachable:
        print(f"could not reach {api}: {getattr(unreachable, 'reason', unreachable)}", file=sys.stderr)
        return 1
    if status != 201:
        refusal = body.get("error") or {}
        message = refusal.get("message", body)
        details = "; ".join(
            f"{d.get('field')}: {d.get('message')}" for d in refusal.get("details") or [] if d.get("message") != message
        )
        print(f"refused ({status}): {message}{f' ({details})' if details else ''}", file=sys.stderr)
        return 1
    print(f"tenant: {body['tenantId']} ({name}, {timezone})")
    print(f"API key: {body['apiKey']}")
    print("The key is shown this once: keep it somewhere safe (the service stores only its SHA-256).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
