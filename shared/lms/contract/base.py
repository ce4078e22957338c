"""Shared pieces of the HTTP contract: text rules for names, the request and entity bases, pages, errors."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
)
from pydantic.alias_generators import to_camel

from ..text import check, safe, strict

# Every name and title a user writes (lms.text.strict): no control characters, lone surrogates or line
# separators, NFC; free text that may run over lines (rule criteria, templates) allows tab, CR and LF.
STRICT = BeforeValidator(lambda value: strict(value) if isinstance(value, str) else value)  # before trimming
MULTILINE = BeforeValidator(lambda value: check(value, multiline=True) if isinstance(value, str) else value)
# Text about something a tenant wrote (an error quoting a rule's literal...): escaped by lms.text.safe, the
# one way such text reaches the audit log, an answer or a log line.
SafeText = Annotated[str, AfterValidator(safe)]

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), STRICT]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), STRICT]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), STRICT]
Timezone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), STRICT]

MAX_LABELS_ON_ENTITY = 100
MAX_CUSTOM_FIELDS = 50


# defer_build: a model's validator and serializer are built when it is first used, not at import: a function
# pays at cold start for the models it uses only (the API's request models are used by one route each). The
# pinned pydantic (2.14) builds under a lock, so a first use from several threads at once is safe.
class Request(BaseModel):
    """A request body: camelCase, unknown fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid", defer_build=True)


class Entity(BaseModel):
    """A response body: camelCase out."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, defer_build=True
    )


T = TypeVar("T")


class Page(Entity, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class ErrorBody(Entity):
    code: str
    message: SafeText
    details: list[dict[str, Any]] = []


class ErrorResponse(Entity):
    error: ErrorBody
