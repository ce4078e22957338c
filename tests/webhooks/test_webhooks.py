"""Webhooks end to end in-process: subscriptions, events from the streams, the signed delivery, retries,
the dead-letter queue, the delivery log and redelivery (docs/http.md#webhooks, issue 7)."""

from __future__ import annotations

import calendar
import json
import socket
import time
from collections import Counter

import pytest
from standardwebhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from tests.conftest import make_customer
from tests.webhooks.conftest import dead_letters

SETUP = {
    "loanAmount": "5000.00",
    "interestRate": "12",
    "termPeriods": 24,
    "paymentFrequency": "monthly",
    "contractDate": "2026-01-10",
    "firstPaymentDate": "2026-02-10",
}
EVERY_EVENT = [
    "loan.created",
    "loan.activated",
    "loan.updated",
    "loan.status-changed",
    "loan.portfolios-changed",
    "payment.posted",
    "payment.reversed",
    "charge.posted",
    "customer.created",
    "customer.updated",
    "customer.status-changed",
    "rule.applied",
    "maintenance.completed",
]


@pytest.fixture
def lender(api, monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_DELAYS", "0,0,0,0,0,0,0")  # the schedule itself is tested below
    assert api.put("/tenant", {"businessDate": "2026-01-10"}).status == 200
    return api


def _hook(api, url: str, **fields) -> dict:
    made = api.post("/webhooks", {"name": "Receiver", "url": url, **fields})
    assert made.status == 201, made
    return made.json


def _deliveries(api, hook_id: str) -> list[dict]:
    got = api.get(f"/webhooks/{hook_id}/deliveries", query={"limit": 500})
    assert got.status == 200, got
    return got.json["items"]


# ---------------------------------------------------------------- subscriptions


def test_a_subscription_shows_its_secret_once_and_never_a_credential(lender):
    api = lender
    made = _hook(
        api,
        "https://hooks.example.com/loans",
        method="PUT",
        events=["loan.created", "loan.created"],
        headers={"Authorization": "Bearer lk_their_key", "X-Team": "collections"},
        bodyTemplate="{\"dpd\": [[v('status-days-past-due')]]}",
        filter="(> status-payoff 0)",
    )
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    assert made["headers"] == {"Authorization": "********", "X-Team": "collections"}
    assert made["events"] == ["loan.created"] and made["version"] == 1
    shown = api.get(f"/webhooks/{made['id']}").json
    assert "secret" not in shown and shown["headers"]["Authorization"] == "********"
    assert [h["id"] for h in api.get("/webhooks").json["items"]] == [made["id"]]

    # Sending the mask back keeps the stored value; a new value replaces it.
    kept = api.put(f"/webhooks/{made['id']}", {"headers": {**shown["headers"], "X-Team": "risk"}, "version": 1})
    assert kept.status == 200 and kept.json["version"] == 2, kept
    from lms.webhooks import subscriptions

    stored = subscriptions.stored(api.tenant_id, made["id"])
    assert stored is not None
    assert stored["headers"] == {
        "Authorization": "Bearer lk_their_key",
        "X-Team": "risk",
    }
    stale = api.put(f"/webhooks/{made['id']}", {"active": False, "version": 1})
    assert stale.status == 409, stale
    assert api.delete(f"/webhooks/{made['id']}").status == 204
    assert api.get(f"/webhooks/{made['id']}").status == 404


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"url": "ftp://example.com/"}, "url"),
        ({"url": "https://10.0.0.5/hook"}, "url"),
        ({"url": "https://169.254.169.254/latest"}, "url"),
        ({"url": "https://user:pw@example.com/"}, "url"),
        ({"url": "http://example.com/hook"}, "url"),  # https only
        ({"url": "https://example.com/[[v('no-such-variable')]]"}, "url"),
        ({"bodyTemplate": '{"x": "[[v(\'nope\')]]"}'}, "bodyTemplate"),
        ({"headers": {"X-Id": "[[v('nope')]]"}}, "headers.X-Id"),
        ({"headers": {"Host": "evil.example"}}, "headers.Host"),
        ({"headers": {"webhook-signature": "v1,forged"}}, "headers.webhook-signature"),
        ({"headers": {"Authorization": "********"}}, "headers.Authorization"),
        ({"filter": "(> status-days-past-due"}, "filter"),
        ({"filter": '(eval "1")'}, "filter"),
        ({"events": ["loan.exploded"]}, "events"),
        ({"method": "TRACE"}, "method"),
    ],
)
def test_what_a_subscription_could_never_send_is_refused_with_the_field(lender, fields, field):
    made = lender.post("/webhooks", {"name": "Bad", "url": "https://example.com/hook", **fields})
    assert made.status == 422, made
    assert any(d.get("field", "").startswith(field) or field in json.dumps(d) for d in made.json["error"]["details"]), (
        made
    )


