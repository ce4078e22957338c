"""Domain errors. The API maps each to one HTTP status in one place (functions/api)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 422
    code = "invalid"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    """A stale version or a uniqueness clash: re-read and try again."""

    status, code = 409, "conflict"


class Invalid(DomainError):
    """Valid JSON whose content breaks a rule of the domain (unknown status title, bad role...)."""

    status, code = 422, "invalid"


class MethodNotAllowed(DomainError):
    """A method the path does not serve; `allow` lists the ones it does (the Allow header)."""

    status, code = 405, "method_not_allowed"

    def __init__(self, method: str, path: str, allow: list[str]):
        super().__init__(f"{method} is not allowed on {path} (allowed: {', '.join(allow)})")
        self.allow = allow


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(DomainError):
    status, code = 415, "unsupported_media_type"


def field_error(field: str, message: str) -> Invalid:
    return Invalid(message, [{"field": field, "message": message}])
