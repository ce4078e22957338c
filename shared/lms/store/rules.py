"""Rules, each save also kept as an immutable version (the audit log names the version that fired)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..contract import Rule
from ..errors import BadRequest
from .errors import RETRYABLE, StaleWrite, condition_failed
from .paging import decode_cursor, encode_cursor
from .tables import RuleItem

_CURRENT = "rule#"


def _current_key(rule_id: str) -> str:
    return f"{_CURRENT}{rule_id}"


def _version_key(rule_id: str, version: int) -> str:
    return f"version#{rule_id}#{version:08d}"


def _entity(item: RuleItem) -> Rule:
    return Rule.model_validate({**item.body, "version": item.version})


def _body(rule: Rule) -> dict[str, Any]:
    return rule.model_dump(mode="json", by_alias=True, exclude={"version"})


def get(tenant_id: str, rule_id: str) -> Rule | None:
    try:
        return _entity(RuleItem.get(tenant_id, _current_key(rule_id), consistent_read=True))
    except DoesNotExist:
        return None


def version(tenant_id: str, rule_id: str, number: int) -> Rule | None:
    try:
        item = RuleItem.get(tenant_id, _version_key(rule_id, number), consistent_read=True)
    except DoesNotExist:
        return None
    return Rule.model_validate({**item.body, "version": number})


def versions(tenant_id: str, rule_id: str, limit: int, cursor: str | None) -> tuple[list[Rule], str | None]:
    """A rule's saved versions, newest first (each with its number as its version)."""
    after = decode_cursor(cursor)
    if after is not None and not (after.isascii() and after.isdigit() and len(after) <= 8):
        raise BadRequest("cursor is not one this API returned", [{"field": "cursor", "message": "invalid cursor"}])
    start = {"tenantId": {"S": tenant_id}, "sk": {"S": _version_key(rule_id, int(after))}} if after else None
    results = RuleItem.query(
        tenant_id,
        RuleItem.sk.startswith(f"version#{rule_id}#"),
        limit=limit,
        last_evaluated_key=start,
        scan_index_forward=False,
        consistent_read=True,
    )
    found = [Rule.model_validate({**item.body, "version": int(item.sk.rsplit("#", 1)[1])}) for item in results]
    last = results.last_evaluated_key
    return found, encode_cursor(str(int(last["sk"]["S"].rsplit("#", 1)[1]))) if last else None


def every(tenant_id: str) -> list[Rule]:
    """All of the tenant's rules, in tenant order."""
    items = RuleItem.query(tenant_id, RuleItem.sk.startswith(_CURRENT), consistent_read=True)
    return sorted((_entity(i) for i in items), key=lambda r: (r.order, r.created_at, r.id))


def page(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[Rule], str | None]:
    after = decode_cursor(cursor)
    start = {"tenantId": {"S": tenant_id}, "sk": {"S": _current_key(after)}} if after else None
    results = RuleItem.query(
        tenant_id, RuleItem.sk.startswith(_CURRENT), limit=limit, last_evaluated_key=start, consistent_read=True
    )
    rules = [_entity(item) for item in results]
    last = results.last_evaluated_key
    return rules, encode_cursor(last["sk"]["S"].removeprefix(_CURRENT)) if last else None


def _write(tenant_id: str, rules: Sequence[tuple[Rule, Rule | None]]) -> list[Rule]:
    """Creates (previous None) or replaces each rule at its version, with its new version kept: all or nothing."""
    saved = []
    try:
        with TransactWrite(connection=RuleItem._get_connection().connection) as write:
            for rule, previous in rules:
                item = RuleItem(tenant_id, _current_key(rule.id), body=_body(rule))
                if previous is not None:
                    item.version = previous.version
                write.save(item, condition=RuleItem.sk.does_not_exist() if previous is None else None)
                number = 1 if previous is None else previous.version + 1
                write.save(
                    RuleItem(tenant_id, _version_key(rule.id, number), body=_body(rule)),
                    condition=RuleItem.sk.does_not_exist(),
                )
                saved.append(rule.model_copy(update={"version": number}))
    except TransactWriteError as error:
        if any(r is not None and r.code in RETRYABLE for r in (error.cancellation_reasons or [])):
            raise StaleWrite() from None
        raise
    return saved


def create(tenant_id: str, rule: Rule) -> Rule:
    return _write(tenant_id, [(rule, None)])[0]


def save(tenant_id: str, rule: Rule, previous: Rule) -> Rule:
    return _write(tenant_id, [(rule, previous)])[0]


def save_many(tenant_id: str, rules: list[tuple[Rule, Rule]]) -> list[Rule]:
    """Several rules at once (a new tenant order): each a new version, all or nothing (at most 50)."""
    return _write(tenant_id, rules)


def delete(tenant_id: str, rule: Rule) -> None:
    """Deletes the rule; its versions stay, so the audit log can still name what fired."""
    item = RuleItem(tenant_id, _current_key(rule.id))
    item.version = rule.version
    try:
        item.delete()
    except DeleteError as error:
        if condition_failed(error):
            raise StaleWrite() from None
        raise
