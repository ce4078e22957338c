"""HTTP glue shared by the API function: the router, the gate in front of it (body size, API
keys) and the one mapping from errors to HTTP answers in the contract's shape."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType, RequestValidationError
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ValidationError

from . import contract, idempotency, logs, tenancy, tracing
from .config import config
from .errors import BadRequest, DomainError, Invalid, MethodNotAllowed, NotFound, PayloadTooLarge, UnsupportedMediaType
from .values import JsonNumber

logger = Logger()
metrics = Metrics()

JSON = "application/json"
PUBLIC_PATHS = {"/openapi.json"}
CONSOLE = "/console"  # the web console's page and files: public (it asks for the key in the browser)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path == CONSOLE or path.startswith(CONSOLE + "/")


_SEND_JSON = "send a JSON object with Content-Type: application/json"
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def _integer(text: str) -> int | Decimal:
    # Python refuses to build ints of more than 4,300 digits; such a number is valid JSON that no
    # field accepts, so it reaches validation as a Decimal and is refused there (422, not 500).
    return int(text) if len(text) <= 40 else Decimal(text)


def parse_json(text: str) -> Any:
    """Numbers with a fraction become Decimal (never float); NaN/Infinity and absurd nesting are refused."""
    try:
        return json.loads(text, parse_float=JsonNumber, parse_int=_integer, parse_constant=_refuse_constant)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", "", 0) from None


app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=parse_json)


def tenant_id() -> str:
    return app.context["tenant_id"]


def if_match() -> int | None:
    """The If-Match header as a version number (ETag quotes and W/ accepted)."""
    value = app.current_event.headers.get("if-match")
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 12:
        raise BadRequest("If-Match carries the entity's version, e.g. If-Match: 3")
    return int(text)


def reply(value: Any, status: int = 200, raw: bool = False) -> Response:
    """A JSON answer from a model, plain data, or (raw) text that is JSON already."""
    if raw:
        return Response(status_code=status, content_type=JSON, body=value)
    if value is None:
        return Response(status_code=status, content_type=JSON, body="")
    if isinstance(value, BaseModel):
        body = value.model_dump_json(by_alias=True)
        version = getattr(value, "version", None)
        headers = {"ETag": f'"{version}"'} if version is not None else None
        return Response(status_code=status, content_type=JSON, body=body, headers=headers)
    return Response(status_code=status, content_type=JSON, body=json.dumps(value, separators=(",", ":"), default=str))


_STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# The console's page may run its own scripts and styles, call this API, and nothing else: an API key kept in
# the browser session is never within reach of a script from elsewhere.
_STATIC_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@functools.lru_cache(maxsize=8)
def _static_files(directory: str) -> dict[str, tuple[bytes, str, str]]:
    """name -> (content, media type, ETag) of every file of the directory (read once per environment)."""
    files = {}
    for path in Path(directory).iterdir():
        if path.is_file() and path.suffix in _STATIC_TYPES:
            content = path.read_bytes()
            files[path.name] = (
                content,
                _STATIC_TYPES[path.suffix],
                '"' + hashlib.sha256(content).hexdigest()[:32] + '"',
            )
    return files


def static_file(directory: Path, name: str, if_none_match: str | None) -> Response:
    """One file of a directory of static files (only the names it holds: no path reaches elsewhere); 304 when
    the browser has it already."""
    found = _static_files(str(directory)).get(name)
    if found is None:
        raise NotFound("no such file")
    content, media_type, etag = found
    headers = {**_STATIC_HEADERS, "ETag": etag}
    if if_none_match == etag:
        return Response(status_code=304, content_type=media_type, body="", headers=headers)
    return Response(status_code=200, content_type=media_type, body=content.decode("utf-8"), headers=headers)


def responses(status: int, entity: str | None = None, page: bool = False) -> dict[int, Any]:
    """OpenAPI response documentation from the contract's own models."""
    documented: dict[int, Any] = {
        400: _error_doc("malformed JSON"),
        401: _error_doc("missing or unknown API key"),
        404: _error_doc("unknown id (or another tenant's)"),
        409: _error_doc("stale version"),
        413: _error_doc("the body is larger than 64 KiB"),
        422: _error_doc("invalid content"),
        500: _error_doc("an error on the service's side (logged; never caused by the request's content)"),
    }
    if entity is None:
        documented[status] = {"description": "done"}
    else:
        model: Any = getattr(contract, entity)
        documented[status] = {
            "description": entity,
            "content": {JSON: {"model": contract.Page[model] if page else model}},
        }
    return documented


