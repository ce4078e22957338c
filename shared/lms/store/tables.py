"""pynamodb models, one per table in template.yaml (names and endpoint from the environment)."""

from __future__ import annotations

import functools
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ..config import config
from .attributes import DocumentAttribute


def _meta(table: str) -> Any:  # pynamodb's Meta: a class with the table's settings
    cfg = config()

    class Meta:
        table_name = table
        region = cfg.region
        host = cfg.dynamodb_endpoint
        connect_timeout_seconds = 3
        read_timeout_seconds = 10
        max_retry_attempts = 3

    return Meta


class SettingItem(Model):
    """Tenant record, labels and title guards: sk is "<kind>#<id>"."""

    Meta = _meta(config().settings_table)
    tenant_id = UnicodeAttribute(hash_key=True, attr_name="tenantId")
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    body = DocumentAttribute(default=dict)
    version = VersionAttribute()
    # The tenant record only: a new random value after every write of a label, so a process that holds the
    # labels it read knows with one read of the tenant record whether they are still current (store.settings).
    labels_mark = UnicodeAttribute(null=True, attr_name="labelsMark")


class ApiKeyItem(Model):
    Meta = _meta(config().api_keys_table)
    key_hash = UnicodeAttribute(hash_key=True, attr_name="keyHash")
    tenant_id = UnicodeAttribute(attr_name="tenantId")
    prefix = UnicodeAttribute()
    created_at = UTCDateTimeAttribute(attr_name="createdAt")


class CustomerItem(Model):
    Meta = _meta(config().customers_table)
    tenant_id = UnicodeAttribute(hash_key=True, attr_name="tenantId")
    customer_id = UnicodeAttribute(range_key=True, attr_name="customerId")
    first_name = UnicodeAttribute(attr_name="firstName")
    last_name = UnicodeAttribute(attr_name="lastName")
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    customer_type = UnicodeAttribute(attr_name="customerType")
    status = UnicodeAttribute()
    credit_score = NumberAttribute(null=True, attr_name="creditScore")
    credit_scores = DocumentAttribute(null=True, attr_name="creditScores")  # {equifax, experian, transunion}
    address = DocumentAttribute(null=True)
    created_at = UTCDateTimeAttribute(attr_name="createdAt")
    updated_at = UTCDateTimeAttribute(attr_name="updatedAt")
    version = VersionAttribute()


class LoanItem(Model):
    Meta = _meta(config().loans_table)
    tenant_id = UnicodeAttribute(hash_key=True, attr_name="tenantId")
    loan_id = UnicodeAttribute(range_key=True, attr_name="loanId")
    display_id = UnicodeAttribute(attr_name="displayId")
    setup = DocumentAttribute()
    loan_status = UnicodeAttribute(attr_name="loanStatus")
    loan_sub_status = UnicodeAttribute(null=True, attr_name="loanSubStatus")
    credit_status = UnicodeAttribute(null=True, attr_name="creditStatus")
    portfolios = ListAttribute(of=UnicodeAttribute, default=list)
    sub_portfolios = ListAttribute(of=UnicodeAttribute, default=list, attr_name="subPortfolios")
    customers = DocumentAttribute(default=dict)  # {"list": [{customerId, role}]}
    active = BooleanAttribute(default=False)
    activated_at = UTCDateTimeAttribute(null=True, attr_name="activatedAt")
    archived = BooleanAttribute(default=False)
    interest_stopped = BooleanAttribute(default=False, attr_name="interestStopped")
    charged_off = BooleanAttribute(default=False, attr_name="chargedOff")
    bankruptcy = DocumentAttribute(null=True)
    bankruptcy_history = DocumentAttribute(null=True, attr_name="bankruptcyHistory")  # {"list": [earlier records]}
    settings = DocumentAttribute(null=True)  # LoanSettings, camelCase, set fields only
    autopay = DocumentAttribute(null=True)
    checklist = ListAttribute(of=UnicodeAttribute, default=list)
    custom_fields = DocumentAttribute(default=dict, attr_name="customFields")
    values = DocumentAttribute()
    late_fee_history = DocumentAttribute(null=True, attr_name="lateFeeHistory")  # {"list": [{since, allowed}]}
    rule_opt_outs = ListAttribute(of=UnicodeAttribute, null=True, attr_name="ruleOptOuts")
    cascade = DocumentAttribute(null=True)  # {"id", "depth", "applied": [rule ids], "trigger"}
    ledger = DocumentAttribute(null=True)  # servicing.Ledger.to_doc() at the end of as_of
    pending_from = UnicodeAttribute(null=True, attr_name="pendingFrom")  # a transaction dated after as_of
    maintained_through = UnicodeAttribute(null=True, attr_name="maintainedThrough")
    as_of = UnicodeAttribute(attr_name="asOf")
    created_at = UTCDateTimeAttribute(attr_name="createdAt")
    updated_at = UTCDateTimeAttribute(attr_name="updatedAt")
    version = VersionAttribute()


class LinksByLoan(GlobalSecondaryIndex):
    class Meta:
        index_name = "byLoan"
        projection = AllProjection()

    loan_key = UnicodeAttribute(hash_key=True, attr_name="loanKey")
    customer_key = UnicodeAttribute(range_key=True, attr_name="customerKey")


class LinkItem(Model):
    """One customer on one loan, with the customer's role. Keys: "<tenant>#<id>"."""

    Meta = _meta(config().links_table)
    customer_key = UnicodeAttribute(hash_key=True, attr_name="customerKey")
    loan_key = UnicodeAttribute(range_key=True, attr_name="loanKey")
    tenant_id = UnicodeAttribute(attr_name="tenantId")
    customer_id = UnicodeAttribute(attr_name="customerId")
    loan_id = UnicodeAttribute(attr_name="loanId")
    role = UnicodeAttribute()
    by_loan = LinksByLoan()


