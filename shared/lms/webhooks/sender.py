"""Delivering webhook messages (functions/webhook_sender): one HTTP attempt per queue message.

- Signed per Standard Webhooks: `webhook-id` (the message id: the same on every attempt and
  redelivery), `webhook-timestamp`, `webhook-signature` (v1, HMAC-SHA256 of "id.timestamp.body").
- The URL is rendered, then vetted by the SSRF guard at every attempt; the client connects to the
  vetted address, follows no redirect, waits briefly and reads little.
- Only a 2xx answer is success. Otherwise the next attempt is queued after about 5 s, 5 min, 30 min,
  2 h, 5 h, 10 h, 10 h (429 and 503 wait what Retry-After says); SQS delays at most 15 minutes, so a
  longer wait re-queues the message until its time. After the last attempt the message goes to the
  dead-letter queue and reads as failed; `redeliver` starts a new round with the same message id.
- Every attempt is in the delivery log. An attempt is recorded once: a queue message delivered twice
  may call the receiver twice (at least once, same webhook-id), but never forks the retry chain.
- An attempt never raises: whatever goes wrong (rendering, a stored header that can never be sent, the
  guard, the network, anything unexpected) is an AttemptOutcome with its reason, recorded like any other.
  What can never work (a header or template that cannot be sent, an address the guard refuses, a
  host name that does not exist) fails at once; the rest (the network, a temporary DNS failure,
  the unexpected) retries on the schedule. Reasons never quote a header value, the path or the query.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import re
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from .. import measures, queues
from ..config import config
from ..errors import NotFound
from ..ids import new_id, well_formed
from ..store import webhooks as store
from . import client, guard, subscriptions, templates

if TYPE_CHECKING:  # the API's calls below import the contract's models: the sender itself never needs them
    from ..contract import Delivery, Page, Redelivery

logger = Logger(child=True)
DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)  # seconds before attempts 2..8
MAX_RETRY_AFTER = 36000
THREADS = 10


def delays() -> tuple[int, ...]:
    """The retry schedule; WEBHOOK_RETRY_DELAYS (seconds, comma-separated) replaces it (local tries)."""
    text = os.environ.get("WEBHOOK_RETRY_DELAYS")
    return tuple(int(x) for x in text.split(",")) if text else DELAYS


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature header value for one attempt."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def retry_after(headers: dict[str, str], now: float) -> int | None:
    """Seconds a Retry-After header asks for (delta seconds or an HTTP date), or None."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, math.ceil(when.timestamp() - now))


@dataclass(frozen=True)
class AttemptOutcome:
    status: int | None  # the HTTP status, None without an answer
    error: str | None
    latency_ms: int | None = None
    wait: int | None = None  # Retry-After, seconds
    final: bool = False  # never worth another attempt (the guard refused the address, a header cannot be sent...)

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def next_delay(number: int, outcome: AttemptOutcome) -> int | None:
    """Seconds before attempt number+1, or None when attempt `number` was the last."""
    schedule = delays()
    if outcome.succeeded or outcome.final or number > len(schedule):
        return None
    if outcome.status in (429, 503) and outcome.wait is not None:
        return min(max(outcome.wait, 1), MAX_RETRY_AFTER)
    return schedule[number - 1]


# A rendered header value: what the stored one may hold, and a variable's Latin-1 letters (obs-text,
# sent as they always were; José stays José), but no control character and nothing beyond Latin-1.
_NOT_IN_RENDERED = re.compile(r"[^\t\x20-\x7e\xa0-\xff]")


class Unsendable(Exception):
    """This message can never be sent to this subscription as it stands; str(error) says why (it never
    quotes a header value)."""


def build(hook: dict[str, Any], message: store.Message) -> tuple[str, str, dict[str, str], bytes | None]:
    """(method, url, headers, body) of this message for this subscription, templates rendered.
    Unsendable for a stored header that breaks the rules a subscription is saved with (one saved before
    them), or whose rendered value a header cannot carry (a variable's value beyond Latin-1)."""
    variables = message.body.get("variables") or {}
    method = hook.get("method", "POST")
    url = templates.render(hook["url"], variables, "url")
    headers = {}
    for name, template in (hook.get("headers") or {}).items():
        if problem := subscriptions.header_problem(name, template, detail=False):
            raise Unsendable(f"{problem[1]} (fix the webhook's headers)")
        value = templates.render(template, variables, "header").strip(" \t")
        if _NOT_IN_RENDERED.search(value):
            raise Unsendable(f"header {name!r}: a variable's value holds a character a header cannot carry")
        headers[name] = value
    if hook.get("bodyTemplate") is not None:
        body: bytes | None = templates.render(hook["bodyTemplate"], variables, "body").encode()
    elif method in ("GET", "DELETE"):
        body = None
    else:
        body = json.dumps(message.body["payload"], separators=(",", ":")).encode()
    if body is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    return method, url, headers, body