_ERROR_SCHEMA = {JSON: {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
_IDEMPOTENCY_PARAMETER = {
    "name": idempotency.HEADER,
    "in": "header",
    "required": False,
    "description": "Answer this POST once: for 24 hours the same key with the same body gets the first 2xx answer "
    f"again (with {idempotency.REPLAYED}: true) and writes nothing; with another body, 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}


def complete_openapi(schema: str) -> str:
    """The generated OpenAPI document with what the gate adds before routing: 415 on every operation
    that takes a body (it must be sent as JSON), 400 for a body that is not UTF-8 JSON, and on every POST
    the Idempotency-Key header with its replay header and its 409 and 422 answers."""
    document = json.loads(schema)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses["415"] = {
                    "description": "the body is not sent as JSON (Content-Type application/json or +json)",
                    "content": _ERROR_SCHEMA,
                }
                responses.setdefault(
                    "400", {"description": "the body is not UTF-8 JSON text", "content": _ERROR_SCHEMA}
                )
            if method == "post" and not path.startswith("/admin"):  # a new tenant's key is never kept anywhere
                operation.setdefault("parameters", []).append(_IDEMPOTENCY_PARAMETER)
                responses.setdefault(
                    "409",
                    {
                        "description": "a request with this Idempotency-Key is still being answered",
                        "content": _ERROR_SCHEMA,
                    },
                )
                responses.setdefault(
                    "422",
                    {
                        "description": "the request is not valid (or its Idempotency-Key was used with another body)",
                        "content": _ERROR_SCHEMA,
                    },
                )
                for code, answer in responses.items():
                    if code.startswith("2"):
                        answer.setdefault("headers", {})[idempotency.REPLAYED] = {
                            "description": "true when this is the kept answer to an earlier request with the same "
                            "Idempotency-Key",
                            "schema": {"type": "string", "enum": ["true"]},
                        }
    return json.dumps(document, separators=(",", ":"))


def _error_doc(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"model": contract.ErrorResponse}}}


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> str:
    return json.dumps({"error": {"code": code, "message": message, "details": details or []}}, default=str)


def _error_headers(error: DomainError) -> dict[str, str]:
    allow = getattr(error, "allow", None)
    return {"Allow": ", ".join(allow)} if allow else {}


def _answer(error: DomainError) -> Response:
    metrics.add_metric(name=f"Http{error.status}", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=error.status,
        content_type=JSON,
        body=error_body(error.code, error.message, error.details),
        headers=_error_headers(error) or None,
    )


@app.exception_handler(DomainError)
def _domain_error(error: DomainError) -> Response:
    return _answer(error)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] if parts[0] == "body" else parts
    return ".".join(parts) or "body"


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    if error.get("type") == "missing":
        return "required"
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


def _details(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"field": _location(tuple(e.get("loc", ()))), "message": _message(e)} for e in errors[:50]]


