"""Webhook subscriptions and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from .base import MULTILINE, STRICT, Entity, Name, Request, SafeText
from .rules import Criteria

EventType = Literal[
    "loan.created",
    "loan.activated",
    "loan.updated",
    "loan.status-changed",
    "loan.portfolios-changed",
    "loan.due-date-changed",
    "loan.bankruptcy-changed",
    "autopay.succeeded",
    "autopay.failed",
    "payment.posted",
    "payment.reversed",
    "charge.posted",
    "credit.posted",
    "apd.reset",
    "interest.stopped",
    "interest.resumed",
    "customer.created",
    "customer.updated",
    "customer.status-changed",
    "rule.applied",
    "maintenance.completed",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
WebhookMethod = Literal["POST", "PUT", "PATCH", "DELETE", "GET"]
WebhookUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048), STRICT]
HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")]
HeaderValue = Annotated[str, StringConstraints(max_length=2048, pattern=r"^[^\r\n\x00]*$")]
BodyTemplate = Annotated[str, StringConstraints(max_length=65536), MULTILINE]
MAX_WEBHOOK_HEADERS = 20


class WebhookCreate(Request):
    name: Name
    url: WebhookUrl
    method: WebhookMethod = "POST"
    headers: Annotated[dict[HeaderName, HeaderValue], Field(max_length=MAX_WEBHOOK_HEADERS)] = {}
    body_template: BodyTemplate | None = None
    events: Annotated[list[EventType], Field(max_length=len(EVENT_TYPES))] = []
    filter: Criteria | None = None
    active: StrictBool = True


class WebhookUpdate(Request):
    name: Name | None = None
    url: WebhookUrl | None = None
    method: WebhookMethod | None = None
    headers: Annotated[dict[HeaderName, HeaderValue], Field(max_length=MAX_WEBHOOK_HEADERS)] | None = None
    body_template: BodyTemplate | None = None
    events: Annotated[list[EventType], Field(max_length=len(EVENT_TYPES))] | None = None
    filter: Criteria | None = None
    active: StrictBool | None = None
    version: StrictInt | None = None


class Webhook(Entity):
    id: str
    name: str
    url: str
    method: str
    headers: dict[str, str]  # values of credential-like headers are shown masked
    body_template: str | None = None
    events: list[str]
    filter: str | None = None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookCreated(Webhook):
    secret: str  # the signing secret (Standard Webhooks, "whsec_..."): shown this once


class Delivery(Entity):
    """One attempt to deliver one message (the delivery log)."""

    attempt_id: str
    message_id: str
    event: str
    attempt: int
    status: Literal["succeeded", "retrying", "failed"]
    response_code: int | None = None
    latency_ms: int | None = None
    at: datetime
    error: SafeText | None = None


class Redelivery(Entity):
    message_id: str
