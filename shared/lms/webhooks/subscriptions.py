"""Webhook subscriptions (docs/http.md#webhooks): create, read, edit, delete.

Checked when saved: the URL's form (the SSRF guard checks the address again at every send), the
variables its templates use, the filter (a rule criteria, compiled like a rule's), the headers
(header_problem: RFC 9110 token names, visible-ASCII values, none of the sender's own or hop-by-hop).
The signing secret is made here and shown once. Header values that look like credentials are never
shown again: they read as "********", and a PUT that sends "********" back keeps the stored value.
"""

from __future__ import annotations

import base64
import functools
import re
import secrets
from typing import TYPE_CHECKING, Any

from .. import vault
from ..clock import utc_now
from ..errors import Invalid, NotFound
from ..ids import new_id, well_formed
from ..store import webhooks as store
from ..store.errors import check_version, update_versioned
from ..text import describe
from . import guard, templates

# The contract's models and the rule compiler are imported by the API's calls that use them: the webhook
# sender reads subscriptions here (stored, signing_secret, header_problem) and needs neither at cold start.
if TYPE_CHECKING:
    from ..contract import Page, Webhook, WebhookCreate, WebhookCreated, WebhookUpdate

MAX_WEBHOOKS = 100
MASK = "********"
# Headers the sender sets (webhook-* too: the Standard Webhooks names are the sender's, and so is any
# later one such as webhook-version) and hop-by-hop headers (RFC 9110 7.6.1: they describe the
# sender's own connection). Content-Type is not among them: the sender sets it only when it is absent.
RESERVED = frozenset({"host", "content-length", "transfer-encoding", "expect"})
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
MAX_HEADER_NAME = 64  # the contract's limits (HeaderName, HeaderValue); checked again here for stored headers
MAX_HEADER_VALUE = 2048
_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+")  # RFC 9110 5.6.2 tchar
_NOT_IN_VALUE = re.compile(r"[^\t\x20-\x7e]")  # a value (as written, templates included): visible ASCII, SP, HTAB
_SECRET_WORDS = ("auth", "token", "secret", "key", "password", "cookie", "signature", "credential")


@functools.cache
def _known() -> frozenset[str]:
    from ..rules.catalogue import VARIABLES

    return frozenset(v.name for v in VARIABLES)


def sensitive(header: str) -> bool:
    return any(word in header.lower() for word in _SECRET_WORDS)


def header_problem(name: object, value: object, *, detail: bool = True) -> tuple[str, str] | None:
    """Why a header, as written in a subscription, can never be sent: (short reason, full sentence), or
    None. Neither quotes the value; with `detail` the sentence names the character that is refused.
    A value may be empty; it may not begin or end with a space or tab (receivers strip them, so the
    value would not arrive as written)."""
    if not isinstance(name, str) or not name or not _TOKEN.fullmatch(name):
        return "not a token", (
            f"header {ascii(name)[:80]}: a name is letters, digits and !#$%&'*+-.^_`|~ (an RFC 9110 token)"
        )
    if len(name) > MAX_HEADER_NAME:
        return "too long", f"header {name[:20]!r}...: a name has at most {MAX_HEADER_NAME} characters"
    lower = name.lower()
    if lower in RESERVED or lower.startswith("webhook-"):
        return "reserved", f"header {name!r} is set by the sender"
    if lower in HOP_BY_HOP:
        return "hop-by-hop", f"header {name!r} is hop-by-hop: the sender's connection sets its own"
    if not isinstance(value, str):
        return "not text", f"header {name!r}: the value must be text"
    if len(value) > MAX_HEADER_VALUE:
        return "too long", f"header {name!r}: the value has at most {MAX_HEADER_VALUE} characters"
    if bad := _NOT_IN_VALUE.search(value):
        which = f" (not {describe(bad.group())})" if detail else ""
        return (
            "character not allowed",
            f"header {name!r}: the value may hold only visible ASCII characters, space and tab{which}",
        )
    if value != value.strip(" \t"):
        return "surrounding whitespace", f"header {name!r}: the value may not begin or end with a space or tab"
    return None


def _shown(body: dict[str, Any], version: int) -> Webhook:
    from ..contract import Webhook

    headers = {k: (MASK if sensitive(k) else v) for k, v in body.get("headers", {}).items()}
    return Webhook.model_validate(
        {
            **{k: v for k, v in body.items() if k not in ("secret", "secretSealed")},
            "headers": headers,
            "version": version,
        }
    )


def _check(fields: dict[str, Any], *, headers: bool = True) -> None:
    """422 for what the subscription could never send. The headers' form is checked when they are given
    (`headers`): a record saved before these checks can still be deactivated without rewriting them."""
    from ..rules import RuleInvalid, compile_rule

    try:
        guard.check_syntax(fields["url"])
    except guard.Refused as refused:
        raise Invalid(f"url: {refused}", [{"field": "url", "message": str(refused)}]) from None
    for name, value in fields.get("headers", {}).items() if headers else ():
        if problem := header_problem(name, value):
            raise Invalid(problem[1], [{"field": f"headers.{name}", "message": problem[0]}])
    where = (
        [("url", fields["url"])]
        + [(f"headers.{k}", v) for k, v in fields.get("headers", {}).items()]
        + [("bodyTemplate", fields.get("body_template"))]
    )
    for field, text in where:
        unknown = [n for n in templates.names(text) if n not in _known()]
        if unknown:
            raise Invalid(
                f"{field}: unknown variable {unknown[0]!r} (GET /variables lists them)",
                [{"field": field, "message": f"unknown variable {unknown[0]!r}"}],
            )
    if fields.get("filter"):
        try:
            compile_rule(fields["filter"])
        except RuleInvalid as invalid:
            raise Invalid(
                f"filter is not a valid rule criteria: {invalid}",
                [{"field": "filter", **e.as_detail()} for e in invalid.errors],
            ) from None