def attempt(hook: dict[str, Any], message: store.Message) -> AttemptOutcome:
    """One HTTP attempt. Never raises: every failure is an AttemptOutcome with its reason, final when another
    attempt could never do better."""
    try:
        return _attempt(hook, message)
    except Exception as error:  # noqa: BLE001 - a failure of a kind not foreseen: recorded, retried on the schedule
        _log_unexpected(error, message)
        return AttemptOutcome(None, f"unexpected error ({type(error).__name__})")


def _attempt(hook: dict[str, Any], message: store.Message) -> AttemptOutcome:
    try:
        method, url, headers, body = build(hook, message)
    except Unsendable as unsendable:
        return AttemptOutcome(None, str(unsendable), final=True)
    except Exception as error:  # noqa: BLE001 - rendering the same message again would fail the same way
        _log_unexpected(error, message)
        return AttemptOutcome(None, f"cannot build the request ({type(error).__name__})", final=True)
    try:
        target = guard.vet(url)
    except guard.Unresolved as unresolved:  # retried unless the name does not exist
        return AttemptOutcome(None, str(unresolved), final=not unresolved.temporary)
    except guard.Refused as refused:
        reason = str(refused)
        return AttemptOutcome(None, reason if reason.startswith("refused") else f"refused: {reason}", final=True)
    stamp = int(time.time())  # the real time, not the business clock: receivers check it
    headers.update(
        {
            "webhook-id": message.message_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": sign(hook["secret"], message.message_id, stamp, body or b""),
        }
    )
    try:
        answer = client.request(target, method, headers, body)
    except client.Unsendable as unsendable:
        return AttemptOutcome(None, f"cannot send: {unsendable}", final=True)
    if answer.status is None:
        return AttemptOutcome(None, answer.error or "no answer", answer.latency_ms)
    problem = None
    if 300 <= answer.status < 400:
        problem = f"HTTP {answer.status}: redirect not followed"
    elif not 200 <= answer.status < 300:
        problem = f"HTTP {answer.status}"
    return AttemptOutcome(answer.status, problem, answer.latency_ms, retry_after(answer.headers, time.time()))


def _log_unexpected(error: Exception, message: store.Message) -> None:
    """Where an unforeseen failure happened, without its message (which may quote a header value)."""
    frames = traceback.extract_tb(error.__traceback__)
    where = [f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in frames[-5:]]
    logger.error(
        "webhook attempt failed unexpectedly",
        extra={"message_id": message.message_id, "error_type": type(error).__name__, "where": where},
    )


LEASE = 180  # seconds: an attempt claimed longer ago than this was abandoned (the sender's timeout is 60)


class Busy(Exception):
    """Another delivery of this message is making the attempt right now: try again later."""


