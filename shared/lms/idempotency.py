"""Idempotency-Key on POST (README: "Retrying safely"), with the Powertools Idempotency utility.

A POST that carries `Idempotency-Key: <1 to 255 visible ASCII characters>` is answered once per tenant,
route and key for 24 hours: the same key with the same body gets the first answer again, with
`Idempotent-Replayed: true`, and writes nothing; the same key with another body is 422; a request that
arrives while the first with its key is still being answered waits for that answer (and is 409 if it
takes longer than the function has left). Only a 2xx answer is kept: after a 4xx or 5xx the key is free
again, so a corrected or simply repeated request runs anew (nothing was written the first time).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import Conflict, Invalid
from .store.idempotency import persistence

# Powertools' idempotency utility (and tenacity) are imported on the first POST that carries a key, not at cold
# start: the utility imports boto3 whole for its DynamoDB layer, and most requests carry no key.
if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
EXPIRES_SECONDS = 24 * 60 * 60
_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def key(value: str | None) -> str | None:
    """The header's value, checked; None when the request has none."""
    if value is None:
        return None
    if not _KEY.fullmatch(value):
        raise Invalid(
            f"{HEADER} is 1 to 255 visible ASCII characters",
            [{"field": f"headers.{HEADER}", "message": "1 to 255 visible ASCII characters"}],
        )
    return value


class _NotKept(Exception):
    """A non-2xx answer: Powertools frees the key when the function raises, and the answer still goes out."""

    def __init__(self, answer: dict[str, Any]):
        super().__init__(answer.get("statusCode"))
        self.answer = answer


def _answer(request: dict[str, Any], produce: Callable[[], dict[str, Any]], ran: list[bool]) -> dict[str, Any]:
    ran.append(True)
    answer = produce()
    if not 200 <= int(answer.get("statusCode") or 500) < 300:
        raise _NotKept(answer)
    return answer


@functools.cache
def _config() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="scope",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=EXPIRES_SECONDS,
    )


@functools.cache
def _once() -> Callable[..., dict[str, Any]]:
    from aws_lambda_powertools.utilities.idempotency import idempotent_function

    return idempotent_function(
        _answer, data_keyword_argument="request", persistence_store=persistence(), config=_config()
    )


def once(scope: str, body: str, context: Any, produce: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """produce()'s answer, or the answer kept for `scope` (tenant, route and key) when there is one."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )
    from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

    _config().register_lambda_context(context)  # a first answer cut off by a timeout frees the key then
    remaining = (
        context.get_remaining_time_in_millis() / 1000 if hasattr(context, "get_remaining_time_in_millis") else 15
    )
    ran: list[bool] = []
    try:
        for attempt in Retrying(
            retry=retry_if_exception_type(IdempotencyAlreadyInProgressError),
            reraise=True,
            wait=wait_exponential(multiplier=0.02, max=0.5),
            stop=stop_after_delay(max(remaining - 2, 1)),
        ):
            with attempt:
                answer = _once()(request={"scope": scope, "body": body}, produce=produce, ran=ran)
    except _NotKept as not_kept:
        return not_kept.answer
    except IdempotencyValidationError:
        raise Invalid(
            f"this {HEADER} was used with another body in the last 24 hours",
            [{"field": f"headers.{HEADER}", "message": "already used with another body"}],
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(f"a request with this {HEADER} is still being answered: retry it in a moment") from None
    if ran:
        return answer
    headers = {**(answer.get("headers") or {}), REPLAYED: "true"}
    return {**answer, "headers": headers}
