"""The embedded local stack (ARCHITECTURE.md): `python -m local.stack` (or `make run`).

Starts, on 127.0.0.1 only: a moto server in a process of its own with every table and queue of
template.yaml (local.moto_server, with local.moto_dynamodb's fixes), an HTTP gateway in front of the API
handler, a pump for each function's event sources (a thread each: DynamoDB streams and SQS queues, as
Lambda's event source mappings), the schedule, and a seeded demo tenant whose API key is printed.
Ctrl-C / SIGTERM stops everything and exits 0 within 5 seconds (a second Ctrl-C at once).

While it runs, .local-stack/ (or LOCAL_STACK_STATE) holds stack.json (its addresses and every
function's environment, for `make invoke`) and env.json (for `sam local invoke --env-vars`).

Environment: PORT (gateway, default 3000), MOTO_PORT (default: a free port), DEMO_API_KEY and
ADMIN_API_KEY (default: generated and printed), MAINTENANCE_DISPATCH_SECONDS, WEBHOOK_ALLOWED_TARGETS.

Nothing that touches boto3, pynamodb or the lms config is imported at module level: the
environment has to be in place first (config() is read once per process).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / "shared"
HOST = "127.0.0.1"
REGION = "us-east-1"


STOP_SECONDS = 5  # Ctrl-C to exit, whatever is running


class Worker(Protocol):
    """Something the stack starts after the API is ready and stops at shutdown."""

    name: str

    def start(self) -> None: ...

    def signal_stop(self) -> None: ...

    def stop(self, timeout: float = 5) -> None: ...

    def status(self) -> Any: ...


def background_workers(endpoint_url: str) -> list[Worker]:
    """What calls the same handlers Lambda would, one thread per function (one execution environment
    each): the DynamoDB streams -> real-time rules and domain events; the SQS queues -> force jobs, daily
    maintenance, the webhook sender; the schedule -> maintenance dispatch."""
    import boto3

    from local.queues import QueuePump, sources
    from local.resources import load_template
    from local.scheduler import Scheduler
    from local.streams import StreamPump, mappings

    session = boto3.Session(region_name=REGION)
    template = load_template()
    stream_functions = dict.fromkeys(m.function for m in mappings(template))
    queue_functions = dict.fromkeys(s.function for s in sources(template))
    workers: list[Worker] = [StreamPump(session, endpoint_url=endpoint_url, functions=[f]) for f in stream_functions]
    workers += [QueuePump(session, endpoint_url=endpoint_url, functions=[f], wait_seconds=1) for f in queue_functions]
    return workers + [Scheduler()]


def new_api_key() -> str:
    """Same shape as lms.tenancy.new_api_key(); lms cannot be imported yet (its config is read
    once, at import, and needs the admin key's hash)."""
    return "lk_" + secrets.token_urlsafe(32)


class StartupError(Exception):
    pass


def _port_from_env(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise StartupError(f"{name}={text!r} is not a port number")
    return int(text)


def _check_free(port: int, variable: str) -> None:
    """ThreadedMotoServer.start() would wait forever on a port in use: fail clearly instead."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise StartupError(f"{HOST}:{port} is not available ({error.strerror}); set {variable} to another port") from None


def prepare_environment(admin_key: str) -> None:
    """Fake credentials and a fixed region, so nothing can ever reach real AWS."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update({
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "ADMIN_API_KEY_SHA256": hashlib.sha256(admin_key.encode("utf-8")).hexdigest(),
    })
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "loan-automation-local")
    if str(SHARED) not in sys.path:
        sys.path.insert(0, str(SHARED))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    # Metrics are disabled locally; Powertools still warns once that there is nothing to publish.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    # werkzeug (under moto) logs every DynamoDB call at INFO to stderr; keep only warnings.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def create_resources(endpoint_url: str) -> dict[str, str]:
    """Every table and queue of template.yaml, in the moto server; exports the functions' environment
    and returns what !Ref gives for each resource."""
    import boto3

    from local.resources import create, function_environment, load_template

    template = load_template()
    names = create(boto3.Session(region_name=REGION), endpoint_url, template)
    os.environ.update(function_environment(template, names))
    return names