def deliver(body: dict[str, Any]) -> str:
    """One queue message: one attempt (or a wait, or nothing when the message is settled). What it did.
    Raises when the store or the queue fails, or another delivery is making this very attempt (the
    message is then delivered again)."""
    tenant_id, webhook_id, message_id = body["tenantId"], body["webhookId"], body["messageId"]
    round_, number = int(body.get("round", 1)), int(body.get("attempt", 1))
    message = store.message(tenant_id, webhook_id, message_id)
    if message is None or message.round != round_ or message.state != "pending":
        return "settled"
    now = time.time()
    not_before = body.get("notBefore")
    if not_before and not_before > now + 1:
        queues.send(config().webhook_queue, [body], delay=math.ceil(not_before - now))
        return "waiting"
    claim = store.claim(tenant_id, webhook_id, message_id, round_, number, int(now), LEASE)
    if claim.recorded is not None:
        if claim.followed:
            return "duplicate"  # made and followed up by another delivery of this queue message
        recorded = claim.recorded  # made, but its maker stopped before what follows: do that
    elif not claim.mine:
        raise Busy(message_id)
    else:
        hook = subscriptions.stored(tenant_id, webhook_id)
        if hook is None or not hook.get("active", True):
            store.set_state(tenant_id, webhook_id, message_id, round_, "cancelled")
            logger.info(
                "webhook message dropped: the webhook was deleted or deactivated",
                extra={"tenant_id": tenant_id, "webhook_id": webhook_id, "message_id": message_id},
            )
            return "cancelled"
        outcome = attempt({**hook, "secret": subscriptions.signing_secret(tenant_id, hook)}, message)
        measures.count("WebhookAttempts")
        measures.count("WebhookAttemptsFailed", 0 if outcome.succeeded else 1)
        delay = next_delay(number, outcome)
        recorded = {
            "attemptId": new_id("att"),
            "messageId": message_id,
            "event": message.body.get("event"),
            "attempt": number,
            "round": round_,
            "status": "succeeded" if outcome.succeeded else ("retrying" if delay is not None else "failed"),
            "responseCode": outcome.status,
            "latencyMs": outcome.latency_ms,
            "at": datetime.now(UTC).isoformat(),
            "error": outcome.error,
            "delay": delay,
        }
        claimed_at = claim.claimed_at if claim.claimed_at is not None else 0  # ours: always set
        if not store.record_attempt(tenant_id, webhook_id, message_id, round_, number, claimed_at, recorded):
            return "duplicate"  # our claim was taken over (we were too slow): the other maker carries on
        logger.info(
            "webhook attempt",
            extra={
                "tenant_id": tenant_id,
                "webhook_id": webhook_id,
                "message_id": message_id,
                "attempt": number,
                "status": recorded["status"],
                "response_code": outcome.status,
                "error": outcome.error,
            },
        )
    # What follows the attempt. A settled message stops every later copy before its claim; only a
    # queued retry needs the attempt marked (a copy would queue the next attempt twice).
    status = recorded["status"]
    if status == "succeeded":
        store.set_state(tenant_id, webhook_id, message_id, round_, "succeeded")
    elif status == "retrying":
        delay = int(recorded["delay"])
        queues.send(
            config().webhook_queue, [{**body, "attempt": number + 1, "notBefore": time.time() + delay}], delay=delay
        )
        store.mark_followed(tenant_id, webhook_id, message_id, round_, number)
    else:
        queues.send(config().webhook_dead_letter_queue, [{**body, "error": recorded.get("error")}])
        store.set_state(tenant_id, webhook_id, message_id, round_, "failed")
    return status


def handle_batch(messages: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """A batch of queue messages, delivered side by side; the ids of those to deliver again."""

    def one(item: tuple[str, dict[str, Any]]) -> str | None:
        message_id, body = item
        try:
            deliver(body)
            return None
        except Busy:
            return message_id
        except Exception:
            logger.exception("webhook delivery failed", extra={"message_id": message_id})
            return message_id

    if len(messages) <= 1:
        return [m for m in map(one, messages) if m]
    with ThreadPoolExecutor(max_workers=min(THREADS, len(messages))) as pool:
        return [m for m in pool.map(one, messages) if m]


# ---------------------------------------------------------------- the API: delivery log and redelivery


def _hook(tenant_id: str, webhook_id: str) -> None:
    if not subscriptions.exists(tenant_id, webhook_id):
        raise NotFound("webhook not found")


def deliveries(
    tenant_id: str, webhook_id: str, limit: int, cursor: str | None, message_id: str | None = None
) -> Page[Delivery]:
    from ..contract import Delivery, Page

    _hook(tenant_id, webhook_id)
    if message_id is not None and not well_formed("msg", message_id):
        return Page[Delivery](items=[])
    items, next_cursor = store.attempts_page(tenant_id, webhook_id, limit, cursor, message_id)
    return Page[Delivery](items=[Delivery.model_validate(i) for i in items], next_cursor=next_cursor)


def redeliver(tenant_id: str, webhook_id: str, message_id: str) -> Redelivery:
    """A new round of attempts for a message (same webhook-id), whatever became of the last one."""
    from ..contract import Redelivery

    _hook(tenant_id, webhook_id)
    if not well_formed("msg", message_id) or store.message(tenant_id, webhook_id, message_id) is None:
        raise NotFound("message not found")
    round_ = store.new_round(tenant_id, webhook_id, message_id)
    queues.send(
        config().webhook_queue,
        [{"tenantId": tenant_id, "webhookId": webhook_id, "messageId": message_id, "round": round_, "attempt": 1}],
    )
    return Redelivery(message_id=message_id)
