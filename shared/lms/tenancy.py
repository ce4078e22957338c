"""Tenants and API keys: creation with default labels, key authentication, tenant settings."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import date
from zoneinfo import ZoneInfo

from . import clock, vault
from .contract import Tenant, TenantCreate, TenantCreated, TenantUpdate
from .errors import NotFound, Unauthorized, field_error
from .ids import new_id
from .store import settings as store
from .store.errors import check_version, update_versioned
from .store.settings import one_read_per_request as one_read_per_request  # the API: one settings read per request

KEY_PREFIX = "lk_"
_AUTH_CACHE_SECONDS = 30.0
_auth_cache: dict[str, tuple[str, float]] = {}

DEFAULT_LABELS: list[tuple[str, dict]] = [
    ("customer-status", {"title": "Active", "active": True, "displayOrder": 0}),
    ("customer-status", {"title": "Lead", "active": True, "displayOrder": 1}),
    ("loan-status", {"title": "Application", "active": True, "lateFees": False, "subStatuses": []}),
    (
        "loan-status",
        {
            "title": "Open",
            "active": True,
            "lateFees": True,
            "subStatuses": [
                {"title": "Repaying", "active": True, "lateFees": True},
                {"title": "Past Due", "active": True, "lateFees": True},
            ],
        },
    ),
    (
        "loan-status",
        {
            "title": "Closed",
            "active": True,
            "lateFees": False,
            "subStatuses": [
                {"title": "Paid Off", "active": True, "lateFees": False},
                {"title": "Charged Off", "active": True, "lateFees": False},
            ],
        },
    ),
]


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except Exception:  # ZoneInfo raises several types for bad names (including path tricks)
        raise field_error(
            "timezone", f"unknown time zone {name[:64]!r}: use an IANA name such as America/New_York"
        ) from None
    return name


def create_tenant(request: TenantCreate, api_key: str | None = None) -> TenantCreated:
    """A new tenant with the default statuses and a fresh API key (or the given one, for demos)."""
    tenant_id = new_id("tnt")
    api_key = api_key or new_api_key()
    body = {
        "name": request.name,
        "timezone": check_timezone(request.timezone),
        "maintenanceHour": 0,
        "businessDate": None,
        "dayCount": "actual/365",
    }
    labels = [store.SettingRow(kind, new_id(_prefix(kind)), dict(label)) for kind, label in DEFAULT_LABELS]
    store.create_tenant(tenant_id, body, labels, hash_key(api_key), api_key[:8])
    return TenantCreated(tenant_id=tenant_id, api_key=api_key)


def _prefix(kind: str) -> str:
    return {"customer-status": "cst", "loan-status": "lst", "portfolio": "pfl", "checklist-item": "chk"}[kind]


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("send your API key as: Authorization: Bearer <key>")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        raise Unauthorized("send your API key as: Authorization: Bearer <key>")
    return token


def authenticate(authorization: str | None) -> str:
    """The tenant id the bearer key belongs to; Unauthorized otherwise (never says why in detail)."""
    key_hash = hash_key(_bearer(authorization))
    cached = _auth_cache.get(key_hash)
    now = time.monotonic()
    if cached and cached[1] > now:
        return cached[0]
    tenant_id = store.tenant_for_key(key_hash)
    if tenant_id is None:
        raise Unauthorized("unknown API key")
    _auth_cache[key_hash] = (tenant_id, now + _AUTH_CACHE_SECONDS)
    return tenant_id


def authenticate_admin(authorization: str | None) -> None:
    expected = vault.admin_key_sha256()
    presented = hash_key(_bearer(authorization))
    if not expected or not hmac.compare_digest(presented, expected):
        raise Unauthorized("unknown admin key")


def _tenant(tenant_id: str, row: store.SettingRow) -> Tenant:
    return Tenant.model_validate({"tenantId": tenant_id, **row.body, "version": row.version})


def get_tenant(tenant_id: str) -> Tenant:
    row = store.get_tenant(tenant_id)
    if row is None:
        raise NotFound("tenant not found")
    return _tenant(tenant_id, row)


def business_date(tenant: Tenant) -> date:
    return clock.local_date(tenant.timezone, tenant.business_date)


def update_tenant(tenant_id: str, update: TenantUpdate, if_match: int | None) -> Tenant:
    expected = update.version if update.version is not None else if_match
    changes = update.model_dump(by_alias=True, exclude_unset=True, exclude={"version"}, mode="python")
    for required in ("name", "timezone", "maintenanceHour", "dayCount"):
        if required in changes and changes[required] is None:
            raise field_error(required, f"{required} cannot be null")
    if changes.get("timezone"):
        check_timezone(changes["timezone"])

    def attempt() -> Tenant:
        row = store.get_tenant(tenant_id)
        if row is None:
            raise NotFound("tenant not found")
        check_version("tenant", row.version, expected)
        row.body.update(changes)
        row.version = store.save_tenant(tenant_id, row)
        return _tenant(tenant_id, row)

    return update_versioned("tenant", expected, attempt)
