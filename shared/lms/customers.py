"""Customers: create, read, partial update with optimistic locking, and their loans."""

from __future__ import annotations

from pydantic.alias_generators import to_camel

from .clock import utc_now
from .contract import Customer, CustomerCreate, CustomerLoan, CustomerUpdate, Page
from .errors import NotFound, field_error
from .ids import new_id, well_formed
from .labels import load as load_labels
from .store import customers as store
from .store import loans as loan_store
from .store.errors import check_version, update_versioned

_REQUIRED = ("first_name", "last_name", "customer_type", "status")


def create(tenant_id: str, request: CustomerCreate) -> Customer:
    labels = load_labels(tenant_id)
    status = labels.customer_status(request.status) if request.status else labels.default_customer_status()
    now = utc_now()
    customer = Customer.model_validate(
        {
            **request.model_dump(mode="python", by_alias=False),
            "id": new_id("cus"),
            "status": status,
            "version": 0,
            "created_at": now,
            "updated_at": now,
        }
    )
    return store.insert(tenant_id, customer)


def get(tenant_id: str, customer_id: str) -> Customer:
    customer = store.get(tenant_id, customer_id) if well_formed("cus", customer_id) else None
    if customer is None:
        raise NotFound("customer not found")
    return customer


def page(tenant_id: str, limit: int, cursor: str | None) -> Page[Customer]:
    items, next_cursor = store.page(tenant_id, limit, cursor)
    return Page[Customer](items=items, next_cursor=next_cursor)


def update(tenant_id: str, customer_id: str, request: CustomerUpdate, if_match: int | None) -> Customer:
    """Changes only the fields sent. With a version (body or If-Match) a stale one answers 409;
    without one, a concurrent write is re-read and the same change applied again."""
    expected = request.version if request.version is not None else if_match
    changes = {
        k: v for k, v in request.model_dump(mode="python", by_alias=False, exclude_unset=True).items() if k != "version"
    }
    for name in _REQUIRED:
        if name in changes and changes[name] is None:
            raise field_error(to_camel(name), f"{to_camel(name)} cannot be null")
    if "status" in changes:
        changes["status"] = load_labels(tenant_id).customer_status(changes["status"])

    def attempt() -> Customer:
        current = get(tenant_id, customer_id)
        check_version("customer", current.version, expected)
        if not changes:
            return current
        updated = Customer.model_validate(
            {**current.model_dump(mode="python", by_alias=False), **changes, "updated_at": utc_now()}
        )
        return store.replace(tenant_id, updated)

    return update_versioned("customer", expected, attempt)


def loans(tenant_id: str, customer_id: str, limit: int, cursor: str | None) -> Page[CustomerLoan]:
    get(tenant_id, customer_id)
    links, next_cursor = store.loan_links(tenant_id, customer_id, limit, cursor)
    found = loan_store.get_many(tenant_id, [loan_id for loan_id, _ in links])
    items = [CustomerLoan(role=role, loan=found[loan_id]) for loan_id, role in links if loan_id in found]
    return Page[CustomerLoan](items=items, next_cursor=next_cursor)
