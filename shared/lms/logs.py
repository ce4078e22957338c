"""Each invocation's log keys (function name, request id, cold start, correlation id, tenant) kept per
thread: Powertools' inject_lambda_context, with the keys it appends held in the formatter's thread-safe
context instead of its shared one.

On Lambda one execution environment runs one invocation at a time, so the two behave the same there.
The local stack runs every function in one process, each on its own thread: with shared keys, a line
the API writes could carry the real-time function's name and request id (the last one set).

Every line is also written safe (lms.text.json_safe): a value quoting a lone surrogate, a C1 control or
a line separator (from a rule's literal, say) is escaped instead of breaking the line or the log.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model
from aws_lambda_powertools.utilities import jmespath_utils

from .text import json_safe

Handler = Callable[[dict[str, Any], Any], Any]


def invocation_keys(logger: Logger, correlation_id_path: str | None = None) -> Callable[[Handler], Handler]:
    """Decorates a Lambda handler: for the length of each call, every line of `logger` (and of its
    children) carries the invocation's Lambda context; `correlation_id_path` (a JMESPath into the
    event) adds correlation_id. The keys are cleared when the call ends, however it ends."""

    formatter = logger.registered_formatter
    if isinstance(formatter, LambdaPowertoolsFormatter):
        default, indent = formatter.json_default, getattr(formatter, "json_indent", None)
        formatter.json_serializer = lambda line: json_safe(  # Powertools' serializer, then made safe
            json.dumps(line, default=default, separators=(",", ":"), indent=indent, ensure_ascii=False)
        )

    def decorate(handler: Handler) -> Handler:
        cold = [True]

        @functools.wraps(handler)
        def invoke(event: dict[str, Any], context: Any) -> Any:
            keys: dict[str, Any] = {"cold_start": cold[0], **build_lambda_context_model(context).__dict__}
            cold[0] = False
            if correlation_id_path:
                keys["correlation_id"] = jmespath_utils.query(envelope=correlation_id_path, data=event)
            logger.thread_safe_clear_keys()
            logger.thread_safe_append_keys(**keys)
            try:
                return handler(event, context)
            finally:
                logger.thread_safe_clear_keys()

        return invoke

    return decorate


def tenant(logger: Logger, tenant_id: str) -> None:
    """The tenant a request was authenticated as, on the invocation's remaining lines."""
    logger.thread_safe_append_keys(tenant_id=tenant_id)
