"""The one clock: "now" in UTC and a tenant's business date (docs/architecture.md#clock).

Tests freeze time by replacing `utc_now`; nothing else reads the system clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_date(tz_name: str, override: date | None) -> date:
    if override is not None:
        return override
    return utc_now().astimezone(ZoneInfo(tz_name)).date()
