"""X-Ray tracing through Powertools' Tracer (template.yaml sets `Tracing: Active` on every function): each
handler is captured with its AWS calls (boto3 and botocore, patched by the Tracer), and the work that names a
tenant, a loan or a rule carries them as annotations, so a trace is found by them.

Only on Lambda (LAMBDA_TASK_ROOT set) and unless POWERTOOLS_TRACE_DISABLED is true: the X-Ray SDK is then
imported (about half a second of a cold start on this machine), nowhere else. The tests and the local stack
never import it (no X-Ray daemon listens there); capture() leaves the handler as it is and annotate() does
nothing."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def _enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in ("1", "true", "yes", "on")
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and not disabled


if _enabled():
    from aws_lambda_powertools import Tracer

    tracer: Any = Tracer()  # Powertools keeps one Tracer per process
else:
    tracer = None


def capture(handler: F) -> F:
    """The Lambda handler, captured as the invocation's subsegment (its response is not recorded: it can be
    a loan or a customer)."""
    if tracer is None:
        return handler
    return tracer.capture_lambda_handler(handler, capture_response=False)


def annotate(**values: str | None) -> None:
    """Annotations on the current segment (tenant_id, loan_id, rule_id...): searchable in X-Ray."""
    if tracer is None:
        return
    for key, value in values.items():
        if value:
            tracer.put_annotation(key=key, value=value)


_PATH_IDS = re.compile(r"/(loan|rule|customer|webhook)s/([A-Za-z0-9_-]{1,64})(?=/|$)")


def annotate_request(tenant_id: str, path: str) -> None:
    """An API request's tenant, and the loan, rule, customer or webhook its path names."""
    if tracer is not None:  # no parsing for annotations nobody records
        annotate(tenant_id=tenant_id, **{f"{kind}_id": value for kind, value in _PATH_IDS.findall(path)})


_NOTHING = contextlib.nullcontext()


def span(name: str, **annotations: str | None) -> contextlib.AbstractContextManager[Any]:
    """A subsegment with annotations while the work of one loan or rule runs (a shared no-op when not tracing)."""
    return _NOTHING if tracer is None else _traced(name, annotations)


@contextlib.contextmanager
def _traced(name: str, annotations: dict[str, str | None]) -> Iterator[None]:
    with tracer.provider.in_subsegment(name) as subsegment:
        for key, value in annotations.items():
            if value:
                subsegment.put_annotation(key, value)
        yield
