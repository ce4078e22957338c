"""(u/today) and current-date as LoanPro documents them (docs/rules.md#dates-maps-and-helpers): current-date is the
tenant's date in its timezone, (u/today) the UTC date; both are the business-date override when the tenant has
one. Near midnight they differ for a tenant far from UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import make_customer, make_loan, new_tenant


@pytest.fixture
def kiritimati(aws, monkeypatch):
    """A tenant at UTC+14, with the clock at 2027-01-10 12:00 UTC: 2027-01-11 02:00 there (after the loan's own
    date, which the real clock gave it)."""
    from lms import clock
    from lms.automation import context

    now = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "utc_now", lambda: now)
    monkeypatch.setattr(context, "utc_now", lambda: now)
    api = new_tenant("Line Islands", "Pacific/Kiritimati")
    make_loan(api, [(make_customer(api)["id"], "primary")])
    return api


def _preview(api, criteria: str) -> dict:
    reply = api.post("/rules/preview", {"criteria": criteria})
    assert reply.status == 200, reply
    return reply.json


def test_u_today_is_the_utc_date_and_current_date_the_tenant_s(kiritimati):
    got = _preview(kiritimati, "(= (u/date-compare current-date (u/today)) 1)")
    assert got["matched"] == 1, got
    sample = _preview(kiritimati, "(and (some? current-utc-date) (some? current-date))")["sample"][0]["variables"]
    assert sample == {"current-utc-date": "2027-01-10", "current-date": "2027-01-11"}


def test_both_are_the_business_date_override_when_one_is_set(kiritimati):
    assert kiritimati.put("/tenant", {"businessDate": "2027-02-01"}).status == 200
    got = _preview(kiritimati, '(and (= (u/today) current-date) (= current-date (date "2027-02-01")))')
    assert got["matched"] == 1, got