def seed_demo_tenant(demo_key: str) -> str:
    """A demo tenant with a little data, through the domain library. Returns its tenant id."""
    from lms import labels, tenancy
    from lms.contract import CustomerStatusCreate, PortfolioCreate, TenantCreate

    created = tenancy.create_tenant(TenantCreate.model_validate({"name": "Demo Lender", "timezone": "America/New_York"}),
                                    api_key=demo_key)
    labels.create(created.tenant_id, labels.CUSTOMER_STATUS,
                  CustomerStatusCreate.model_validate({"title": "SCRA", "active": True, "displayOrder": 2}))
    labels.create(created.tenant_id, labels.PORTFOLIO,
                  PortfolioCreate.model_validate({"title": "Collections", "subPortfolios": ["Early", "Late"]}))
    return created.tenant_id


def banner(api: str, demo_key: str, admin_key: str) -> str:
    return "\n".join([
        f"API: {api}",
        f"API key: {demo_key}",
        f"Admin key: {admin_key}",
        "",
        "Try:",
        f"  curl -fsS -H 'Authorization: Bearer {demo_key}' {api}/tenant",
        f"  curl -fsS -H 'Authorization: Bearer {demo_key}' {api}/customer-statuses",
        f"  curl -fsS -X POST -H 'Authorization: Bearer {admin_key}' -H 'Content-Type: application/json' "
        f"-d '{{\"name\": \"Second Lender\"}}' {api}/admin/tenants",
        "Ctrl-C stops the stack (data lives in memory only).",
    ])


def state_directory() -> Path:
    return Path(os.environ.get("LOCAL_STACK_STATE") or ROOT / ".local-stack")


def write_state(api: str, moto_endpoint: str, names: dict[str, str], demo_tenant: str) -> Path:
    """stack.json (for `make invoke`) and env.json (for `sam local invoke --env-vars`): every function's
    environment as the stack runs it, pointing at this stack's moto server."""
    from local.resources import function_environment, functions, load_template

    template = load_template()
    common = {name: os.environ[name] for name in (
        "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ACCOUNT_ID_ENDPOINT_MODE",
        "DYNAMODB_ENDPOINT", "AWS_ENDPOINT_URL", "ADMIN_API_KEY_SHA256", "WEBHOOK_ALLOWED_TARGETS",
        "POWERTOOLS_METRICS_DISABLED", "POWERTOOLS_SERVICE_NAME") if name in os.environ}
    environments = {function: {**function_environment(template, names, function), **common,
                               "ADMIN_API_KEY_SHA256": os.environ["ADMIN_API_KEY_SHA256"]}
                    for function in functions(template)}
    directory = state_directory()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "stack.json").write_text(json.dumps(
        {"pid": os.getpid(), "api": api, "moto": moto_endpoint, "demoTenantId": demo_tenant,
         "functions": environments}, indent=2))
    (directory / "env.json").write_text(json.dumps(environments, indent=2))
    return directory


def remove_state() -> None:
    """Removes the state files if they are this stack's (another stack may have written them since)."""
    stack = state_directory() / "stack.json"
    try:
        if json.loads(stack.read_text()).get("pid") == os.getpid():
            stack.unlink()
            (state_directory() / "env.json").unlink(missing_ok=True)
    except (OSError, ValueError):
        pass


class _Stopping(Exception):
    pass


def _on_signal(signum: int, _frame: Any) -> None:
    raise _Stopping()


def _exit_now(signum: int, _frame: Any) -> None:
    os._exit(130)