@app.exception_handler(RequestValidationError)
def _request_invalid(error: RequestValidationError) -> Response:
    errors = list(error.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return _answer(BadRequest("the body is not valid JSON"))
    if any(e.get("type") == "missing" and tuple(e.get("loc", ())) == ("body",) for e in errors):
        return _answer(BadRequest("the body is empty: send a JSON object"))
    return _answer(Invalid("the request is not valid", _details(errors)))


@app.exception_handler(ValidationError)
def _model_invalid(error: ValidationError) -> Response:
    return _answer(Invalid("the request is not valid", _details(error.errors(include_url=False, include_input=False))))


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported(_: Exception) -> Response:
    return _answer(UnsupportedMediaType(_SEND_JSON))


ROUTED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")  # what routes are declared with; HEAD is GET's


def allowed_methods(path: str) -> list[str]:
    """The methods `path` answers: those of the routes that match it, HEAD with GET, OPTIONS with any."""
    routes = app._static_routes + app._dynamic_routes  # Powertools keeps no public list of its routes
    methods = {route.method for route in routes if route.rule.match(path)}
    if "GET" in methods:
        methods.add("HEAD")
    if methods:
        methods.add("OPTIONS")
    return sorted(methods)


@app.not_found
def _no_route(_: Exception) -> Response:
    path = app.current_event.path
    allow = allowed_methods(path)
    if allow:
        return _answer(MethodNotAllowed(app.current_event.http_method, path, allow))
    return Response(status_code=404, content_type=JSON, body=error_body("not_found", "no such route"))


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response:
    logger.exception("unhandled error")
    metrics.add_metric(name="Http500", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=500,
        content_type=JSON,
        body=error_body("internal", "something went wrong on our side; it has been logged"),
    )


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return value
    return None


def _lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    return isinstance(value, list) and any(_lone_surrogate(v) for v in value)


def _check_body(event: dict[str, Any], body: str) -> None:
    """A body is a JSON object sent as JSON (media types compare case-insensitively; a body without a
    Content-Type is not taken as JSON), in UTF-8, whose strings are Unicode text (no lone surrogates)."""
    media_type = (_header(event, "content-type") or "").split(";")[0].strip().lower()
    if media_type != JSON and not media_type.endswith("+json"):
        raise UnsupportedMediaType(_SEND_JSON)
    for key in list(event.get("headers") or {}):
        if key.lower() == "content-type":
            event["headers"][key] = JSON  # the router compares it case-sensitively
    try:
        text = base64.b64decode(body, validate=True).decode("utf-8") if event.get("isBase64Encoded") else body
    except (binascii.Error, UnicodeDecodeError):
        raise BadRequest("the body is not UTF-8 text") from None
    try:
        parsed = parse_json(text)
    except ValueError:  # JSONDecodeError is a ValueError
        raise BadRequest("the body is not valid JSON") from None
    if _SURROGATE_ESCAPE.search(text) and _lone_surrogate(parsed):
        raise BadRequest("the body is not valid JSON text: it escapes a lone surrogate (\\ud800-\\udfff)")
    if not isinstance(parsed, dict):
        raise Invalid("the body must be a JSON object", [{"field": "body", "message": "expected an object"}])


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Gate, route, and log one access line (method, path, status; never headers or bodies). HEAD is
    answered as GET (API Gateway drops the body)."""
    method = event.get("httpMethod")
    routed = {**event, "httpMethod": "GET"} if method == "HEAD" else event
    with tenancy.one_read_per_request():
        answer = _gated(event, routed, context)
    logger.info("request", extra={"method": method, "path": event.get("path"), "status": answer.get("statusCode")})
    return answer


def _gated(event: dict[str, Any], routed: dict[str, Any], context: Any) -> dict[str, Any]:
    answer = gate(routed)
    if answer is None:
        key = app.context.get("idempotency_key")
        if key is None:
            answer = app.resolve(routed, context)
        else:
            scope = f"{app.context['tenant_id']} POST {event.get('path')} {key}"
            try:
                answer = idempotency.once(
                    scope, routed.get("body") or "", context, lambda: app.resolve(routed, context)
                )
            except DomainError as error:
                app.clear_context()
                answer = _error_answer(error)
    return answer


def _method_check(method: str, path: str) -> dict[str, Any] | None:
    """OPTIONS and methods no route is declared with are answered before the key is checked: what a
    path allows is in the public OpenAPI document anyway."""
    if method in ROUTED_METHODS:
        return None
    allow = allowed_methods(path)
    if not allow:
        raise NotFound("no such route")
    if method == "OPTIONS":
        return {
            "statusCode": 204,
            "headers": {"Allow": ", ".join(allow)},
            "multiValueHeaders": {},
            "body": "",
            "isBase64Encoded": False,
        }
    raise MethodNotAllowed(method, path, allow)


def gate(event: dict[str, Any]) -> dict[str, Any] | None:
    """Checks what must hold before routing: body size, the API key (before anything about the
    body is said to an unknown caller), then the body's JSON shape. Returns an answer to send now,
    or None to let the router take the request (with the caller's tenant in app.context)."""
    app.clear_context()  # an answer sent from here never reaches resolve(), which clears it otherwise
    try:
        body = event.get("body") or ""
        size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode("utf-8", "surrogatepass"))
        if size > config().max_body_bytes:
            raise PayloadTooLarge(f"the body is larger than {config().max_body_bytes} bytes")
        path = event.get("path") or "/"
        early = _method_check(event.get("httpMethod") or "", path)
        if early is not None:
            return early
        if not is_public(path):
            authorization = _header(event, "authorization")
            if path == "/admin" or path.startswith("/admin/"):
                tenancy.authenticate_admin(authorization)
            else:
                tenant = tenancy.authenticate(authorization)
                app.append_context(tenant_id=tenant)
                logs.tenant(logger, tenant)
                tracing.annotate_request(tenant, path)
        if body and (event.get("httpMethod") or "").upper() in ("POST", "PUT", "PATCH"):
            _check_body(event, body)  # a body on GET or DELETE is ignored, as the routes ignore it
        if event.get("httpMethod") == "POST" and not is_public(path) and not path.startswith("/admin"):
            key = idempotency.key(_header(event, idempotency.HEADER.lower()))
            if key is not None:
                app.append_context(idempotency_key=key)
        return None
    except DomainError as error:
        return _error_answer(error)


def _error_answer(error: DomainError) -> dict[str, Any]:
    metrics.add_metric(name=f"Http{error.status}", unit=MetricUnit.Count, value=1)
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": JSON, **_error_headers(error)},
        "multiValueHeaders": {},
        "body": error_body(error.code, error.message, error.details),
        "isBase64Encoded": False,
    }
