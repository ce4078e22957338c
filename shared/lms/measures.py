"""The service's own CloudWatch metrics, written as embedded metric format by Powertools and flushed by each
handler's `log_metrics`: what template.yaml's alarms and dashboard watch (docs/operations.md#alarms).

- MaintenanceRunsCompleted, MaintenanceRunsFailed: a run settled, by how it ended.
- MaintenanceRunsLate: a dispatch round found a run unfinished LATE_HOURS after it was created.
- RuleApplications: rule evaluations that matched (live or shadow), wherever rules ran.
- WebhookAttempts, WebhookAttemptsFailed: delivery attempts made, and those that did not succeed."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics()  # Powertools keeps one metric set per process: every Metrics() of the service shares it
LATE_HOURS = 6


def count(name: str, value: int = 1) -> None:
    if value:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
