"""Hostile webhook headers and failures of every kind in the sender (issue 14): refused when saved, and
a message the sender cannot send (a record saved before the checks, an unforeseen error, a DNS
failure) is always an attempt in the delivery log with its reason, never an exception."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import make_customer
from tests.webhooks.conftest import dead_letters

SECRET_VALUE = "s3cr3t-credential-value"


@pytest.fixture
def lender(api, monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_DELAYS", "0,0,0,0,0,0,0")
    assert api.put("/tenant", {"businessDate": "2026-01-10"}).status == 200
    return api


@pytest.fixture
def sender_calls(queue_pump, monkeypatch):
    """Every exception that leaves sender.deliver or the sender's handler, and every batch item failure."""
    from functions.webhook_sender.app import lambda_handler
    from lms.webhooks import sender

    seen: dict[str, list] = {"raised": [], "failures": []}
    real_deliver = sender.deliver

    def deliver(body):
        try:
            return real_deliver(body)
        except Exception as error:
            seen["raised"].append(error)
            raise

    def handler(event, context):
        try:
            answer = lambda_handler(event, context)
        except Exception as error:
            seen["raised"].append(error)
            raise
        seen["failures"] += answer["batchItemFailures"]
        return answer

    monkeypatch.setattr(sender, "deliver", deliver)
    queue_pump.set_handler("WebhookSenderFunction", handler)
    return seen


def _deliveries(api, hook_id: str) -> list[dict]:
    got = api.get(f"/webhooks/{hook_id}/deliveries", query={"limit": 500})
    assert got.status == 200, got
    return got.json["items"]


def _refusal(reply, name: str) -> dict:
    assert reply.status == 422, reply
    details = reply.json["error"]["details"]
    assert [d["field"] for d in details] == [f"headers.{name}"], details
    return reply.json["error"]


# ---------------------------------------------------------------- refused when saved

BAD_VALUES = [
    ("\u2603", "U+2603"),  # not Latin-1: every delivery used to crash
    ("a\u2028b", "U+2028"),
    ("a\x01b", "U+0001"),
    ("a\x7fb", "U+007F"),
    ("a\x0bb", "U+000B"),
    ("caf\u00e9", "U+00E9"),  # Latin-1, but not visible ASCII: refused as written (a variable may still insert it)
    (" padded", None),
    ("padded\t", None),
]
RESERVED_NAMES = [
    "Webhook-Version",
    "webhook-id",
    "WEBHOOK-SIGNATURE",
    "Keep-Alive",
    "Connection",
    "TE",
    "Trailer",
    "Upgrade",
    "Proxy-Connection",
    "Proxy-Authorization",
    "Proxy-Authenticate",
    "Transfer-Encoding",
    "Host",
    "Content-Length",
]


@pytest.mark.parametrize("value, character", BAD_VALUES)
def test_a_header_value_a_header_cannot_carry_is_refused_when_created(lender, value, character):
    made = lender.post("/webhooks", {"name": "Bad", "url": "https://example.com/hook", "headers": {"X-Note": value}})
    error = _refusal(made, "X-Note")
    assert "X-Note" in error["message"]
    if character:
        assert character in error["message"], error
    else:
        assert "space or tab" in error["message"], error
    assert lender.get("/webhooks").json["items"] == []


@pytest.mark.parametrize("name", RESERVED_NAMES)
def test_the_senders_own_and_hop_by_hop_headers_are_refused(lender, name):
    made = lender.post("/webhooks", {"name": "Bad", "url": "https://example.com/hook", "headers": {name: "x"}})
    error = _refusal(made, name)
    assert name in error["message"], error


@pytest.mark.parametrize(
    "headers, name",
    [
        ({"X-Note": "\u2603"}, "X-Note"),
        ({"X-Ok": "1", "Keep-Alive": "5"}, "Keep-Alive"),
        ({"Webhook-Version": "1"}, "Webhook-Version"),
        ({"X-Ctl": "a\x7f"}, "X-Ctl"),
    ],
)
def test_an_update_is_checked_like_a_creation_and_changes_nothing(lender, headers, name):
    made = lender.post("/webhooks", {"name": "Good", "url": "https://example.com/hook", "headers": {"X-Ok": "1"}})
    assert made.status == 201, made
    _refusal(lender.put(f"/webhooks/{made.json['id']}", {"headers": headers}), name)
    shown = lender.get(f"/webhooks/{made.json['id']}").json
    assert shown["headers"] == {"X-Ok": "1"} and shown["version"] == 1


