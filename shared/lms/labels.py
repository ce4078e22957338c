"""A tenant's labels: customer statuses, loan statuses (with sub-statuses), portfolios (with
sub-portfolios) and checklist items. Loans and customers refer to labels by title.

Titles are unique per kind (case-insensitive) and never change once created: loans and customers
hold titles, so a rename would silently orphan them. Deleting a label keeps it on the loans and
customers that already carry it, but it can no longer be given to anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .contract import (
    ChecklistItem,
    CustomerStatus,
    LoanStatus,
    Page,
    Portfolio,
)
from .errors import Conflict, Invalid, NotFound, field_error
from .ids import new_id, well_formed
from .store import settings as store
from .store.errors import AlreadyExists, StaleWrite, check_version, update_versioned
from .store.paging import decode_cursor, encode_cursor

# The statuses the service itself sets (creation, activation, charge-off, payoff).
SYSTEM_LOAN_STATUSES = {"application": set(), "open": {"repaying"}, "closed": {"paid off", "charged off"}}


@dataclass(frozen=True)
class Kind:
    name: str  # the store's kind
    entity: type[BaseModel]
    prefix: str
    noun: str


CUSTOMER_STATUS = Kind("customer-status", CustomerStatus, "cst", "customer status")
LOAN_STATUS = Kind("loan-status", LoanStatus, "lst", "loan status")
PORTFOLIO = Kind("portfolio", Portfolio, "pfl", "portfolio")
CHECKLIST_ITEM = Kind("checklist-item", ChecklistItem, "chk", "checklist item")


def _entity(kind: Kind, row: store.SettingRow) -> Any:
    return kind.entity.model_validate({"id": row.id, **row.body, "version": row.version or 1})


def _body(entity: BaseModel) -> dict:
    return entity.model_dump(mode="python", by_alias=True, exclude={"id", "version"})


def _unique_titles(field: str, titles: list[str]) -> None:
    seen: set[str] = set()
    for title in titles:
        if title.casefold() in seen:
            raise field_error(field, f"{title!r} is listed twice")
        seen.add(title.casefold())


class Labels:
    """Every label of one tenant, read once; answers "is this title valid here?"."""

    def __init__(self, rows: list[store.SettingRow]):
        self.customer_statuses = sorted(
            (_entity(CUSTOMER_STATUS, r) for r in rows if r.kind == CUSTOMER_STATUS.name),
            key=lambda s: (s.display_order, s.title),
        )
        self.loan_statuses = {
            s.title.casefold(): s for s in (_entity(LOAN_STATUS, r) for r in rows if r.kind == LOAN_STATUS.name)
        }
        self.portfolios = {
            p.title.casefold(): p for p in (_entity(PORTFOLIO, r) for r in rows if r.kind == PORTFOLIO.name)
        }
        self.checklist = {
            c.title.casefold(): c for c in (_entity(CHECKLIST_ITEM, r) for r in rows if r.kind == CHECKLIST_ITEM.name)
        }

    def customer_status(self, title: str) -> str:
        for status in self.customer_statuses:
            if status.title.casefold() == title.casefold():
                if not status.active:
                    raise field_error("status", f"customer status {status.title!r} is inactive")
                return status.title
        known = ", ".join(s.title for s in self.customer_statuses if s.active)
        raise field_error("status", f"unknown customer status {title!r}; this tenant has: {known}")

    def default_customer_status(self) -> str:
        for status in self.customer_statuses:
            if status.active:
                return status.title
        raise field_error("status", "the tenant has no active customer status: create one first")

    def loan_status(self, title: str, sub_title: str | None) -> tuple[str, str | None]:
        status = self.loan_statuses.get(title.casefold())
        if status is None:
            known = ", ".join(s.title for s in self.loan_statuses.values() if s.active)
            raise field_error("loanStatus", f"unknown loan status {title!r}; this tenant has: {known}")
        if not status.active:
            raise field_error("loanStatus", f"loan status {status.title!r} is inactive")
        if sub_title is None:
            return status.title, None
        for sub in status.sub_statuses:
            if sub.title.casefold() == sub_title.casefold():
                if not sub.active:
                    raise field_error("loanSubStatus", f"sub-status {sub.title!r} is inactive")
                return status.title, sub.title
        known = ", ".join(s.title for s in status.sub_statuses if s.active) or "none"
        raise field_error("loanSubStatus", f"{status.title!r} has no sub-status {sub_title!r}; it has: {known}")

    def late_fees(self, title: str, sub_title: str | None) -> bool:
        """Whether a loan in this status (and sub-status) is charged late fees."""
        status = self.loan_statuses.get(title.casefold())
        if status is None:
            return True
        sub = next((s for s in status.sub_statuses if sub_title and s.title.casefold() == sub_title.casefold()), None)
        return status.late_fees and (sub is None or sub.late_fees)

    def portfolio_titles(self, titles: list[str]) -> list[str]:
        _unique_titles("portfolios", titles)
        out = []
        for title in titles:
            portfolio = self.portfolios.get(title.casefold())
            if portfolio is None:
                raise field_error("portfolios", f"unknown portfolio {title!r}")
            out.append(portfolio.title)
        return out

    def sub_portfolio_titles(self, titles: list[str], portfolios: list[str]) -> list[str]:
        _unique_titles("subPortfolios", titles)
        out = []
        for title in titles:
            owners = [
                p
                for p in (self.portfolios[t.casefold()] for t in portfolios)
                if any(s.casefold() == title.casefold() for s in p.sub_portfolios)
            ]
            if not owners:
                raise field_error("subPortfolios", f"{title!r} is not a sub-portfolio of the loan's portfolios")
            out.append(next(s for s in owners[0].sub_portfolios if s.casefold() == title.casefold()))
        return out

    def checklist_titles(self, titles: list[str]) -> list[str]:
        _unique_titles("checklist", titles)
        out = []
        for title in titles:
            item = self.checklist.get(title.casefold())
            if item is None:
                raise field_error("checklist", f"unknown checklist item {title!r}")
            out.append(item.title)
        return out


def load(tenant_id: str) -> Labels:
    return Labels(store.list_labels(tenant_id))


def page(tenant_id: str, kind: Kind, limit: int, cursor: str | None) -> Page:
    after = decode_cursor(cursor)
    rows = [r for r in store.list_labels(tenant_id, kind.name) if after is None or r.id > after]
    items = [_entity(kind, r) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(rows[limit - 1].id) if len(rows) > limit else None)


def _row(tenant_id: str, kind: Kind, label_id: str) -> store.SettingRow:
    row = store.get_label(tenant_id, kind.name, label_id) if well_formed(kind.prefix, label_id) else None
    if row is None:
        raise NotFound(f"{kind.noun} not found")
    return row


def get(tenant_id: str, kind: Kind, label_id: str) -> Any:
    return _entity(kind, _row(tenant_id, kind, label_id))


def _check(kind: Kind, entity: Any, tenant_id: str) -> None:
    if kind is LOAN_STATUS:
        _unique_titles("subStatuses", [s.title for s in entity.sub_statuses])
        required = SYSTEM_LOAN_STATUSES.get(entity.title.casefold(), set())
        missing = required - {s.title.casefold() for s in entity.sub_statuses}
        if missing:
            raise field_error(
                "subStatuses", f"{entity.title!r} needs its sub-statuses {sorted(missing)}: the service sets them"
            )
    if kind is PORTFOLIO:
        _unique_titles("subPortfolios", entity.sub_portfolios)


def create(tenant_id: str, kind: Kind, request: BaseModel) -> Any:
    fields = request.model_dump(mode="python", by_alias=False)
    if kind is CUSTOMER_STATUS and fields.get("display_order") is None:
        existing = store.list_labels(tenant_id, kind.name)
        fields["display_order"] = 1 + max((r.body.get("displayOrder", 0) for r in existing), default=-1)
    entity: Any = kind.entity.model_validate({"id": new_id(kind.prefix), **fields})
    _check(kind, entity, tenant_id)
    try:
        store.create_label(tenant_id, store.SettingRow(kind.name, entity.id, _body(entity)))
    except AlreadyExists:
        raise Conflict(f"a {kind.noun} titled {entity.title!r} already exists") from None
    return entity


def update(tenant_id: str, kind: Kind, label_id: str, request: BaseModel, if_match: int | None) -> Any:
    """Changes the fields sent; a stale version (body or If-Match) answers 409."""
    changes = request.model_dump(mode="python", by_alias=False, exclude_unset=True)
    expected = changes.pop("version", None)
    expected = if_match if expected is None else expected
    if any(value is None for value in changes.values()):
        raise Invalid("null is not a value here: leave a field out to keep it")

    def attempt() -> Any:
        row = _row(tenant_id, kind, label_id)
        current = _entity(kind, row)
        check_version(kind.noun, current.version, expected)
        if "title" in changes and changes["title"] != current.title:
            raise field_error(
                "title",
                f"a {kind.noun}'s title cannot change (loans and customers carry it): "
                "create a new one and deactivate or delete this one",
            )
        entity = kind.entity.model_validate({**current.model_dump(mode="python", by_alias=False), **changes})
        _check(kind, entity, tenant_id)
        saved = store.update_label(tenant_id, store.SettingRow(kind.name, label_id, _body(entity), row.version))
        return entity.model_copy(update={"version": saved.version})

    return update_versioned(kind.noun, expected, attempt)


def delete(tenant_id: str, kind: Kind, label_id: str) -> None:
    row = _row(tenant_id, kind, label_id)
    if kind is LOAN_STATUS and row.body["title"].casefold() in SYSTEM_LOAN_STATUSES:
        raise field_error("id", f"{row.body['title']!r} is set by the service itself and cannot be deleted")
    try:
        store.delete_label(tenant_id, row)
    except StaleWrite:
        raise Conflict(f"the {kind.noun} changed while deleting: try again") from None
