"""GET /loans/{id}/snapshots: the daily snapshots maintenance wrote, a page at a time."""

from __future__ import annotations

from datetime import date
from typing import Any

from aws_lambda_powertools import Logger

from ..store import snapshots as snapshot_store

logger = Logger(child=True)


def snapshots(
    tenant_id: str, loan_id: str, limit: int, cursor: str | None, since: str | None, until: str | None
) -> Any:
    from .. import loans
    from ..contract import Page, Snapshot
    from ..errors import field_error

    loans.get(tenant_id, loan_id)  # 404 for an unknown loan
    for name, text in (("from", since), ("to", until)):
        if text is not None:
            try:
                date.fromisoformat(text)
                if len(text) != 10:
                    raise ValueError
            except ValueError:
                raise field_error(name, f"{name} must be a date (YYYY-MM-DD)") from None
    items, next_cursor = snapshot_store.page(tenant_id, loan_id, limit, cursor, since, until)
    return Page[Snapshot](items=[Snapshot.model_validate(i) for i in items], next_cursor=next_cursor)
