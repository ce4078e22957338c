"""X-Ray tracing through Powertools' Tracer (template.yaml sets `Tracing: Active` on every function): each
handler is captured with its AWS calls (boto3 and botocore, patched by the Tracer), and the work that names a
tenant, a loan or a rule carries them as annotations, so a trace is found by them.

Only on Lambda (LAMBDA_TASK_ROOT set) and unless POWERTOOLS_TRACE_DISABLED is true: the X-Ray SDK is then
imported (about half a second of a cold start on this machine), nowhere else. The tests and the local stack
never import it (no X-Ray daemon listens there); capture() leaves the handler as it is and annotate() does
nothing."""

from __future__ import annotations

import os
from collections.abc import Callable
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


class _Span:
    """A subsegment with annotations while the work of one loan or rule runs (nothing when not tracing)."""

    def __init__(self, name: str, annotations: dict[str, str | None]):
        self._name, self._annotations = name, annotations
        self._inner: Any = None

    def __enter__(self) -> None:
        if tracer is None:
            return
        self._inner = tracer.provider.in_subsegment(self._name)
        subsegment = self._inner.__enter__()
        for key, value in self._annotations.items():
            if value:
                subsegment.put_annotation(key, value)

    def __exit__(self, *exc: object) -> None:
        if self._inner is not None:
            self._inner.__exit__(*exc)


def span(name: str, **annotations: str | None) -> _Span:
    return _Span(name, annotations)
