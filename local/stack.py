"""The embedded local stack (ARCHITECTURE.md): `python -m local.stack` (or `make run`).

Starts, on 127.0.0.1 only: a moto server with every table and queue of template.yaml, an HTTP
gateway in front of the API handler, and a seeded demo tenant whose API key is printed.
Ctrl-C / SIGTERM stops everything and exits 0.

Environment: PORT (gateway, default 3000), MOTO_PORT (default: a free port), DEMO_API_KEY and
ADMIN_API_KEY (default: generated and printed).

Nothing that touches boto3, pynamodb or the lms config is imported at module level: the
environment has to be in place first (config() is read once per process).
"""
from __future__ import annotations

import hashlib
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import warnings
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / "shared"
HOST = "127.0.0.1"
REGION = "us-east-1"


class Worker(Protocol):
    """Something the stack starts after the API is ready and stops (in reverse order) at shutdown."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


def background_workers(endpoint_url: str) -> list[Worker]:
    """Pumps that call the same handlers Lambda would: DynamoDB streams -> real-time rules and domain
    events; SQS queues -> their workers (force jobs, daily maintenance, webhook sender); the schedule ->
    maintenance dispatch."""
    import boto3

    from local.queues import QueuePump
    from local.scheduler import Scheduler
    from local.streams import StreamPump

    session = boto3.Session(region_name=REGION)
    return [StreamPump(session, endpoint_url=endpoint_url), QueuePump(session, endpoint_url=endpoint_url), Scheduler()]


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


class MotoWorker:
    name = "moto"

    def __init__(self, port: int):
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
        self.endpoint_url = ""

    def start(self) -> None:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()


def create_resources(endpoint_url: str) -> None:
    """Every table and queue of template.yaml, in the moto server; exports the functions' environment."""
    import boto3

    from local.resources import create_resources as create

    names = create(boto3.Session(region_name=REGION), endpoint_url=endpoint_url)
    os.environ.update(names)


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


def main() -> int:
    stopping = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)

    started: list[Worker] = []
    try:
        gateway_port = _port_from_env("PORT", 3000)
        moto_port = _port_from_env("MOTO_PORT", 0)
        admin_key = os.environ.get("ADMIN_API_KEY") or new_api_key()
        demo_key = os.environ.get("DEMO_API_KEY") or new_api_key()
        prepare_environment(admin_key)

        _check_free(moto_port, "MOTO_PORT")
        _check_free(gateway_port, "PORT")
        moto = MotoWorker(moto_port)
        moto.start()
        started.append(moto)
        os.environ["DYNAMODB_ENDPOINT"] = moto.endpoint_url
        os.environ["AWS_ENDPOINT_URL"] = moto.endpoint_url  # any other boto3 client goes to moto too
        create_resources(moto.endpoint_url)

        from functions.api.app import lambda_handler
        from local.gateway import Gateway

        seed_demo_tenant(demo_key)
        try:
            gateway = Gateway(lambda_handler, port=gateway_port, host=HOST)
        except OSError as error:
            raise StartupError(f"{HOST}:{gateway_port} is not available ({error.strerror}); set PORT to another port") from None
        gateway.start()
        started.append(gateway)
        # Webhooks may call this stack's own API (the seed's use case), and no other local address
        # unless WEBHOOK_ALLOWED_TARGETS already names it.
        allowed = [t for t in os.environ.get("WEBHOOK_ALLOWED_TARGETS", "").split(",") if t.strip()]
        os.environ["WEBHOOK_ALLOWED_TARGETS"] = ",".join(allowed + [f"{HOST}:{gateway.port}"])

        for worker in background_workers(moto.endpoint_url):
            worker.start()
            started.append(worker)

        if not stopping.is_set():
            print(banner(f"http://{HOST}:{gateway.port}", demo_key, admin_key), flush=True)
        while not stopping.wait(0.5):
            pass
        print("stopping the local stack", file=sys.stderr, flush=True)
        return 0
    except StartupError as error:
        print(f"local stack: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        for worker in reversed(started):
            try:
                worker.stop()
            except Exception as error:  # keep stopping the others
                print(f"local stack: stopping {worker.name} failed: {error!r}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
