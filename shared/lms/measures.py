"""The service's own CloudWatch metrics, written as embedded metric format by Powertools and flushed by each
handler's `log_metrics`: what template.yaml's alarms and dashboard watch (docs/operations.md#alarms).

- MaintenanceRunsCompleted, MaintenanceRunsFailed: a run settled, by how it ended.
- MaintenanceRunsLate: a dispatch round found a run unfinished LATE_HOURS after it was created.
- RuleApplications: rule evaluations that matched (live or shadow), wherever rules ran.
- WebhookAttempts, WebhookAttemptsFailed: delivery attempts made, and those that did not succeed."""

from __future__ import annotations

import os

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

NAMESPACE = "LoanAutomation"  # template.yaml's POWERTOOLS_METRICS_NAMESPACE, and where the alarms look
# Powertools keeps one metric set per process: every Metrics() of the service shares it. Its namespace is needed
# even where the environment names none (a bench, a script): the 100th value of a metric flushes the set at once,
# and a set without a namespace raises there, in the middle of a rule run.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE)
# Disabled (the local stack, tests, benches): nothing is kept (Powertools would still print the set at the 100th
# value, disabled or not). Read once, as the namespace is: count() runs for every rule run.
_DISABLED = is_metrics_disabled()
LATE_HOURS = 6


def count(name: str, value: int = 1) -> None:
    if value and not _DISABLED:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