@pytest.mark.parametrize("name", ["X Note", "X-Note:", "X-\u00e9", ""])
def test_a_header_name_that_is_not_a_token_is_refused(lender, name):
    made = lender.post("/webhooks", {"name": "Bad", "url": "https://example.com/hook", "headers": {name: "x"}})
    assert made.status == 422, made
    assert all(d["field"].startswith("headers") for d in made.json["error"]["details"]), made


def test_valid_headers_are_kept_credentials_masked(lender):
    headers = {
        "X-Note": "plain text\twith a tab, [[v('loan-status')]] and !#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
        "Content-Type": "text/plain",
        "Authorization": "Bearer lk_key",
        "X-Empty": "",
        "x-weird!#$%&'*+.^_`|~": "ok",
    }
    made = lender.post("/webhooks", {"name": "Good", "url": "https://example.com/hook", "headers": headers})
    assert made.status == 201, made
    assert made.json["headers"] == {**headers, "Authorization": "********"}
    kept = lender.put(f"/webhooks/{made.json['id']}", {"headers": {**made.json["headers"], "X-Note": "changed"}})
    assert kept.status == 200, kept
    from lms.webhooks import subscriptions

    stored = subscriptions.stored(lender.tenant_id, made.json["id"])
    assert stored is not None
    assert stored["headers"]["Authorization"] == "Bearer lk_key" and stored["headers"]["X-Note"] == "changed"


# ---------------------------------------------------------------- a stored header saved before the checks


def _store_headers(api, hook_id: str, headers: dict[str, str]) -> None:
    """Writes headers into the stored subscription, past every check (a record saved before them)."""
    from lms.store import webhooks as store

    found = store.get(api.tenant_id, hook_id)
    assert found is not None
    body, version = found
    store.save(api.tenant_id, {**body, "headers": headers}, version)


@pytest.mark.parametrize(
    "headers, name",
    [
        ({"X-Note": "\u2603"}, "X-Note"),
        ({"X-Ok": "1", "Authorization": "Bearer a\u2028b"}, "Authorization"),
        ({"X-Ctl": "a\x01b"}, "X-Ctl"),
        ({"Keep-Alive": "timeout=5"}, "Keep-Alive"),
        ({"Webhook-Version": "1"}, "Webhook-Version"),
        ({"X Bad Name": "1"}, "X Bad Name"),
    ],
)
def test_a_stored_header_that_cannot_be_sent_fails_the_message_at_once_with_the_reason(
    lender, receiver, deliver, sender_calls, headers, name
):
    listening = receiver()
    hook = lender.post("/webhooks", {"name": "Old", "url": listening.url + "/in", "events": ["customer.created"]}).json
    _store_headers(lender, hook["id"], headers)
    make_customer(lender)
    deliver()

    assert listening.requests == []
    [attempt] = _deliveries(lender, hook["id"])  # final at once: no retries
    assert attempt["status"] == "failed" and attempt["responseCode"] is None, attempt
    assert attempt["error"] and (name in attempt["error"] or repr(name) in attempt["error"]), attempt
    assert "\u2603" not in attempt["error"] and "timeout=5" not in attempt["error"]
    [dead] = dead_letters()
    assert dead["messageId"] == attempt["messageId"] and dead["error"] == attempt["error"]
    assert sender_calls == {"raised": [], "failures": []}


def test_a_stored_bad_header_can_be_deactivated_and_is_refused_when_sent_back(lender):
    made = lender.post("/webhooks", {"name": "Old", "url": "https://example.com/hook"}).json
    _store_headers(lender, made["id"], {"Authorization": "Bearer \u2603", "Keep-Alive": "5"})
    assert lender.put(f"/webhooks/{made['id']}", {"active": False}).status == 200
    # "********" keeps the stored value, which is checked like a new one
    _refusal(lender.put(f"/webhooks/{made['id']}", {"headers": {"Authorization": "********"}}), "Authorization")
    fixed = lender.put(f"/webhooks/{made['id']}", {"headers": {"Authorization": "Bearer ok"}})
    assert fixed.status == 200 and fixed.json["headers"] == {"Authorization": "********"}, fixed