@pytest.mark.parametrize(
    "url, target",
    [
        ("https://10.0.0.5:8443/hook", "10.0.0.5:8443"),
        ("https://127.0.0.1:9000/in", "127.0.0.1:9000"),
        ("https://[::1]:9000/in", "[::1]:9000"),
    ],
)
def test_a_local_receiver_is_refused_with_how_to_allow_it_on_purpose(lender, url, target):
    made = lender.post("/webhooks", {"name": "Local", "url": url})
    message = made.json["error"]["message"]
    assert made.status == 422 and f"add {target} to WEBHOOK_ALLOWED_TARGETS" in message, made
    assert f"make webhook-target TARGET={target}" in message


def test_a_metadata_address_is_refused_without_a_way_round_it(lender):
    made = lender.post("/webhooks", {"name": "Metadata", "url": "https://169.254.169.254/latest"})
    assert made.status == 422 and "WEBHOOK_ALLOWED_TARGETS" not in made.json["error"]["message"], made


def test_another_tenants_webhook_is_unknown(lender):
    from tests.conftest import new_tenant

    made = _hook(lender, "https://example.com/hook")
    other = new_tenant("Other")
    for method, path in (("GET", ""), ("PUT", ""), ("DELETE", ""), ("GET", "/deliveries")):
        assert other.request(method, f"/webhooks/{made['id']}{path}", {} if method == "PUT" else None).status == 404
    assert other.get("/webhooks").json["items"] == []


# ---------------------------------------------------------------- events, signatures


