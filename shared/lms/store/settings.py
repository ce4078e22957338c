"""Tenant records, API keys and labels in the settings table."""

from __future__ import annotations

import copy
import functools
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from .errors import CONDITION_FAILED, AlreadyExists, StaleWrite, cancellation_codes, condition_failed, save_versioned
from .tables import ApiKeyItem, SettingItem

TENANT_SK = "tenant"
T = TypeVar("T")


@dataclass
class SettingRow:
    kind: str
    id: str
    body: dict[str, Any] = field(default_factory=dict)
    version: int | None = None


def _sk(kind: str, item_id: str) -> str:
    return TENANT_SK if kind == "tenant" else f"{kind}#{item_id}"


_GUARDS = "title#"  # sorts after every label kind and the tenant record


def _guard_sk(kind: str, title: str) -> str:
    return f"{_GUARDS}{kind}#{title.casefold()}"


def _row(item: SettingItem) -> SettingRow:
    item_id = "" if item.kind == "tenant" else item.sk.split("#", 1)[1]
    return SettingRow(item.kind, item_id, dict(item.body or {}), item.version)


# One read of a tenant's settings per request (its record and its labels): an API request needs both (the
# business date and the labels), and a write here forgets what was read.
_partitions: ContextVar[dict[str, list[SettingRow]] | None] = ContextVar("settings_partitions", default=None)

# Across requests, a process keeps the labels it last read of each tenant, with the tenant record's
# labelsMark at that read. A request then reads the tenant record alone (one GetItem of a small item) and
# reuses the labels while labelsMark is unchanged; otherwise it reads the partition (one Query). Every label
# write gives labelsMark a new random value once the label is written (never a value it had before, so a
# mark read again means no label was written since), and a read racing the write at worst reads the
# partition again. LABELS_KEPT_SECONDS bounds what a write whose new mark never came (the process died
# between the two) could leave unseen by the other processes.
LABELS_KEPT_SECONDS = 60.0
_LABELS_KEPT_TENANTS = 1024
_kept: OrderedDict[str, tuple[str, float, list[SettingRow]]] = OrderedDict()
_kept_lock = threading.Lock()


@contextmanager
def one_read_per_request() -> Iterator[None]:
    """Within it, the tenant record and the labels are read once per tenant (docs/architecture.md#settings)."""
    token = _partitions.set({})
    try:
        yield
    finally:
        _partitions.reset(token)


def _partition(tenant_id: str) -> list[SettingRow] | None:
    partitions = _partitions.get()
    if partitions is None:
        return None
    if tenant_id not in partitions:
        partitions[tenant_id] = _read_partition(tenant_id)
    return [SettingRow(row.kind, row.id, copy.deepcopy(row.body), row.version) for row in partitions[tenant_id]]


def _read_partition(tenant_id: str) -> list[SettingRow]:
    """The tenant record and its labels (rows shared with the process's cache: copied before use)."""
    with _kept_lock:
        kept = _kept.get(tenant_id)
    if kept is not None and time.monotonic() - kept[1] < LABELS_KEPT_SECONDS:
        try:
            record = SettingItem.get(tenant_id, TENANT_SK, consistent_read=True)
        except DoesNotExist:
            return []
        if (record.labels_mark or "") == kept[0]:
            return [_row(record), *kept[2]]
    # The title guards ("title#...") sort after everything else and no reader here needs them.
    items = list(SettingItem.query(tenant_id, SettingItem.sk < _GUARDS, consistent_read=True))
    rows = [_row(item) for item in items]
    tenant = next((item for item in items if item.kind == "tenant"), None)
    if tenant is not None:
        with _kept_lock:
            _kept[tenant_id] = (tenant.labels_mark or "", time.monotonic(), [r for r in rows if r.kind != "tenant"])
            _kept.move_to_end(tenant_id)
            while len(_kept) > _LABELS_KEPT_TENANTS:
                _kept.popitem(last=False)
    return rows


def _labels_written(function: Callable[..., T]) -> Callable[..., T]:
    """A write of the tenant's labels gives the tenant record a new labelsMark afterwards, whatever its
    outcome (after a failed write, it only costs the processes one more read of the partition)."""

    @functools.wraps(function)
    def write(tenant_id: str, *args: Any, **kwargs: Any) -> T:
        try:
            return function(tenant_id, *args, **kwargs)
        finally:
            SettingItem._get_connection().update_item(
                tenant_id,
                TENANT_SK,
                actions=[SettingItem.labels_mark.set(secrets.token_hex(12))],
                condition=SettingItem.sk.exists(),
            )

    return write