def test_a_variable_a_header_cannot_carry_fails_the_message_but_latin_1_is_sent():
    from lms.store.webhooks import Message
    from lms.webhooks import sender

    hook = {
        "url": "https://example.com/",
        "headers": {"X-Who": "[[v('customer.primary.first-name')]]"},
        "secret": "whsec_" + "A" * 44,
    }

    def message(value):
        return Message(
            webhook_id="whk_x",
            message_id="msg_01ARZ3NDEKTSV4RRFFQ69G5FAV",
            round=1,
            state="pending",
            body={"payload": {}, "variables": {"customer.primary.first-name": value}},
        )

    assert sender.build(hook, message("Jos\u00e9 "))[2]["X-Who"] == "Jos\u00e9"
    for value in ("\u2603", "a\x01b", "a\x85b"):
        with pytest.raises(sender.Unsendable, match="X-Who"):
            sender.build(hook, message(value))
        outcome = sender.attempt(hook, message(value))
        assert outcome.final and outcome.status is None and outcome.error is not None and "X-Who" in outcome.error


# ---------------------------------------------------------------- failures of an unforeseen kind


def test_an_unexpected_failure_in_an_attempt_is_recorded_and_retried_and_never_logs_its_message(
    lender, receiver, deliver, sender_calls, monkeypatch, capfd, caplog
):
    from lms.webhooks import client

    listening = receiver()
    hook = lender.post(
        "/webhooks",
        {
            "name": "Boom",
            "url": listening.url,
            "events": ["customer.created"],
            "headers": {"Authorization": f"Bearer {SECRET_VALUE}"},
        },
    ).json
    calls = []

    def broken(*args, **kwargs):  # as http.client does: its message quotes the header value
        calls.append(1)
        if len(calls) <= 2:
            raise ValueError(f"Invalid header value b'Bearer {SECRET_VALUE}'")
        return real(*args, **kwargs)

    real = client._urlopen
    monkeypatch.setattr(client, "_urlopen", broken)
    make_customer(lender)
    deliver()

    log = _deliveries(lender, hook["id"])
    assert [(d["attempt"], d["status"]) for d in log] == [(3, "succeeded"), (2, "retrying"), (1, "retrying")], log
    assert [d["error"] for d in log[1:]] == ["unexpected error (ValueError)"] * 2
    assert len(listening.requests) == 1
    assert sender_calls == {"raised": [], "failures": []}
    unexpected = [r for r in caplog.records if r.getMessage() == "webhook attempt failed unexpectedly"]
    assert len(unexpected) == 2 and all(r.error_type == "ValueError" and r.where for r in unexpected), unexpected
    captured = capfd.readouterr()
    assert not any(SECRET_VALUE in str(vars(r)) for r in caplog.records)
    assert SECRET_VALUE not in captured.out + captured.err
    assert not any(SECRET_VALUE in str(d) for d in log)


def test_a_failure_while_rendering_fails_at_once(lender, receiver, deliver, sender_calls, monkeypatch):
    from lms.webhooks import templates

    listening = receiver()
    hook = lender.post("/webhooks", {"name": "Render", "url": listening.url, "events": ["customer.created"]}).json

    def render(*args, **kwargs):
        raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(templates, "render", render)
    make_customer(lender)
    deliver()
    [attempt] = _deliveries(lender, hook["id"])
    assert attempt["status"] == "failed" and attempt["error"] == "cannot build the request (UnicodeEncodeError)"
    assert listening.requests == [] and sender_calls == {"raised": [], "failures": []}


def test_an_unexpected_failure_every_time_ends_failed_after_the_last_attempt(
    lender, receiver, deliver, sender_calls, monkeypatch
):
    from lms.webhooks import sender

    listening = receiver()
    hook = lender.post("/webhooks", {"name": "Sign", "url": listening.url, "events": ["customer.created"]}).json
    monkeypatch.setattr(sender, "sign", lambda *args: (_ for _ in ()).throw(RuntimeError("boom")))
    make_customer(lender)
    deliver()
    log = _deliveries(lender, hook["id"])
    assert [d["status"] for d in log] == ["failed"] + ["retrying"] * 7
    assert {d["error"] for d in log} == {"unexpected error (RuntimeError)"}
    assert listening.requests == [] and len(dead_letters()) == 1
    assert sender_calls == {"raised": [], "failures": []}


# ---------------------------------------------------------------- DNS


