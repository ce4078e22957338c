"""The webhook delivery benchmark (issue 7): deliveries per second through the sender against a local
receiver, as a ratio to plain POSTs of the same body with the same HTTP client (lms.webhooks.client).

    python -m bench.webhook_bench            # what `make bench` runs
    python -m bench.webhook_bench --strict   # exit 2 when an attempt costs more than 1.5x a plain POST

Two figures, each against its own baseline in the same run:
- attempt: what the sender adds to one HTTP request (render the templates, SSRF-check the URL, sign,
  send over the pooled client), 10 threads like the sender's batch, against plain POSTs on 10 threads;
- pipeline: whole messages through the webhook queue and functions/webhook_sender (queue pump), with the
  message, the attempt claim and the delivery log in DynamoDB (a moto server in its own process), as
  deliveries per second and the same ratio to plain POSTs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "shared"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench.moto_process import moto_server  # noqa: E402
from local.receiver import Receiver  # noqa: E402

TARGET, THREADS = 1.5, 10


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=3000)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    receiver = Receiver(keep=False)
    os.environ["WEBHOOK_ALLOWED_TARGETS"] = receiver.target
    try:
        with moto_server() as endpoint:
            return _run(endpoint, f"http://{receiver.target}/hook", args, receiver)
    finally:
        receiver.close()


def _timed(count: int, one) -> float:
    """Seconds for `count` calls of one(i) on THREADS threads."""
    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - started


def _run(endpoint: str, url: str, args, receiver: Receiver) -> int:
    import json

    import boto3

    from local.queues import QueuePump
    from local.resources import create_resources, load_template, tables

    template = load_template()
    for props in tables(template).values():  # no streams: nothing here reads them
        props.pop("StreamSpecification", None)
    session = boto3.Session(region_name="us-east-1")
    os.environ.update(
        {**create_resources(session, endpoint_url=endpoint, template=template), "POWERTOOLS_LOG_LEVEL": "ERROR"}
    )

    from lms import tenancy
    from lms.contract import TenantCreate, WebhookCreate
    from lms.ids import new_id
    from lms.store import webhooks as store
    from lms.webhooks import client, sender, subscriptions

    tenant = tenancy.create_tenant(TenantCreate.model_validate({"name": "Bench"})).tenant_id
    hook = subscriptions.create(
        tenant,
        WebhookCreate.model_validate(
            {
                "name": "bench",
                "url": url + "?loan=[[v('customer.primary.id')]]",
                "events": ["customer.created"],
                "headers": {"X-Status": "[[v('loan-status')]]"},
            }
        ),
    )
    stored = subscriptions.stored(tenant, hook.id)
    assert stored is not None, "the webhook just created"
    payload = {
        "id": "evt_bench",
        "type": "customer.created",
        "timestamp": "2026-11-23T00:00:00Z",
        "tenantId": tenant,
        "data": {"id": "cus_bench", "firstName": "Ada", "lastName": "Lovelace", "status": "Active"},
    }
    variables = {"customer.primary.id": "cus_bench", "loan-status": "Open"}
    body = json.dumps(payload, separators=(",", ":")).encode()
    message = store.Message(
        hook.id, new_id("msg"), "pending", 1, {"event": "customer.created", "payload": payload, "variables": variables}
    )
    headers = {"Content-Type": "application/json"}

    print(f"webhook bench: a local receiver, {THREADS} threads, moto server at {endpoint}")
    for _ in range(200):  # warm the connection pools
        client.plain_post(url, body, headers)
        sender.attempt(stored, message)
    plain = _timed(args.attempts, lambda i: client.plain_post(url, body, headers))
    attempts = _timed(args.attempts, lambda i: sender.attempt(stored, message))
    attempt_ratio = attempts / plain
    print(
        f"  attempt:  plain POST {args.attempts / plain:8.0f}/s   sender attempt (render, SSRF check, sign, send) "
        f"{args.attempts / attempts:8.0f}/s   ratio {attempt_ratio:.2f}x"
    )

    ids = [new_id("msg") for _ in range(args.messages)]
    for message_id in ids:
        store.put_message(
            tenant,
            hook.id,
            message_id,
            {"event": "customer.created", "eventId": "evt_bench", "payload": payload, "variables": variables},
        )
    from lms import queues
    from lms.config import config

    before = receiver.count
    pump = QueuePump(session, endpoint_url=endpoint)
    started = time.perf_counter()
    queues.send(
        config().webhook_queue,
        [{"tenantId": tenant, "webhookId": hook.id, "messageId": m, "round": 1, "attempt": 1} for m in ids],
    )
    pump.drain(timeout=3600)
    pipeline = time.perf_counter() - started
    assert receiver.count - before == args.messages, (receiver.count - before, args.messages)
    plain_same = _timed(args.messages, lambda i: client.plain_post(url, body, headers))
    print(
        f"  pipeline: plain POST {args.messages / plain_same:8.0f}/s   queue + sender + delivery log (moto) "
        f"{args.messages / pipeline:8.1f} deliveries/s   ratio {pipeline / plain_same:.1f}x (moto's DynamoDB and SQS)"
    )
    print(
        f"  target: a sender attempt at most {TARGET}x a plain POST: "
        f"{'met' if attempt_ratio <= TARGET else 'MISSED'} ({attempt_ratio:.2f}x)"
    )
    return 2 if args.strict and attempt_ratio > TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