def _writes(function: Callable[..., T]) -> Callable[..., T]:
    """A write of the tenant's settings (first argument), whatever its outcome, makes the request read
    the partition again."""

    @functools.wraps(function)
    def write(tenant_id: str, *args: Any, **kwargs: Any) -> T:
        try:
            return function(tenant_id, *args, **kwargs)
        finally:
            partitions = _partitions.get()
            if partitions is not None:
                partitions.pop(tenant_id, None)

    return write


def _connection() -> Any:
    return SettingItem._get_connection().connection


@_writes
def create_tenant(tenant_id: str, tenant_body: dict, labels: list[SettingRow], key_hash: str, key_prefix: str) -> None:
    """The tenant, its default labels and its first API key, all or nothing."""
    with TransactWrite(connection=_connection()) as tx:
        tx.save(SettingItem(tenant_id, TENANT_SK, kind="tenant", body=tenant_body))
        for row in labels:
            tx.save(SettingItem(tenant_id, _sk(row.kind, row.id), kind=row.kind, body=row.body))
            tx.save(SettingItem(tenant_id, _guard_sk(row.kind, row.body["title"]), kind="title", body={"id": row.id}))
        tx.save(ApiKeyItem(key_hash, tenant_id=tenant_id, prefix=key_prefix, created_at=datetime.now(UTC)))


def tenant_for_key(key_hash: str) -> str | None:
    try:
        return ApiKeyItem.get(key_hash).tenant_id
    except DoesNotExist:
        return None


def get_tenant(tenant_id: str) -> SettingRow | None:
    rows = _partition(tenant_id)
    if rows is not None:
        return next((row for row in rows if row.kind == "tenant"), None)
    try:
        return _row(SettingItem.get(tenant_id, TENANT_SK, consistent_read=True))
    except DoesNotExist:
        return None


@_writes
def save_tenant(tenant_id: str, row: SettingRow) -> int:
    """Replace the tenant record's body if it is still at row.version; returns the new version. An update, not
    a put: the record's labelsMark is the label writes' to change, never put back to what was read."""
    item = SettingItem(tenant_id, TENANT_SK, kind="tenant", body=row.body, version=row.version)
    try:
        item.update(actions=[SettingItem.kind.set("tenant"), SettingItem.body.set(row.body)])
    except UpdateError as error:
        if condition_failed(error):
            raise StaleWrite() from None
        raise
    return int(item.version or 0)


def list_labels(tenant_id: str, kind: str | None = None) -> list[SettingRow]:
    """Every label of the tenant (one query), in id order."""
    rows = _partition(tenant_id) if kind is None else None
    if rows is None:
        condition = SettingItem.sk.startswith(f"{kind}#") if kind else None
        rows = [_row(item) for item in SettingItem.query(tenant_id, condition, consistent_read=True)]
    return [row for row in rows if row.kind not in ("tenant", "title")]


def get_label(tenant_id: str, kind: str, label_id: str) -> SettingRow | None:
    try:
        item = SettingItem.get(tenant_id, _sk(kind, label_id), consistent_read=True)
    except DoesNotExist:
        return None
    return _row(item) if item.kind == kind else None


@_writes
@_labels_written
def create_label(tenant_id: str, row: SettingRow) -> SettingRow:
    """Creates the label and claims its title (unique per kind, case-insensitive)."""
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.save(
                SettingItem(tenant_id, _sk(row.kind, row.id), kind=row.kind, body=row.body),
                condition=SettingItem.sk.does_not_exist(),
            )
            tx.save(
                SettingItem(tenant_id, _guard_sk(row.kind, row.body["title"]), kind="title", body={"id": row.id}),
                condition=SettingItem.sk.does_not_exist(),
            )
    except TransactWriteError as error:
        if CONDITION_FAILED in cancellation_codes(error):
            raise AlreadyExists() from None
        raise
    return SettingRow(row.kind, row.id, row.body, 1)


@_writes
@_labels_written
def update_label(tenant_id: str, row: SettingRow) -> SettingRow:
    """Saves the label if it is still at row.version (titles never change, so the claim stays)."""
    item = SettingItem(tenant_id, _sk(row.kind, row.id), kind=row.kind, body=row.body, version=row.version)
    return SettingRow(row.kind, row.id, row.body, save_versioned(item))


@_writes
@_labels_written
def delete_label(tenant_id: str, row: SettingRow) -> None:
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.delete(SettingItem(tenant_id, _sk(row.kind, row.id), version=row.version))
            tx.delete(SettingItem(tenant_id, _guard_sk(row.kind, row.body["title"])), add_version_condition=False)
    except TransactWriteError as error:
        if CONDITION_FAILED in cancellation_codes(error):
            raise StaleWrite() from None
        raise


def every_tenant() -> list[tuple[str, SettingRow]]:
    """Every tenant record (the maintenance dispatcher's round): a scan of the settings table."""
    return [(item.tenant_id, _row(item)) for item in SettingItem.scan(SettingItem.sk == TENANT_SK)]
