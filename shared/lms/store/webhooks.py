"""Webhook subscriptions, the messages queued for them and every delivery attempt (one table).

A message is created once per (event, subscription) (conditional put: a stream record handled twice
makes one message); an attempt's outcome is written once per (message, round, attempt number), so two
deliveries of the same queue message never both carry the retry chain on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from .errors import StaleWrite, condition_failed
from .paging import decode_cursor, encode_cursor
from .tables import WebhookItem

KEEP_DAYS = 35  # messages and attempts expire (DynamoDB TTL)
_HOOK = "hook#"


def _expiry() -> int:
    return int(time.time()) + KEEP_DAYS * 86400


# ---------------------------------------------------------------- subscriptions (body: the stored fields)


def get(tenant_id: str, webhook_id: str) -> tuple[dict[str, Any], int] | None:
    try:
        item = WebhookItem.get(tenant_id, _HOOK + webhook_id, consistent_read=True)
    except DoesNotExist:
        return None
    return dict(item.body), int(item.version)


def every(tenant_id: str) -> list[dict[str, Any]]:
    return [dict(i.body) for i in WebhookItem.query(tenant_id, WebhookItem.sk.startswith(_HOOK), consistent_read=True)]


def page(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[tuple[dict[str, Any], int]], str | None]:
    after = decode_cursor(cursor)
    start = {"tenantId": {"S": tenant_id}, "sk": {"S": _HOOK + after}} if after else None
    results = WebhookItem.query(
        tenant_id, WebhookItem.sk.startswith(_HOOK), limit=limit, last_evaluated_key=start, consistent_read=True
    )
    found = [(dict(i.body), int(i.version)) for i in results]
    last = results.last_evaluated_key
    return found, encode_cursor(last["sk"]["S"][len(_HOOK) :]) if last else None


def create(tenant_id: str, body: dict[str, Any]) -> int:
    WebhookItem(tenant_id, _HOOK + body["id"], body=body, version=1).save(condition=WebhookItem.sk.does_not_exist())
    return 1


def save(tenant_id: str, body: dict[str, Any], version: int) -> int:
    """Saves over `version`; the new version. StaleWrite when it changed since."""
    try:
        WebhookItem(tenant_id, _HOOK + body["id"], body=body, version=version + 1).save(
            condition=WebhookItem.version == version
        )
    except PutError as error:
        if condition_failed(error):
            raise StaleWrite() from None
        raise
    return version + 1


def delete(tenant_id: str, webhook_id: str, version: int) -> None:
    try:
        WebhookItem(tenant_id, _HOOK + webhook_id).delete(condition=WebhookItem.version == version)
    except DeleteError as error:
        if condition_failed(error):
            raise StaleWrite() from None
        raise


# ---------------------------------------------------------------- messages


@dataclass(frozen=True)
class Message:
    webhook_id: str
    message_id: str
    state: str  # pending / succeeded / failed / cancelled
    round: int
    body: dict[str, Any]  # event, eventId, payload, variables, createdAt


def _message_key(webhook_id: str, message_id: str) -> str:
    return f"msg#{webhook_id}#{message_id}"


def put_message(tenant_id: str, webhook_id: str, message_id: str, body: dict[str, Any]) -> bool:
    """Creates the message unless it exists (a redelivered stream record); whether it was new."""
    item = WebhookItem(
        tenant_id, _message_key(webhook_id, message_id), state="pending", round=1, body=body, expires_at=_expiry()
    )
    try:
        item.save(condition=WebhookItem.sk.does_not_exist())
    except PutError as error:
        if condition_failed(error):
            return False
        raise
    return True


def message(tenant_id: str, webhook_id: str, message_id: str) -> Message | None:
    try:
        item = WebhookItem.get(tenant_id, _message_key(webhook_id, message_id), consistent_read=True)
    except DoesNotExist:
        return None
    return Message(webhook_id, message_id, item.state or "pending", int(item.round or 1), dict(item.body))


def set_state(tenant_id: str, webhook_id: str, message_id: str, round_: int, state: str) -> None:
    """The message's state after its round's last attempt (only while that round is the current one)."""
    item = WebhookItem(tenant_id, _message_key(webhook_id, message_id))
    try:
        item.update(
            actions=[WebhookItem.state.set(state)], condition=WebhookItem.sk.exists() & (WebhookItem.round == round_)
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def new_round(tenant_id: str, webhook_id: str, message_id: str) -> int:
    """Redelivery: the message starts a new round of attempts (same message id); the round number."""
    for _ in range(5):
        found = message(tenant_id, webhook_id, message_id)
        if found is None:
            raise LookupError(message_id)
        item = WebhookItem(tenant_id, _message_key(webhook_id, message_id))
        try:
            item.update(
                actions=[
                    WebhookItem.state.set("pending"),
                    WebhookItem.round.set(found.round + 1),
                    WebhookItem.expires_at.set(_expiry()),
                ],
                condition=WebhookItem.round == found.round,
            )
            return found.round + 1
        except UpdateError as error:
            if not condition_failed(error):
                raise
    raise StaleWrite()


# ---------------------------------------------------------------- attempts (the delivery log)


def _attempt_key(webhook_id: str, message_id: str, round_: int, number: int) -> str:
    return f"att#{webhook_id}#{message_id}#{round_:03d}#{number:02d}"


@dataclass(frozen=True)
class Claim:
    """Who makes an attempt: `mine` (make it now), or it is recorded (`recorded`, with whether what follows
    it was done), or another delivery is making it right now (neither)."""

    mine: bool = False
    claimed_at: int | None = None
    recorded: dict[str, Any] | None = None
    followed: bool = False


def claim(tenant_id: str, webhook_id: str, message_id: str, round_: int, number: int, now: int, lease: int) -> Claim:
    """Takes the attempt (a conditional put: one delivery at a time makes it). A claim older than `lease`
    seconds is taken over: its maker died before recording the outcome."""
    key = _attempt_key(webhook_id, message_id, round_, number)
    try:  # the usual case, the attempt's first claim: one conditional put, no read
        WebhookItem(tenant_id, key, state="sending", claimed_at=now, expires_at=_expiry()).save(
            condition=WebhookItem.sk.does_not_exist()
        )
        return Claim(mine=True, claimed_at=now)
    except PutError as error:
        if not condition_failed(error):
            raise
    for _ in range(3):
        try:
            item = WebhookItem.get(tenant_id, key, consistent_read=True)
        except DoesNotExist:
            item = None
        if item is not None and item.state != "sending":
            return Claim(recorded=dict(item.body), followed=bool(item.followed))
        if item is not None and int(item.claimed_at or 0) > now - lease:
            return Claim()
        condition = WebhookItem.sk.does_not_exist() if item is None else (WebhookItem.claimed_at == item.claimed_at)
        try:
            WebhookItem(tenant_id, key, state="sending", claimed_at=now, expires_at=_expiry()).save(condition=condition)
            return Claim(mine=True, claimed_at=now)
        except PutError as error:
            if not condition_failed(error):
                raise
    return Claim()


def record_attempt(
    tenant_id: str, webhook_id: str, message_id: str, round_: int, number: int, claimed_at: int, body: dict[str, Any]
) -> bool:
    """The outcome of a claimed attempt; False when the claim was taken over meanwhile (the other maker
    records it)."""
    item = WebhookItem(
        tenant_id,
        _attempt_key(webhook_id, message_id, round_, number),
        state=body["status"],
        body=body,
        claimed_at=claimed_at,
        expires_at=_expiry(),
    )
    try:
        item.save(condition=(WebhookItem.state == "sending") & (WebhookItem.claimed_at == claimed_at))
    except PutError as error:
        if condition_failed(error):
            return False
        raise
    return True


def mark_followed(tenant_id: str, webhook_id: str, message_id: str, round_: int, number: int) -> None:
    WebhookItem(tenant_id, _attempt_key(webhook_id, message_id, round_, number)).update(
        actions=[WebhookItem.followed.set(True)]
    )


def attempts_page(
    tenant_id: str, webhook_id: str, limit: int, cursor: str | None, message_id: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of a webhook's attempts, newest message first (message ids sort by event time)."""
    prefix = f"att#{webhook_id}#" + (f"{message_id}#" if message_id else "")
    after = decode_cursor(cursor)
    start = {"tenantId": {"S": tenant_id}, "sk": {"S": after}} if after and after.startswith(prefix) else None
    results = WebhookItem.query(
        tenant_id,
        WebhookItem.sk.startswith(prefix),
        limit=limit,
        last_evaluated_key=start,
        scan_index_forward=False,
        consistent_read=True,
    )
    found = [dict(i.body) for i in results if i.state != "sending"]  # an attempt being made shows once made
    last = results.last_evaluated_key
    return found, encode_cursor(last["sk"]["S"]) if last else None
