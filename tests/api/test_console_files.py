"""The web console's files, served by the API function at /console (docs/console.md): public (the page asks
for the key), only the files of functions/api/console, with a strict Content-Security-Policy, and a 304 for a
file the browser has."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


def _call(method: str, path: str, headers: dict | None = None, body: str | None = None) -> SimpleNamespace:
    """The API function's raw answer (its body is not JSON here)."""
    from functions.api.app import lambda_handler
    from local.apigw import LambdaContext, proxy_event

    raw = lambda_handler(proxy_event(method, path, {}, headers or {}, body), LambdaContext())
    found = {k.lower(): ", ".join(v) for k, v in (raw.get("multiValueHeaders") or {}).items()}
    found.update({k.lower(): v for k, v in (raw.get("headers") or {}).items()})
    return SimpleNamespace(status=raw["statusCode"], headers=found, text=raw.get("body") or "")


def test_the_page_needs_no_key_and_allows_nothing_foreign(aws):
    page = _call("GET", "/console")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    # Relative: deployed, the page is at /<stage>/console, and its files at /<stage>/console/...
    assert '<script type="module" src="console/console.js">' in page.text and 'src="/' not in page.text
    assert 'href="/' not in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "media_type"),
    [("console.js", "text/javascript"), ("console.css", "text/css"), ("icon.svg", "image/svg+xml")],
)
def test_each_file_with_its_type(aws, name, media_type):
    answer = _call("GET", f"/console/{name}")
    assert answer.status == 200 and answer.headers["content-type"].startswith(media_type)
    again = _call("GET", f"/console/{name}", {"If-None-Match": answer.headers["etag"]})
    assert again.status == 304 and again.text == ""


@pytest.mark.parametrize(
    "path", ["/console/nothing.js", "/console/..%2Fapp.py", "/console/app.py", "/console/index.html.bak"]
)
def test_nothing_else_is_served(aws, path):
    from tests.conftest import Api

    answer = Api().get(path, key=None)
    assert answer.status == 404 and answer.json["error"]["code"] == "not_found"


def test_the_console_is_read_only(aws):
    from tests.conftest import Api

    answer = Api().post("/console", {"x": 1}, key=None)
    assert answer.status == 405 and "GET" in answer.headers["allow"]


def test_the_console_does_not_open_the_api(aws):
    """Only /console itself is public: a path that merely starts with the word is not."""
    from tests.conftest import Api

    assert Api().get("/consoles", key=None).status in (401, 404)
    assert Api().get("/console-x/tenant", key=None).status in (401, 404)
