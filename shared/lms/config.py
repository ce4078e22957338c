"""Deployment settings, read from the environment once per process (never deep in logic)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Config:
    settings_table: str
    api_keys_table: str
    customers_table: str
    loans_table: str
    links_table: str
    transactions_table: str
    rules_table: str
    audit_table: str
    jobs_table: str
    snapshots_table: str
    force_jobs_queue: str
    maintenance_queue: str
    webhooks_table: str
    webhook_queue: str
    webhook_dead_letter_queue: str
    idempotency_table: str
    region: str
    dynamodb_endpoint: str | None
    admin_key_secret: str
    webhook_signing_key: str
    max_body_bytes: int


@lru_cache(maxsize=1)
def config() -> Config:
    env = os.environ
    return Config(
        settings_table=env.get("SETTINGS_TABLE", "SettingsTable"),
        api_keys_table=env.get("API_KEYS_TABLE", "ApiKeysTable"),
        customers_table=env.get("CUSTOMERS_TABLE", "CustomersTable"),
        loans_table=env.get("LOANS_TABLE", "LoansTable"),
        links_table=env.get("LINKS_TABLE", "LinksTable"),
        transactions_table=env.get("TRANSACTIONS_TABLE", "TransactionsTable"),
        rules_table=env.get("RULES_TABLE", "RulesTable"),
        audit_table=env.get("AUDIT_TABLE", "AuditTable"),
        jobs_table=env.get("JOBS_TABLE", "JobsTable"),
        snapshots_table=env.get("SNAPSHOTS_TABLE", "SnapshotsTable"),
        force_jobs_queue=env.get("FORCE_JOBS_QUEUE", "ForceJobsQueue"),
        maintenance_queue=env.get("MAINTENANCE_QUEUE", "MaintenanceQueue"),
        webhooks_table=env.get("WEBHOOKS_TABLE", "WebhooksTable"),
        webhook_queue=env.get("WEBHOOK_QUEUE", "WebhookQueue"),
        webhook_dead_letter_queue=env.get("WEBHOOK_DEAD_LETTER_QUEUE", "WebhookDeadLetterQueue"),
        idempotency_table=env.get("IDEMPOTENCY_TABLE", "IdempotencyTable"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT") or None,
        admin_key_secret=env.get("ADMIN_KEY_SECRET", "AdminApiKeySecret"),
        webhook_signing_key=env.get("WEBHOOK_SIGNING_KEY", "alias/WebhookSigningKey"),
        max_body_bytes=int(env.get("MAX_BODY_BYTES", str(64 * 1024))),
    )
