"""Shadow mode through the local stack (issue 17, acceptance 2): a shadow rule fires in maintenance and in real
time and audits wouldApply, and the loans, transactions and webhook deliveries of its tenant are the same as
those of a tenant that runs the same book without it (but for ids and times, which no two tenants share)."""

from __future__ import annotations

import json
import time

import pytest

from lms.contract.webhooks import EVENT_TYPES
from local.receiver import Receiver
from tests.e2e.conftest import settled, tenant_caller
from tests.e2e.test_local_stack import _allow
from tests.webhooks.test_shadow import SCRA, SETUP, SHADOW, _same

pytestmark = pytest.mark.e2e


def _tenant(stack, name: str, shadow: bool, receiver: Receiver) -> tuple:
    _, call = tenant_caller(stack, name)
    call("PUT", "/tenant", {"businessDate": "2026-01-15"})
    for path, title in (("/customer-statuses", "SCRA"), ("/portfolios", "SCRA"), ("/portfolios", "Shadowed")):
        call("POST", path, {"title": title})
    call("POST", "/webhooks", {"name": "all", "url": f"http://{receiver.target}/hook", "events": list(EVENT_TYPES)})
    call("POST", "/rules", SCRA)
    return call, call("POST", "/rules", SHADOW) if shadow else None


def _story(stack, calls: list) -> list[list[str]]:
    """The same servicing story on each tenant, step by step on both (so one wait covers both)."""
    customers, loans = [], []
    for call in calls:
        customer = call("POST", "/customers", {"firstName": "Sam", "lastName": "Shadow", "customerType": "individual"})
        owner = [{"customerId": customer["id"], "role": "primary"}]
        made = [call("POST", "/loans", {"setup": SETUP, "customers": owner})["id"] for _ in range(2)]
        for loan_id in made:
            call("POST", f"/loans/{loan_id}/activate")
        customers.append(customer["id"])
        loans.append(made)
    settled(stack)
    for call, customer_id in zip(calls, customers, strict=True):
        call("PUT", f"/customers/{customer_id}", {"status": "SCRA"})
    settled(stack)
    for call, made in zip(calls, loans, strict=True):
        call("POST", f"/loans/{made[0]}/payments", {"amount": "100.00"})
    settled(stack)  # the payment's real-time run before maintenance writes the loan (else it is superseded)
    runs = []
    for call in calls:
        call("PUT", "/tenant", {"businessDate": "2026-02-20"})
        runs.append(call("POST", "/maintenance/runs", {"businessDate": "2026-02-20"})["runId"])
    deadline = time.monotonic() + 60
    for call, run_id in zip(calls, runs, strict=True):
        while call("GET", f"/maintenance/runs/{run_id}")["state"] not in ("completed", "failed"):
            assert time.monotonic() < deadline, stack.output()
            time.sleep(0.2)
    settled(stack)
    return loans


def _state(call, loans) -> dict:
    return {
        "loans": [call("GET", f"/loans/{i}") for i in loans],
        "transactions": [call("GET", f"/loans/{i}/transactions") for i in loans],
        "customers": call("GET", "/customers"),
    }


def _scheduled(event: dict) -> bool:
    """A run the stack's scheduler made on its own (today's, for a tenant created before its business date was
    set), not the story's: whether it comes for one tenant and not the other is a matter of timing."""
    return event.get("type") == "maintenance.completed" and event["data"].get("businessDate") != "2026-02-20"


def _deliveries(receiver: Receiver) -> list:
    bodies = [_same({k: v for k, v in e.items() if k != "tenantId"}) for e in receiver.received if not _scheduled(e)]
    return sorted(bodies, key=lambda b: json.dumps(b, sort_keys=True))


def test_a_shadow_rule_fires_in_maintenance_and_real_time_and_changes_nothing(stack):
    plain_hooks, shadow_hooks = Receiver(), Receiver()
    try:
        for receiver in (plain_hooks, shadow_hooks):
            _allow(stack, receiver.target)
        plain, _ = _tenant(stack, "Plain Lender", False, plain_hooks)
        shadowed, rule = _tenant(stack, "Shadow Lender", True, shadow_hooks)
        plain_loans, shadow_loans = _story(stack, [plain, shadowed])
        deadline = time.monotonic() + 10  # the webhook sender delivers after the stream pumps settle
        while len(shadow_hooks.received) < len(plain_hooks.received) and time.monotonic() < deadline:
            time.sleep(0.2)

        assert _same(_state(shadowed, shadow_loans)) == _same(_state(plain, plain_loans))
        assert len(plain_hooks.received) > 10
        assert _deliveries(shadow_hooks) == _deliveries(plain_hooks)

        for loan_id in shadow_loans:
            log = shadowed("GET", f"/loans/{loan_id}/rule-applications?limit=100")["items"]
            mine = [e for e in log if e["ruleId"] == rule["id"]]
            assert {"loan-activated", "customer-changed", "daily"} <= {e["trigger"] for e in mine}, mine
            assert all(e["actionsApplied"] == [] and len(e["wouldApply"]) == 3 for e in mine), mine
    finally:
        plain_hooks.close()
        shadow_hooks.close()
