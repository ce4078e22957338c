"""Methods: every method reaches the API, which answers the ones a path does not serve with 405 and Allow
(in the error shape), OPTIONS with the methods, HEAD as GET; and the OpenAPI document lists every status
the handler can answer before routing (413 everywhere, 415 where a body is taken, 500)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Api


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT", "get", "BREW"])
def test_a_method_no_route_is_declared_with_is_405_before_the_key_is_asked(api, method):
    reply = Api().request(method, "/loans", key=None)
    assert reply.status == 405, reply
    assert reply.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert (
        set(reply.json["error"]) == {"code", "message", "details"}
        and reply.json["error"]["code"] == "method_not_allowed"
    )


def test_a_known_method_the_path_does_not_serve_is_405_for_a_caller_with_a_key(api):
    reply = api.request("DELETE", "/tenant")
    assert (reply.status, reply.headers["allow"]) == (405, "GET, HEAD, OPTIONS, PUT")
    assert Api().request("DELETE", "/tenant", key=None).status == 401, "without a key: 401, as before"


def test_options_lists_the_methods_of_a_path_and_an_unknown_path_is_404(api):
    reply = Api().request("OPTIONS", "/rules/rule_x/force", key=None)
    assert (reply.status, reply.headers["allow"]) == (204, "OPTIONS, POST")
    assert Api().request("OPTIONS", "/nothing/here", key=None).status == 404


def test_head_answers_as_get(api):
    get, head = api.get("/tenant"), api.request("HEAD", "/tenant")
    assert (head.status, head.headers.get("etag")) == (get.status, get.headers.get("etag"))


def test_the_openapi_document_lists_every_status_the_gate_can_answer(api):
    document = Api().get("/openapi.json", key=None).json
    operations = [(path, method, op) for path, ops in document["paths"].items() for method, op in ops.items()]
    assert operations
    for path, method, operation in operations:
        statuses = set(operation["responses"])
        assert {"400", "401", "404", "413", "422", "500"} <= statuses, (method, path, statuses)
        if "requestBody" in operation:
            assert "415" in statuses, (method, path)
    assert any("requestBody" in op for _, _, op in operations)
    json.dumps(document)