@pytest.mark.parametrize("code", ["EAI_AGAIN", "EAI_FAIL"])
def test_a_temporary_dns_failure_is_retried_on_the_schedule(lender, receiver, deliver, sender_calls, monkeypatch, code):
    listening = receiver()
    monkeypatch.setenv("WEBHOOK_HTTPS_ONLY", "false")  # the receiver speaks plain http
    real = socket.getaddrinfo
    failures = {"left": 2}

    def resolve(host, *args, **kwargs):
        if host == "hooks.flaky.example":
            if failures["left"]:
                failures["left"] -= 1
                raise socket.gaierror(getattr(socket, code), "Temporary failure in name resolution")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", listening.port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    hook = lender.post(
        "/webhooks",
        {"name": "Flaky DNS", "url": f"http://hooks.flaky.example:{listening.port}/in", "events": ["customer.created"]},
    )
    assert hook.status == 201, hook
    make_customer(lender)
    deliver()

    log = _deliveries(lender, hook.json["id"])
    assert [(d["attempt"], d["status"]) for d in log] == [(3, "succeeded"), (2, "retrying"), (1, "retrying")], log
    assert all("cannot resolve hooks.flaky.example" in d["error"] for d in log[1:])
    assert len(listening.requests) == 1 and dead_letters() == []
    assert sender_calls == {"raised": [], "failures": []}


def test_a_temporary_dns_failure_re_queues_the_message(lender, monkeypatch):
    import boto3

    from lms.store import webhooks as store
    from lms.webhooks import sender

    def resolve(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setenv("WEBHOOK_RETRY_DELAYS", "5,300")
    hook = lender.post("/webhooks", {"name": "DNS", "url": "https://hooks.down.example/in"}).json
    message_id = "msg_01ARZ3NDEKTSV4RRFFQ69G5FAV"
    store.put_message(
        lender.tenant_id,
        hook["id"],
        message_id,
        {"event": "customer.created", "eventId": "evt_x", "payload": {"id": "evt_x"}, "variables": {}},
    )
    body = {"tenantId": lender.tenant_id, "webhookId": hook["id"], "messageId": message_id, "round": 1, "attempt": 1}
    assert sender.deliver(body) == "retrying"
    [attempt] = _deliveries(lender, hook["id"])
    assert attempt["status"] == "retrying" and "cannot resolve hooks.down.example" in attempt["error"]
    kept = store.message(lender.tenant_id, hook["id"], message_id)
    assert kept is not None and kept.state == "pending"
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName="WebhookQueue")["QueueUrl"]
    delayed = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert delayed["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"
    assert dead_letters() == []


@pytest.mark.parametrize("code", ["EAI_NONAME", "EAI_NODATA"])
def test_a_name_that_does_not_exist_fails_at_once(lender, receiver, deliver, sender_calls, monkeypatch, code):
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "hooks.gone.example":
            raise socket.gaierror(getattr(socket, code), "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    hook = lender.post(
        "/webhooks", {"name": "Gone", "url": "https://hooks.gone.example/in", "events": ["customer.created"]}
    ).json
    make_customer(lender)
    deliver()
    [attempt] = _deliveries(lender, hook["id"])
    assert attempt["status"] == "failed" and "cannot resolve hooks.gone.example" in attempt["error"], attempt
    assert len(dead_letters()) == 1 and sender_calls == {"raised": [], "failures": []}


@pytest.mark.parametrize(
    "error, temporary",
    [
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"), True),
        (socket.gaierror(socket.EAI_FAIL, "Non-recoverable failure in name resolution"), True),
        (TimeoutError("timed out"), True),
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), False),
        (socket.gaierror(socket.EAI_NODATA, "No address associated with hostname"), False),
        (UnicodeError("label too long"), False),
    ],
)
def test_the_guard_says_whether_a_resolver_failure_is_temporary(error, temporary):
    from lms.webhooks import guard

    def resolve(host, port):
        raise error

    with pytest.raises(guard.Unresolved, match="cannot resolve hooks.example.com") as unresolved:
        guard.vet("https://hooks.example.com/", resolve=resolve, allowed=frozenset(), https_only=True)
    assert unresolved.value.temporary is temporary
    assert isinstance(unresolved.value, guard.Refused)  # still a refusal to every caller that knew only that
    with pytest.raises(guard.Unresolved) as empty:
        guard.vet("https://hooks.example.com/", resolve=lambda host, port: [], allowed=frozenset())
    assert empty.value.temporary is False
