"""The Powertools Idempotency persistence layer on template.yaml's IdempotencyTable, over the DynamoDB
client every pynamodb model already shares (no second client, no second endpoint setting)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from ..config import config
from .tables import SettingItem

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer


@functools.cache
def persistence() -> DynamoDBPersistenceLayer:
    """Built on the first request that carries an Idempotency-Key (the layer imports boto3: no cold start pays)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    client = SettingItem._get_connection().connection.client  # botocore's DynamoDB client, as boto3's is
    return DynamoDBPersistenceLayer(table_name=config().idempotency_table, boto3_client=client)
