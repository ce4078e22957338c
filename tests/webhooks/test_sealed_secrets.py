"""Secrets in the services made for them (issue 19): each webhook's signing secret is stored sealed with the
KMS key (never in the clear), bound to its tenant and webhook; the admin key is read from Secrets Manager.
All against moto's KMS and Secrets Manager, as the local stack serves them."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError


def _hook(api) -> dict:
    created = api.post("/webhooks", {"name": "Sealed", "url": "https://example.com/hook", "events": ["loan.updated"]})
    assert created.status == 201, created
    return created.json


def test_the_signing_secret_is_stored_sealed_and_never_in_the_clear(api):
    from lms.store.tables import WebhookItem

    hook = _hook(api)
    items = [item for item in WebhookItem.query(api.tenant_id) if item.sk.endswith(hook["id"])]
    stored = json.dumps([item.body for item in items])
    assert hook["secret"].startswith("whsec_") and hook["secret"] not in stored
    assert hook["secret"].removeprefix("whsec_") not in stored
    assert '"secretSealed"' in stored and '"secret"' not in stored
    shown = api.get(f"/webhooks/{hook['id']}").json
    assert "secret" not in shown and "secretSealed" not in shown


def test_a_sealed_secret_opens_only_for_its_own_webhook(api, other_api):
    from lms import vault
    from lms.webhooks import subscriptions

    hook = _hook(api)
    stored = subscriptions.stored(api.tenant_id, hook["id"])
    assert stored is not None
    assert subscriptions.signing_secret(api.tenant_id, stored) == hook["secret"]
    for tenant_id, webhook_id in ((other_api.tenant_id, hook["id"]), (api.tenant_id, "whk_01ARZ3NDEKTSV4RRFFQ69G5FAV")):
        with pytest.raises(ClientError) as refused:
            vault.unseal(stored["secretSealed"], tenant_id, webhook_id)
        assert refused.value.response["Error"]["Code"] == "InvalidCiphertextException"


def test_a_subscription_stored_before_sealing_still_signs():
    from lms.webhooks import subscriptions

    assert subscriptions.signing_secret("tnt_x", {"id": "whk_x", "secret": "whsec_AAAA"}) == "whsec_AAAA"


def test_the_admin_key_comes_from_secrets_manager_and_follows_a_rotation(aws):
    import boto3

    from lms import vault
    from tests.conftest import ADMIN_KEY, Api

    def make(key: str) -> int:
        return Api().post("/admin/tenants", {"name": "Rotated"}, key=key).status

    vault._secrets().clear_cache()
    assert make(ADMIN_KEY) == 201
    boto3.client("secretsmanager").put_secret_value(SecretId="AdminApiKeySecret", SecretString="lk_rotated-admin-key")
    assert make(ADMIN_KEY) == 201  # read once and kept (5 minutes deployed)
    vault._secrets().clear_cache()  # as after the cache's age
    assert (make("lk_rotated-admin-key"), make(ADMIN_KEY)) == (201, 401)
    vault._secrets().clear_cache()


def test_without_its_secret_nobody_is_admin(aws):
    import boto3

    from lms import vault
    from tests.conftest import ADMIN_KEY, Api

    boto3.client("secretsmanager").delete_secret(SecretId="AdminApiKeySecret", ForceDeleteWithoutRecovery=True)
    vault._secrets().clear_cache()
    try:
        answer = Api().post("/admin/tenants", {"name": "Nobody"}, key=ADMIN_KEY)
        assert answer.status == 401 and answer.json["error"]["message"] == "unknown admin key"
    finally:
        vault._secrets().clear_cache()