def test_every_event_type_reaches_a_subscriber_once_signed_by_standard_webhooks(lender, receiver, deliver, queue_pump):
    api = lender
    listening = receiver()
    hook = _hook(api, listening.url + "/events", events=EVERY_EVENT)
    assert api.post("/portfolios", {"title": "Watch"}).status == 201
    customer = make_customer(api)
    loan = api.post("/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]}).json
    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    assert (
        api.post(
            "/rules",
            {
                "name": "Watch",
                "criteria": "(> status-payoff 0)",
                "evalDaily": False,
                "actions": [{"type": "loan-settings", "addPortfolios": ["Watch"]}],
            },
        ).status
        == 201
    )
    assert api.put(f"/loans/{loan['id']}", {"customFields": {"Touched": "yes"}}).status == 200
    payment = api.post(f"/loans/{loan['id']}/payments", {"amount": "100.00"}).json
    assert api.post(f"/loans/{loan['id']}/payments/{payment['id']}/reverse").status in (200, 201)
    assert api.post(f"/loans/{loan['id']}/charges", {"amount": "15.00", "title": "Late fee"}).status == 201
    assert api.put(f"/customers/{customer['id']}", {"status": "Lead"}).status == 200
    assert api.put(f"/loans/{loan['id']}", {"loanStatus": "Open", "loanSubStatus": "Past Due"}).status == 200
    assert api.post("/maintenance/runs", {}).status == 202
    deliver()
    deliver()  # everything again: nothing new may arrive

    events = [r.json() for r in listening.requests]
    kinds = Counter(e["type"] for e in events)
    assert set(kinds) == set(EVERY_EVENT), kinds
    assert len({e["id"] for e in events}) == len(events), "an event arrived twice"
    verifier = Verifier(hook["secret"])
    for request in listening.requests:
        assert request.path == "/events" and request.method == "POST"
        assert request.headers["webhook-id"].startswith("msg_")
        assert verifier.verify(request.body, request.headers)["id"] == request.json()["id"]
    activated = next(e for e in events if e["type"] == "loan.activated")
    assert activated["tenantId"] == api.tenant_id and activated["data"]["id"] == loan["id"]
    assert set(activated) == {"id", "type", "timestamp", "tenantId", "data"}
    status = next(e for e in events if e["type"] == "customer.status-changed")
    assert (status["data"]["status"], status["data"]["previousStatus"]) == ("Lead", "Active")
    assert all(d["status"] == "succeeded" and d["responseCode"] == 204 for d in _deliveries(api, hook["id"]))

    # Any byte of the body changed: the signature no longer verifies.
    request = listening.requests[0]
    for position in range(len(request.body)):
        changed = bytearray(request.body)
        changed[position] = (changed[position] + 1) % 128 or 1
        with pytest.raises(WebhookVerificationError):
            Verifier(hook["secret"]).verify(bytes(changed), request.headers)


def test_a_filter_in_the_rule_language_chooses_the_loans(lender, receiver, deliver):
    api = lender
    listening = receiver()
    _hook(api, listening.url, events=["loan.created"], filter="(> setup-loan-amount 10000)")
    customer = make_customer(api)
    small = api.post("/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]}).json
    large = api.post(
        "/loans",
        {
            "setup": {**SETUP, "loanAmount": "25000.00"},
            "customers": [{"customerId": customer["id"], "role": "primary"}],
        },
    ).json
    deliver()
    assert [r.json()["data"]["id"] for r in listening.requests] == [large["id"]]
    assert small["id"] != large["id"]


def test_a_stream_record_handled_twice_queues_one_message(lender, receiver, pump, queue_pump):
    from functions.events.app import lambda_handler as real
    from local.queues import drain_all

    pump._handlers["EventsFunction"] = lambda event, context: (real(event, context), real(event, context))[1]
    listening = receiver()
    _hook(lender, listening.url, events=["customer.created"])
    make_customer(lender)
    drain_all(queue_pump, pump)
    assert len(listening.requests) == 1


# ---------------------------------------------------------------- retries, dead letters, redelivery


def test_a_receiver_failing_half_its_requests_gets_every_message_with_one_id_per_event(lender, receiver, deliver):
    api = lender
    calls: Counter[str] = Counter()

    def flaky(request):
        calls["n"] += 1
        return (500, {}) if calls["n"] % 2 else (200, {})

    listening = receiver(flaky)
    hook = _hook(api, listening.url, events=["customer.created"])
    for i in range(8):
        make_customer(api, firstName=f"Flaky{i}")
    deliver()

    by_event: dict[str, set[str]] = {}
    for request in listening.requests:
        by_event.setdefault(request.json()["id"], set()).add(request.headers["webhook-id"])
    assert len(by_event) == 8 and all(len(ids) == 1 for ids in by_event.values()), by_event
    log = _deliveries(api, hook["id"])
    assert Counter(d["status"] for d in log) == Counter({"succeeded": 8, "retrying": 8}), log
    assert {d["responseCode"] for d in log} == {200, 500}
    assert dead_letters() == []


def test_a_receiver_down_for_good_ends_in_the_dead_letter_queue_and_the_log_shows_each_attempt(
    lender, receiver, deliver
):
    api = lender
    up = {"now": False}
    listening = receiver(lambda r: (200, {}) if up["now"] else (503, {}))
    hook = _hook(api, listening.url, events=["customer.created"])
    make_customer(api)
    deliver()

    assert len(listening.requests) == 8 and len({r.headers["webhook-id"] for r in listening.requests}) == 1
    log = _deliveries(api, hook["id"])
    assert [d["attempt"] for d in log] == [8, 7, 6, 5, 4, 3, 2, 1]
    assert [d["status"] for d in log] == ["failed"] + ["retrying"] * 7
    assert all(d["responseCode"] == 503 and d["error"] == "HTTP 503" for d in log)
    [dead] = dead_letters()
    message_id = listening.requests[0].headers["webhook-id"]
    assert (dead["messageId"], dead["webhookId"], dead["error"]) == (message_id, hook["id"], "HTTP 503")

    up["now"] = True  # the receiver is back: redelivery on request, same webhook-id
    again = api.post(f"/webhooks/{hook['id']}/deliveries/{message_id}/redeliver")
    assert again.status == 202 and again.json == {"messageId": message_id}
    deliver()
    assert len(listening.requests) == 9 and listening.requests[-1].headers["webhook-id"] == message_id
    assert _deliveries(api, hook["id"])[0]["status"] == "succeeded"
    for unknown in ("msg_01ARZ3NDEKTSV4RRFFQ69G5FAV", "nope"):
        assert api.post(f"/webhooks/{hook['id']}/deliveries/{unknown}/redeliver").status == 404


def test_a_redirect_is_not_followed_and_a_private_address_is_refused_at_send_time(
    lender, receiver, deliver, monkeypatch
):
    api = lender
    private = receiver()
    redirecting = receiver(lambda r: (302, {"Location": f"http://127.0.0.1:{private.port}/inside"}))
    # Only the redirecting receiver is an allowed local target: the other stands for a private service.
    monkeypatch.setenv("WEBHOOK_ALLOWED_TARGETS", f"127.0.0.1:{redirecting.port}")
    first = _hook(api, redirecting.url, events=["customer.created"])
    # A name that resolved to a public address when saved, and to a private one at send time.
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "hooks.lender.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    second = _hook(api, "https://hooks.lender.example/in", events=["customer.created"])
    make_customer(api)
    deliver()

    assert private.requests == []
    assert len(redirecting.requests) == 8
    assert {d["error"] for d in _deliveries(api, first["id"])} == {"HTTP 302: redirect not followed"}
    [refused] = _deliveries(api, second["id"])  # refused is final: no retries against a private address
    assert refused["status"] == "failed" and refused["responseCode"] is None and "10.0.0.5" in refused["error"]


def test_retries_follow_the_schedule_and_waits_beyond_15_minutes_are_re_queued(lender, receiver, monkeypatch):
    from lms.webhooks import sender
    from lms.webhooks.sender import AttemptOutcome, next_delay

    monkeypatch.delenv("WEBHOOK_RETRY_DELAYS")
    failed = AttemptOutcome(500, "HTTP 500")
    assert [next_delay(n, failed) for n in range(1, 9)] == [5, 300, 1800, 7200, 18000, 36000, 36000, None]
    assert next_delay(1, AttemptOutcome(200, None)) is None
    assert next_delay(3, AttemptOutcome(429, "HTTP 429", wait=90)) == 90
    assert next_delay(3, AttemptOutcome(503, "HTTP 503", wait=999999)) == 36000
    assert next_delay(3, AttemptOutcome(500, "HTTP 500", wait=90)) == 1800  # Retry-After only for 429 and 503
    assert next_delay(1, AttemptOutcome(None, "refused: loopback", final=True)) is None
    assert sender.retry_after({"retry-after": "120"}, 0) == 120
    assert (
        sender.retry_after(
            {"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}, calendar.timegm((2026, 10, 21, 7, 27, 0, 0, 0, 0))
        )
        == 60
    )
    assert sender.retry_after({"retry-after": "soon"}, 0) is None

    # A message whose next attempt is two hours away waits in the queue (15 minutes at a time), unsent.
    listening = receiver()
    hook = _hook(lender, listening.url, events=["customer.created"])
    from lms.store import webhooks as store

    store.put_message(
        lender.tenant_id,
        hook["id"],
        "msg_01ARZ3NDEKTSV4RRFFQ69G5FAV",
        {"event": "customer.created", "eventId": "evt_x", "payload": {"id": "evt_x"}, "variables": {}},
    )
    body = {
        "tenantId": lender.tenant_id,
        "webhookId": hook["id"],
        "messageId": "msg_01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "round": 1,
        "attempt": 3,
        "notBefore": time.time() + 7200,
    }
    assert sender.deliver(body) == "waiting"
    assert listening.requests == [] and _deliveries(lender, hook["id"]) == []
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName="WebhookQueue")["QueueUrl"]
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None  # delayed
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"


def test_a_deleted_webhook_drops_its_queued_messages(lender, receiver, pump, queue_pump):
    listening = receiver()
    hook = _hook(lender, listening.url, events=["customer.created"])
    make_customer(lender)
    pump.drain()  # queued, not sent
    assert lender.delete(f"/webhooks/{hook['id']}").status == 204
    queue_pump.drain()
    assert listening.requests == [] and dead_letters() == []


# ---------------------------------------------------------------- notify


def test_notify_sends_the_rendered_request_through_its_webhook(lender, receiver, deliver):
    api = lender
    listening = receiver()
    hook = _hook(
        api,
        listening.url + "/customers/[[v('customer.primary.id')]]?dpd=[[v('status-days-past-due')]]",
        method="PUT",
        headers={"X-Loan": "[[v('loan-status')]]", "Authorization": "Bearer secret-key"},
        bodyTemplate='{"status": "Delinquent", "who": "[[v(\'customer.primary\')]]"}',
    )
    customer = make_customer(api, firstName='Quote"Me')
    loan = api.post("/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]}).json
    rule = api.post(
        "/rules",
        {
            "name": "Tell",
            "criteria": '(= loan-status "Open")',
            "evalDaily": False,
            "actions": [{"type": "notify", "webhookId": hook["id"]}],
        },
    ).json
    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    deliver()

    [request] = listening.requests
    assert (request.method, request.path) == ("PUT", f"/customers/{customer['id']}?dpd=0")
    assert request.headers["x-loan"] == "Open" and request.headers["authorization"] == "Bearer secret-key"
    sent = request.json()  # a value with quotes stays inside its JSON string
    assert sent["status"] == "Delinquent" and json.loads(sent["who"])["first-name"] == 'Quote"Me'
    Verifier(hook["secret"]).verify(request.body, request.headers)
    [entry] = api.get(f"/loans/{loan['id']}/rule-applications").json["items"]
    assert entry["ruleId"] == rule["id"] and entry["actionsApplied"][0]["webhookId"] == hook["id"]


def test_each_attempt_is_counted_for_the_failure_rate_alarm(lender, receiver, deliver, monkeypatch):
    """WebhookAttempts and WebhookAttemptsFailed (lms.measures) feed template.yaml's WebhookFailureRateAlarm."""
    from lms import measures

    counted: list[tuple[str, int]] = []
    monkeypatch.setattr(measures, "count", lambda name, value=1: counted.append((name, value)))
    good, bad = receiver(), receiver(answer=lambda request: (500, {}))
    _hook(lender, good.url, events=["customer.created"])
    _hook(lender, bad.url, events=["customer.created"])
    make_customer(lender)
    deliver()
    attempts = sum(v for n, v in counted if n == "WebhookAttempts")
    failed = sum(v for n, v in counted if n == "WebhookAttemptsFailed")
    assert len(good.requests) == 1 and len(bad.requests) == attempts - 1
    assert failed == attempts - 1 and failed >= 2  # every attempt at the failing receiver, retried