def shutdown(started: list[Any], deadline: float) -> None:
    """Stops every worker within the deadline: all are told at once, then waited for in reverse
    order, each with what time is left; the moto server goes last."""
    for worker in started:
        if hasattr(worker, "signal_stop"):
            worker.signal_stop()
    for worker in reversed(started):
        try:
            worker.stop(max(0.1, deadline - time.monotonic()))
        except Exception as error:  # noqa: BLE001 - keep stopping the others
            print(f"local stack: stopping {worker.name} failed: {error!r}", file=sys.stderr, flush=True)


def main() -> int:
    # Ctrl-C or SIGTERM, at any moment (startup included), ends in shutdown(); a second one exits at once.
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    started: list[Any] = []
    code = 0
    try:
        gateway_port = _port_from_env("PORT", 3000)
        moto_port = _port_from_env("MOTO_PORT", 0)
        admin_key = os.environ.get("ADMIN_API_KEY") or new_api_key()
        demo_key = os.environ.get("DEMO_API_KEY") or new_api_key()
        prepare_environment(admin_key)

        _check_free(moto_port, "MOTO_PORT")
        _check_free(gateway_port, "PORT")
        from local.moto_server import MotoProcess

        moto = MotoProcess(moto_port)
        started.append(moto)
        moto.start()
        os.environ["DYNAMODB_ENDPOINT"] = moto.endpoint_url
        os.environ["AWS_ENDPOINT_URL"] = moto.endpoint_url  # any other boto3 client goes to moto too
        names = create_resources(moto.endpoint_url)

        from functions.api.app import lambda_handler
        from local.control import Control
        from local.gateway import Gateway

        demo_tenant = seed_demo_tenant(demo_key)
        workers = background_workers(moto.endpoint_url)
        streams = [w for w in workers if type(w).__name__ == "StreamPump"]
        try:
            gateway = Gateway(lambda_handler, port=gateway_port, host=HOST,
                              after_write=lambda: [pump.wake() for pump in streams])
        except OSError as error:
            raise StartupError(f"{HOST}:{gateway_port} is not available ({error.strerror}); set PORT to another port") from None
        # Webhooks may call this stack's own API (the seed's use case), and no other local address unless
        # WEBHOOK_ALLOWED_TARGETS names it, or it is added while the stack runs (POST /_local/webhook-targets).
        own = f"{HOST}:{gateway.port}"
        allowed = [t for t in os.environ.get("WEBHOOK_ALLOWED_TARGETS", "").split(",") if t.strip()]
        os.environ["WEBHOOK_ALLOWED_TARGETS"] = ",".join(allowed + [own])
        gateway.local_routes.update(Control(workers, moto.endpoint_url, [own]).routes())
        started.append(gateway)
        gateway.start()
        for worker in workers:
            started.append(worker)
            worker.start()
        api = f"http://{HOST}:{gateway.port}"
        write_state(api, moto.endpoint_url, names, demo_tenant)
        print(banner(api, demo_key, admin_key), flush=True)
        while True:
            time.sleep(3600)
    except _Stopping:
        print("stopping the local stack", file=sys.stderr, flush=True)
    except StartupError as error:
        print(f"local stack: {error}", file=sys.stderr, flush=True)
        code = 1
    except Exception:  # noqa: BLE001 - said, then everything started is stopped
        import traceback

        print("local stack: could not start:\n" + traceback.format_exc(), file=sys.stderr, flush=True)
        code = 1
    finally:
        signal.signal(signal.SIGINT, _exit_now)
        signal.signal(signal.SIGTERM, _exit_now)
        deadline = time.monotonic() + STOP_SECONDS - 1
        watchdog = threading.Timer(STOP_SECONDS - 0.5, lambda: os._exit(code or 0))
        watchdog.daemon = True
        watchdog.start()
        try:
            shutdown(started, deadline)
        finally:
            remove_state()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # daemon threads may still be in a handler's call: they end with the process


if __name__ == "__main__":
    main()
