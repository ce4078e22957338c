"""POST /rules/preview: a criteria over every loan of the tenant, applying nothing."""

from __future__ import annotations

import functools

from ..contract import PreviewSample, RulePreview
from ..errors import Invalid
from ..labels import load as load_labels
from ..rules import RuleInvalid, compile_rule
from ..store import customers as customer_store
from ..store import loans as loan_store
from ..store import transactions as transaction_store
from ..tenancy import business_date, get_tenant
from .context import loan_context, shown

PAGE = 200


def preview(tenant_id: str, criteria: str, limit: int) -> RulePreview:
    try:
        rule = compile_rule(criteria)
    except RuleInvalid as invalid:
        raise Invalid(f"the criteria is not a valid rule: {invalid}", [e.as_detail() for e in invalid.errors]) from None
    tenant = get_tenant(tenant_id)
    today = business_date(tenant)
    tenant_labels = functools.cache(lambda: load_labels(tenant_id))  # read once, if a rule reads portfolio ids
    matched = evaluated = 0
    sample: list[PreviewSample] = []
    cursor = None
    while True:
        page, cursor = loan_store.page(tenant_id, PAGE, cursor)
        customers = customer_store.get_many(tenant_id, [c.customer_id for loan in page for c in loan.customers])
        for loan in page:
            context = loan_context(
                loan,
                {c.customer_id: customers[c.customer_id] for c in loan.customers if c.customer_id in customers},
                max(today, loan.as_of),
                functools.partial(transaction_store.every, tenant_id, loan.id),
                tenant.business_date,
                labels=tenant_labels,
            )
            evaluated += 1
            if rule.run(context).matched:
                matched += 1
                if len(sample) < limit:
                    sample.append(
                        PreviewSample(loan_id=loan.id, variables={v: shown(context[v]) for v in rule.variables})
                    )
        if not cursor:
            return RulePreview(matched=matched, evaluated=evaluated, sample=sample)