def _find(tenant_id: str, webhook_id: str) -> tuple[dict[str, Any], int]:
    found = store.get(tenant_id, webhook_id) if well_formed("whk", webhook_id) else None
    if found is None:
        raise NotFound("webhook not found")
    return found


def create(tenant_id: str, request: WebhookCreate) -> WebhookCreated:
    from ..contract import Webhook, WebhookCreated

    fields = request.model_dump(mode="json", by_alias=False)
    for name, value in fields["headers"].items():
        if value == MASK:
            raise Invalid(
                f"header {name!r}: {MASK} stands for a stored value; give the value",
                [{"field": f"headers.{name}", "message": "a value is required"}],
            )
    _check(fields)
    if len(store.every(tenant_id)) >= MAX_WEBHOOKS:
        raise Invalid(f"a tenant has at most {MAX_WEBHOOKS} webhooks")
    now = utc_now().isoformat()
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    webhook_id = new_id("whk")
    body = {
        **{Webhook.model_fields[k].alias or k: v for k, v in fields.items()},
        "events": sorted(set(fields["events"])),
        "id": webhook_id,
        "secretSealed": vault.seal(secret, tenant_id, webhook_id),  # never stored in the clear
        "createdAt": now,
        "updatedAt": now,
    }
    version = store.create(tenant_id, body)
    return WebhookCreated.model_validate({**_shown(body, version).model_dump(), "secret": secret})


def get(tenant_id: str, webhook_id: str) -> Webhook:
    return _shown(*_find(tenant_id, webhook_id))


def exists(tenant_id: str, webhook_id: str) -> bool:
    return well_formed("whk", webhook_id) and store.get(tenant_id, webhook_id) is not None


def page(tenant_id: str, limit: int, cursor: str | None) -> Page[Webhook]:
    from ..contract import Page, Webhook

    items, next_cursor = store.page(tenant_id, limit, cursor)
    return Page[Webhook](items=[_shown(b, v) for b, v in items], next_cursor=next_cursor)


def update(tenant_id: str, webhook_id: str, request: WebhookUpdate, if_match: int | None) -> Webhook:
    """A partial update (fields left out unchanged; `headers`, when given, replaces them all)."""
    from ..contract import Webhook

    expected = request.version if request.version is not None else if_match
    changes = request.model_dump(mode="json", by_alias=False, exclude_unset=True, exclude={"version"})
    for name in ("name", "url", "method", "headers", "events", "active"):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} cannot be null", [{"field": name, "message": "cannot be null"}])

    def attempt() -> Webhook:
        body, version = _find(tenant_id, webhook_id)
        check_version("webhook", version, expected)
        fields = {
            "url": body["url"],
            "headers": body.get("headers", {}),
            "body_template": body.get("bodyTemplate"),
            "filter": body.get("filter"),
        }
        fields.update(changes)
        if "headers" in changes:
            kept = {}
            for name, value in changes["headers"].items():
                if value == MASK:
                    old = next((v for k, v in body.get("headers", {}).items() if k.lower() == name.lower()), None)
                    if old is None:
                        raise Invalid(
                            f"header {name!r}: {MASK} stands for a stored value, and there is none",
                            [{"field": f"headers.{name}", "message": "a value is required"}],
                        )
                    value = old
                kept[name] = value
            fields["headers"] = changes["headers"] = kept
        _check(fields, headers="headers" in changes)
        if "events" in changes:
            changes["events"] = sorted(set(changes["events"]))
        updated = {
            **body,
            **{Webhook.model_fields[k].alias or k: v for k, v in changes.items()},
            "updatedAt": utc_now().isoformat(),
        }
        return _shown(updated, store.save(tenant_id, updated, version))

    return update_versioned("webhook", expected, attempt)


def delete(tenant_id: str, webhook_id: str) -> None:
    """Deleting stops its deliveries: a queued message finds no webhook and is dropped (logged)."""

    def attempt() -> None:
        _, version = _find(tenant_id, webhook_id)
        store.delete(tenant_id, webhook_id, version)

    update_versioned("webhook", None, attempt)


def every_active(tenant_id: str) -> list[dict[str, Any]]:
    """The tenant's active subscriptions as stored (with their secrets): for matching events."""
    return [b for b in store.every(tenant_id) if b.get("active", True)]


def stored(tenant_id: str, webhook_id: str) -> dict[str, Any] | None:
    """One subscription as stored (with its secret, sealed), or None: for the sender."""
    found = store.get(tenant_id, webhook_id)
    return None if found is None else found[0]


def signing_secret(tenant_id: str, hook: dict[str, Any]) -> str:
    """The subscription's signing secret in the clear (a subscription made before sealing kept it as is)."""
    if "secretSealed" in hook:
        return vault.unseal(hook["secretSealed"], tenant_id, hook["id"])
    return str(hook["secret"])
