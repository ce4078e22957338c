"""Secrets from the AWS services made for them (docs/architecture.md#secrets): the admin key from Secrets
Manager, each webhook's signing secret sealed with a KMS key. Each is read once per execution environment and
kept (the admin key for SECRET_MAX_AGE seconds, so a rotation takes effect within that); the local stack and
the tests serve the same calls from moto."""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import TYPE_CHECKING

from .config import config
from .store.tables import aws_client

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

SECRET_MAX_AGE = 300


@functools.lru_cache(maxsize=1)
def _secrets() -> SecretsProvider:
    # Imported here: Powertools' parameters import boto3 whole, and only the admin routes read a secret.
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=aws_client("secretsmanager"))


def admin_key_sha256() -> str | None:
    """The SHA-256 (hex) of the admin key, or None when it cannot be read (nobody is admin then)."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        value = _secrets().get(config().admin_key_secret, max_age=SECRET_MAX_AGE)
    except GetParameterError:
        return None
    text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest() if text.strip() else None


def _context(tenant_id: str, webhook_id: str) -> dict[str, str]:
    # Bound to its webhook: a sealed secret copied to another tenant's or webhook's item does not open.
    return {"tenantId": tenant_id, "webhookId": webhook_id}


def seal(secret: str, tenant_id: str, webhook_id: str) -> str:
    """The secret encrypted with the webhook signing key, as base64 text to store."""
    sealed = aws_client("kms").encrypt(
        KeyId=config().webhook_signing_key,
        Plaintext=secret.encode("utf-8"),
        EncryptionContext=_context(tenant_id, webhook_id),
    )["CiphertextBlob"]
    return base64.b64encode(sealed).decode("ascii")


@functools.lru_cache(maxsize=4096)
def unseal(sealed: str, tenant_id: str, webhook_id: str) -> str:
    """What seal() sealed (one KMS call per secret per execution environment)."""
    answer = aws_client("kms").decrypt(
        KeyId=config().webhook_signing_key,
        CiphertextBlob=base64.b64decode(sealed),
        EncryptionContext=_context(tenant_id, webhook_id),
    )
    return str(answer["Plaintext"].decode("utf-8"))