def scoped(tenant_id: str, entity_id: str) -> str:
    return f"{tenant_id}#{entity_id}"


class TransactionItem(Model):
    """One loan transaction. loan_key is "<tenant>#<loan>"; ids are time-ordered (posting order)."""

    Meta = _meta(config().transactions_table)
    loan_key = UnicodeAttribute(hash_key=True, attr_name="loanKey")
    transaction_id = UnicodeAttribute(range_key=True, attr_name="transactionId")
    tenant_id = UnicodeAttribute(attr_name="tenantId")
    loan_id = UnicodeAttribute(attr_name="loanId")
    kind = UnicodeAttribute()
    day = UnicodeAttribute()
    body = DocumentAttribute(default=dict)  # amount (exact), method, title, category, chargeOff, reverses, allocation
    reversed_by = UnicodeAttribute(null=True, attr_name="reversedBy")
    created_at = UTCDateTimeAttribute(attr_name="createdAt")


class RuleItem(Model):
    """A rule ("rule#<id>") or one of its saved versions ("version#<id>#<n>"); body is the rule."""

    Meta = _meta(config().rules_table)
    tenant_id = UnicodeAttribute(hash_key=True, attr_name="tenantId")
    sk = UnicodeAttribute(range_key=True)
    body = DocumentAttribute(default=dict)
    version = VersionAttribute()


class AuditItem(Model):
    """One entry of a loan's audit log; entry_id sorts by time."""

    Meta = _meta(config().audit_table)
    loan_key = UnicodeAttribute(hash_key=True, attr_name="loanKey")
    entry_id = UnicodeAttribute(range_key=True, attr_name="entryId")
    body = DocumentAttribute(default=dict)


class JobItem(Model):
    """A background job ("job#<id>": force one rule over many loans; "run#<date>": a maintenance
    run) with its progress counters, one result item per (job, loan) ("res#<job sk>#<loan id>")
    and markers ("mark#<job sk>#<name>"); results and markers expire after 35 days."""

    Meta = _meta(config().jobs_table)
    tenant_id = UnicodeAttribute(hash_key=True, attr_name="tenantId")
    sk = UnicodeAttribute(range_key=True)
    state = UnicodeAttribute(null=True)
    total = NumberAttribute(null=True)
    done = NumberAttribute(null=True)
    matched = NumberAttribute(null=True)
    failed = NumberAttribute(null=True)
    body = DocumentAttribute(default=dict)
    created_at = UTCDateTimeAttribute(null=True, attr_name="createdAt")
    finished_at = UTCDateTimeAttribute(null=True, attr_name="finishedAt")
    expires_at = NumberAttribute(null=True, attr_name="expiresAt")  # TTL (results and markers)


class SnapshotItem(Model):
    """A loan's values at the end of one business day, written by daily maintenance: `packed` holds them
    (store.snapshots.pack); `body`, the same document as a map, is only read (snapshots written before)."""

    Meta = _meta(config().snapshots_table)
    loan_key = UnicodeAttribute(hash_key=True, attr_name="loanKey")
    day = UnicodeAttribute(range_key=True)
    packed = BinaryAttribute(legacy_encoding=False, null=True)
    body = DocumentAttribute(null=True)


class WebhookItem(Model):
    """Webhooks of a tenant: a subscription ("hook#<id>"), a message to deliver to one ("msg#<hook>#<message
    id>": the event, its variables, the delivery state) and each attempt ("att#<hook>#<message id>#<round>#<n>").
    Messages and attempts expire after 35 days."""

    Meta = _meta(config().webhooks_table)
    tenant_id = UnicodeAttribute(hash_key=True, attr_name="tenantId")
    sk = UnicodeAttribute(range_key=True)
    state = UnicodeAttribute(null=True)
    round = NumberAttribute(null=True)  # a message's current round of attempts (each redelivery starts one)
    claimed_at = NumberAttribute(null=True, attr_name="claimedAt")  # an attempt being made: since when (epoch s)
    followed = BooleanAttribute(null=True)  # an attempt: what follows it (the next attempt queued) was done
    body = DocumentAttribute(default=dict)
    version = NumberAttribute(null=True)  # a subscription's version (conditional saves; messages update in place)
    expires_at = NumberAttribute(null=True, attr_name="expiresAt")  # TTL (messages and attempts)


def _one_connection(models: list[type[Model]]) -> None:
    """pynamodb gives each model a Connection, and each Connection a botocore session, of its own; each
    session loads botocore's endpoint data and the DynamoDB service model again when first used (about
    10 MB and tens of milliseconds a model, in every cold start). A Connection is not tied to a table (the
    table's name goes with each call): every model's calls go through the first one's."""
    shared = None
    for model in models:
        table = model._get_connection()
        if shared is None:
            shared = table.connection
            continue
        shared.add_meta_table(table.get_meta_table())
        table.connection = shared


_one_connection(
    [
        SettingItem,
        ApiKeyItem,
        CustomerItem,
        LoanItem,
        LinkItem,
        TransactionItem,
        RuleItem,
        AuditItem,
        JobItem,
        SnapshotItem,
        WebhookItem,
    ]
)


@functools.lru_cache(maxsize=8)
def aws_client(service: str) -> Any:
    """A client of another AWS service (KMS, Secrets Manager) from the botocore session the tables' connection
    already holds: one session, one set of loaded models per process (a boto3 session of its own would load
    them again, about 8 MB each)."""
    session = SettingItem._get_connection().connection.session
    return session.create_client(service, region_name=config().region)
