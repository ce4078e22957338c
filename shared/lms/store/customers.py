"""Customers and the customer side of customer<->loan links."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from ..contract import Address, CreditScores, Customer
from .errors import AlreadyExists, condition_failed, save_versioned
from .paging import decode_cursor, encode_cursor
from .tables import CustomerItem, LinkItem, scoped


def _entity(item: CustomerItem) -> Customer:
    return Customer(
        id=item.customer_id,
        first_name=item.first_name,
        last_name=item.last_name,
        email=item.email,
        phone=item.phone,
        customer_type=item.customer_type,
        status=item.status,
        credit_score=int(item.credit_score) if item.credit_score is not None else None,
        credit_scores=CreditScores.model_validate(item.credit_scores) if item.credit_scores else None,
        address=Address.model_validate(item.address) if item.address else None,
        version=item.version,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _item(tenant_id: str, customer: Customer, version: int | None) -> CustomerItem:
    item = CustomerItem(
        tenant_id,
        customer.id,
        first_name=customer.first_name,
        last_name=customer.last_name,
        email=customer.email,
        phone=customer.phone,
        customer_type=customer.customer_type.value,
        status=customer.status,
        credit_score=customer.credit_score,
        credit_scores=customer.credit_scores.model_dump(mode="python") if customer.credit_scores else None,
        address=customer.address.model_dump(mode="python", by_alias=True) if customer.address else None,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
    )
    if version is not None:
        item.version = version
    return item


def get(tenant_id: str, customer_id: str) -> Customer | None:
    try:
        return _entity(CustomerItem.get(tenant_id, customer_id, consistent_read=True))
    except DoesNotExist:
        return None


def get_many(tenant_id: str, customer_ids: list[str]) -> dict[str, Customer]:
    if not customer_ids:
        return {}
    return {
        item.customer_id: _entity(item)
        for item in CustomerItem.batch_get([(tenant_id, c) for c in set(customer_ids)], consistent_read=True)
    }


def page(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[Customer], str | None]:
    after = decode_cursor(cursor)
    start = {"tenantId": {"S": tenant_id}, "customerId": {"S": after}} if after else None
    results = CustomerItem.query(tenant_id, limit=limit, last_evaluated_key=start)
    items = [_entity(item) for item in results]
    last = results.last_evaluated_key
    return items, encode_cursor(last["customerId"]["S"]) if last else None


def insert(tenant_id: str, customer: Customer) -> Customer:
    item = _item(tenant_id, customer, None)
    try:
        item.save()
    except PutError as error:
        if condition_failed(error):
            raise AlreadyExists() from None
        raise
    return customer.model_copy(update={"version": item.version})


def replace(tenant_id: str, customer: Customer) -> Customer:
    """Writes the customer if it is still at customer.version; returns it at its new version."""
    return customer.model_copy(update={"version": save_versioned(_item(tenant_id, customer, customer.version))})


def loan_links(
    tenant_id: str, customer_id: str, limit: int, cursor: str | None
) -> tuple[list[tuple[str, str]], str | None]:
    """(loan id, role) of the customer's loans, a page at a time."""
    after = decode_cursor(cursor)
    key = scoped(tenant_id, customer_id)
    start = {"customerKey": {"S": key}, "loanKey": {"S": scoped(tenant_id, after)}} if after else None
    results = LinkItem.query(key, limit=limit, last_evaluated_key=start)
    links = [(link.loan_id, link.role) for link in results]
    last = results.last_evaluated_key
    return links, encode_cursor(last["loanKey"]["S"].split("#", 1)[1]) if last else None


def from_image(image: dict) -> Customer:
    """A customer from a stream record's image (DynamoDB JSON)."""
    return _entity(CustomerItem.from_raw_data(image))
