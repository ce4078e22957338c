"""Real-time evaluation (docs/rules.md#real-time) from DynamoDB stream records of loans, customers and
transactions. Each record says what happened; this decides which loans to run rules on, with
which trigger, and runs them. Safe to run twice: every run is keyed by the stream record's
eventID (and the loan), and a run already written is not repeated.

- A loan written by a rule run (its `cascade` changed): the next step of that cascade.
- A loan created, activated, or changed through the API (labels, checklist, customers, custom
  fields, settings): a new cascade. A write that changed only the loan's values (a transaction, daily
  maintenance) is left to the transaction record (or to the daily rules).
- A transaction made through the API (payment, charge, credit, reversal): its loan.
- A customer changed: every loan linked to the customer, in any role.
"""

from __future__ import annotations

from typing import Any

from ..config import config
from ..store import customers as customer_store
from ..store.customers import loan_links
from ..store.records import CUSTOMER_BOOKKEEPING, LOAN_BOOKKEEPING, LOAN_SERVICING_FLAGS, changed, image, table_of
from .engine import RunOutcome, Settings, run_rules

# A loan write that changes only these is left to the transaction's record or to the daily rules.
_NOT_AN_INTERACTION = LOAN_BOOKKEEPING | LOAN_SERVICING_FLAGS


def handle(record: dict[str, Any], cache: dict[str, Settings] | None = None) -> list[RunOutcome]:
    """Runs the rules one stream record calls for; raises when a run failed (the batch retries it).
    cache: per-tenant settings shared by the records of one batch."""
    if record.get("eventName") == "REMOVE":
        return []
    table, cfg = table_of(record), config()
    new, old = image(record, "NewImage"), image(record, "OldImage")
    if new is None:
        return []
    event_id = record["eventID"]
    if table == cfg.loans_table:
        return _loan(event_id, old, new, cache)
    if table == cfg.transactions_table:
        if (
            old is not None
            or (new.get("body") or {}).get("source") == "rule"
            or new.get("kind") not in ("payment", "charge", "credit", "reversal")
        ):
            return []  # rule-made transactions belong to the rule run's own loan write
        return [
            run_rules(
                new["tenantId"],
                new["loanId"],
                new["kind"],
                trigger_id=event_id,
                cache=cache,
                at_version=(new.get("body") or {}).get("loanVersion"),
            )
        ]
    if table == cfg.customers_table:
        if old is None or not changed(old, new, CUSTOMER_BOOKKEEPING):
            return []  # a new customer has no loans yet
        current = customer_store.get(new["tenantId"], new["customerId"])
        if current is None or current.version > new.get("version", 0):
            return []  # changed again since: that change's record re-evaluates the loans
        return _customer(event_id, new["tenantId"], new["customerId"], cache)
    return []


def _loan(event_id: str, old: dict[str, Any] | None, new: dict[str, Any], cache: Any) -> list[RunOutcome]:
    tenant_id, loan_id = new["tenantId"], new["loanId"]
    cascade = new.get("cascade")
    if cascade and (old is None or old.get("cascade") != cascade):
        return [
            run_rules(
                tenant_id,
                loan_id,
                "rule-change",
                trigger_id=event_id,
                cascade=cascade,
                cache=cache,
                at_version=new.get("version"),
            )
        ]
    if old is None:
        return [
            run_rules(
                tenant_id, loan_id, "loan-created", trigger_id=event_id, cache=cache, at_version=new.get("version")
            )
        ]
    difference = changed(old, new, _NOT_AN_INTERACTION)
    if not difference:
        return []
    trigger = "loan-activated" if "active" in difference and new.get("active") else "loan-changed"
    return [run_rules(tenant_id, loan_id, trigger, trigger_id=event_id, cache=cache, at_version=new.get("version"))]


def _customer(event_id: str, tenant_id: str, customer_id: str, cache: Any) -> list[RunOutcome]:
    outcomes, cursor = [], None
    while True:
        links, cursor = loan_links(tenant_id, customer_id, 100, cursor)
        for loan_id, _role in links:
            outcomes.append(
                run_rules(tenant_id, loan_id, "customer-changed", trigger_id=f"{event_id}:{loan_id}", cache=cache)
            )
        if not cursor:
            return outcomes
