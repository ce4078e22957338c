"""One read of a tenant's settings per request (lms.store.settings.one_read_per_request): the API's
loan writes need the tenant record (business date) and the labels. The first request of a process reads
both with one Query; later ones read the tenant record alone and reuse the labels while the record's
labelsMark is unchanged. A write of the settings within the request is seen by what the request reads
next, and a label written anywhere by the next request of every process."""

from collections import Counter

import pytest

from tests.conftest import make_customer, make_loan


def _settings_reads(calls: Counter) -> dict:
    return {op: n for (op, table), n in calls.items() if "Settings" in table and op in ("Query", "GetItem")}


def test_a_payment_reads_the_tenant_record_once(api, calls):
    loan = make_loan(api, [(make_customer(api)["id"], "primary")])
    assert api.post(f"/loans/{loan['id']}/activate").status == 200
    calls.clear()
    assert api.post(f"/loans/{loan['id']}/payments", {"amount": "100.00"}).status == 201
    assert _settings_reads(calls) == {"GetItem": 1}  # the labels: kept since the activation read them


def test_a_new_loan_reads_the_tenant_settings_once(api, calls):
    from lms.store import settings

    customer = make_customer(api)
    settings._kept.clear()  # as in a new process
    calls.clear()
    make_loan(api, [(customer["id"], "primary")])
    assert _settings_reads(calls) == {"Query": 1}
    calls.clear()
    make_loan(api, [(customer["id"], "primary")])
    assert _settings_reads(calls) == {"GetItem": 1}


def _titles(tenant_id: str) -> set[str]:
    from lms.store import settings

    with settings.one_read_per_request():
        return {row.body["title"] for row in settings.list_labels(tenant_id)}


def test_a_label_written_is_read_by_the_next_request(api, calls):
    from lms.store import settings

    tenant_id = api.get("/tenant").json["tenantId"]
    assert "Bankrupt" not in _titles(tenant_id)
    assert api.post("/customer-statuses", {"title": "Bankrupt", "active": True}).status == 201
    calls.clear()
    assert "Bankrupt" in _titles(tenant_id)
    assert _settings_reads(calls) == {"GetItem": 1, "Query": 1}  # the mark changed: the partition again
    calls.clear()
    assert "Bankrupt" in _titles(tenant_id)
    assert _settings_reads(calls) == {"GetItem": 1}
    status = next(s for s in api.get("/customer-statuses").json["items"] if s["title"] == "Bankrupt")
    assert api.delete(f"/customer-statuses/{status['id']}").status == 204
    assert "Bankrupt" not in _titles(tenant_id)
    kept = settings._kept[tenant_id]
    assert kept[0] and all(row.kind != "tenant" for row in kept[2])


def test_a_tenant_save_keeps_the_labels_mark(api):
    """A save of the tenant record never puts back a mark it read: a process that kept labels under an older
    mark must not find that mark again."""
    from lms.store import settings
    from lms.store.tables import SettingItem

    tenant_id = api.get("/tenant").json["tenantId"]
    before = SettingItem.get(tenant_id, settings.TENANT_SK, consistent_read=True).labels_mark
    row = settings.get_tenant(tenant_id)
    assert row is not None
    assert api.post("/customer-statuses", {"title": "Deceased", "active": True}).status == 201
    marked = SettingItem.get(tenant_id, settings.TENANT_SK, consistent_read=True).labels_mark
    assert marked and marked != before
    with pytest.raises(settings.StaleWrite):  # not that the write was lost: the record is versioned as before
        settings.save_tenant(tenant_id, settings.SettingRow("tenant", "", dict(row.body), (row.version or 0) + 5))
    settings.save_tenant(tenant_id, settings.SettingRow("tenant", "", {**row.body, "name": "Renamed"}, row.version))
    after = SettingItem.get(tenant_id, settings.TENANT_SK, consistent_read=True)
    assert (after.labels_mark, after.body["name"]) == (marked, "Renamed")


def test_kept_labels_are_read_again_after_a_while(api, calls, monkeypatch):
    """What bounds a label write whose new mark never came (its process died between the two)."""
    from lms.store import settings
    from lms.store.tables import SettingItem

    tenant_id = api.get("/tenant").json["tenantId"]
    _titles(tenant_id)
    SettingItem(tenant_id, "customer-status#cst_unmarked", kind="customer-status", body={"title": "Unmarked"}).save()
    assert "Unmarked" not in _titles(tenant_id)  # kept, and the mark unchanged
    clock = settings.time.monotonic() + settings.LABELS_KEPT_SECONDS + 1
    monkeypatch.setattr(settings.time, "monotonic", lambda: clock)
    calls.clear()
    assert "Unmarked" in _titles(tenant_id)
    assert _settings_reads(calls) == {"Query": 1}


def test_a_write_within_the_request_is_read_back(api):
    from lms.store import settings

    tenant_id = api.get("/tenant").json["tenantId"]
    with settings.one_read_per_request():
        before = settings.get_tenant(tenant_id)
        assert before is not None and before.version is not None
        before.body["name"] = "changed only in this copy"
        again = settings.get_tenant(tenant_id)
        assert again is not None and again.body["name"] != "changed only in this copy"
        settings.save_tenant(
            tenant_id, settings.SettingRow("tenant", "", {**before.body, "name": "Renamed"}, before.version)
        )
        after = settings.get_tenant(tenant_id)
        assert after is not None
        assert (after.body["name"], after.version) == ("Renamed", before.version + 1)
        count = len(settings.list_labels(tenant_id))
        created = settings.create_label(
            tenant_id, settings.SettingRow("customer-status", "cst_readback", {"title": "Read Back", "active": True})
        )
        assert [r.id for r in settings.list_labels(tenant_id)].count(created.id) == 1
        assert len(settings.list_labels(tenant_id)) == count + 1


def test_a_failed_write_is_not_remembered_either(api):
    from lms.store import settings
    from lms.store.errors import StaleWrite

    tenant_id = api.get("/tenant").json["tenantId"]
    with settings.one_read_per_request():
        row = settings.get_tenant(tenant_id)
        assert row is not None and row.version is not None
        settings.save_tenant(tenant_id, settings.SettingRow("tenant", "", dict(row.body), row.version))  # now +1
        with pytest.raises(StaleWrite):
            settings.save_tenant(tenant_id, settings.SettingRow("tenant", "", dict(row.body), row.version))
        after = settings.get_tenant(tenant_id)
        assert after is not None and after.version == row.version + 1


def test_outside_a_request_every_read_is_fresh(api, calls):
    from lms.store import settings

    tenant_id = api.get("/tenant").json["tenantId"]
    calls.clear()
    settings.get_tenant(tenant_id)
    settings.get_tenant(tenant_id)
    assert _settings_reads(calls) == {"GetItem": 2}


def test_the_request_read_leaves_out_the_title_guards(api):
    from lms import labels
    from lms.store import settings

    tenant_id = api.get("/tenant").json["tenantId"]
    kinds = [labels.CUSTOMER_STATUS, labels.LOAN_STATUS, labels.PORTFOLIO, labels.CHECKLIST_ITEM]
    assert all(f"{kind.name}#" < settings._GUARDS for kind in kinds) and settings.TENANT_SK < settings._GUARDS
    with settings.one_read_per_request():
        rows = settings._partition(tenant_id)
        assert rows is not None and "title" not in {row.kind for row in rows}
        assert [row.kind for row in rows].count("tenant") == 1
        in_request = [(row.kind, row.id) for row in settings.list_labels(tenant_id)]
    assert in_request == [(row.kind, row.id) for row in settings.list_labels(tenant_id)] and in_request
