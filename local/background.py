"""The local stack's background process: every function of template.yaml but the API, driven as Lambda's event
sources drive them (a pump per function for its DynamoDB streams or SQS queue, a thread each; the
schedule), and the demo tenant's seed. It runs at a lower CPU priority than the gateway and the API's
environments, so a burst of background work (a night of maintenance, a cascade of rules) never slows the
API's answers: it is caught up after, and GET /_local/status shows how far behind it is meanwhile.

    python -m local.background READY_FD     # started by local.stack, never by hand

It writes one JSON line on READY_FD once it runs ({"statusPort", "demoTenantId"}) and serves its pumps'
status at http://127.0.0.1:<statusPort>/status. It exits when its standard input closes (the stack
stopped or died) or on SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NICENESS = 10  # far below the gateway and the API environments (0): the API first, the background with what is left


def seed_demo_tenant(demo_key: str) -> str:
    """A demo tenant with a little data, through the domain library. Returns its tenant id."""
    from lms import labels, tenancy
    from lms.contract import CustomerStatusCreate, PortfolioCreate, TenantCreate

    created = tenancy.create_tenant(
        TenantCreate.model_validate({"name": "Demo Lender", "timezone": "America/New_York"}), api_key=demo_key
    )
    labels.create(
        created.tenant_id,
        labels.CUSTOMER_STATUS,
        CustomerStatusCreate.model_validate({"title": "SCRA", "active": True, "displayOrder": 2}),
    )
    labels.create(
        created.tenant_id,
        labels.PORTFOLIO,
        PortfolioCreate.model_validate({"title": "Collections", "subPortfolios": ["Early", "Late"]}),
    )
    return created.tenant_id


def workers(endpoint_url: str) -> list[Any]:
    """One thread per function (one execution environment each): the DynamoDB streams -> real-time rules and
    domain events; the SQS queues -> force jobs, daily maintenance, the webhook sender; the schedule ->
    maintenance dispatch."""
    import boto3

    from local.queues import QueuePump, sources
    from local.resources import load_template
    from local.scheduler import Scheduler
    from local.streams import StreamPump, mappings

    session = boto3.Session(region_name="us-east-1")
    template = load_template()
    started: list[Any] = [
        StreamPump(session, endpoint_url=endpoint_url, functions=[f])
        for f in dict.fromkeys(m.function for m in mappings(template))
    ]
    started += [
        QueuePump(session, endpoint_url=endpoint_url, functions=[f], wait_seconds=1)
        for f in dict.fromkeys(s.function for s in sources(template))
    ]
    return started + [Scheduler()]


def status(running: list[Any]) -> dict[str, Any]:
    report: dict[str, Any] = {"streams": [], "queues": [], "scheduler": None}
    for worker in running:
        try:
            part = worker.status()
        except Exception as error:  # noqa: BLE001 - e.g. moto gone: say so on the page itself
            part = [{"pump": worker.name, "lastError": {"error": repr(error)}}]
        kind = type(worker).__name__
        if kind == "StreamPump":
            report["streams"] += part
        elif kind == "QueuePump":
            report["queues"] += part
        else:
            report["scheduler"] = part
    return report


def serve_status(running: list[Any]) -> int:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            body = json.dumps(status(running)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="status", daemon=True).start()
    return server.server_address[1]


def main(ready_fd: int) -> None:
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the stack decides when this stops
    for path in (ROOT / "shared", ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    os.nice(NICENESS)
    demo_tenant = seed_demo_tenant(os.environ["DEMO_API_KEY"])
    running = workers(os.environ["DYNAMODB_ENDPOINT"])
    for worker in running:
        worker.start()
    from local import collector

    collector.settle()  # what the imports and the seed made lives as long as the process
    with os.fdopen(ready_fd, "w") as ready:
        ready.write(json.dumps({"statusPort": serve_status(running), "demoTenantId": demo_tenant}) + "\n")
    try:
        while sys.stdin.read(4096):
            pass
    except (OSError, ValueError):
        pass
    for worker in running:
        worker.signal_stop()
    os._exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]))
