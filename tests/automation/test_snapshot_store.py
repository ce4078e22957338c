"""lms.store.snapshots: a snapshot is kept packed (one binary attribute) and reads back exactly; a snapshot
written as a map before still reads the same."""

from __future__ import annotations

from decimal import Decimal

from lms.store import snapshots
from lms.store.tables import SnapshotItem, scoped

BODY = {
    "values": {"principalBalance": "11873.40", "daysPastDue": 12, "nextDue": "2026-03-15", "flags": [True, None]},
    "loanStatus": "Active",
    "loanSubStatus": "Past Due",
    "chargedOff": False,
    "rate": Decimal("9.125"),
}


def test_a_snapshot_reads_back_exactly_as_written_and_is_kept_in_one_attribute(aws):
    snapshots.put_many_loans("t1", {"loan1": [("2026-03-01", BODY), ("2026-03-02", {**BODY, "chargedOff": True})]})
    items, cursor = snapshots.page("t1", "loan1", 10, None)
    assert cursor is None
    assert items == [{"date": "2026-03-01", **BODY}, {"date": "2026-03-02", **BODY, "chargedOff": True}]
    assert type(items[0]["rate"]) is Decimal and type(items[0]["values"]["daysPastDue"]) is int
    stored = SnapshotItem.get(scoped("t1", "loan1"), "2026-03-01")
    assert stored.body is None and type(stored.packed) is bytes  # one attribute, not a map of them


def test_a_snapshot_written_as_a_map_before_still_reads(aws):
    SnapshotItem(scoped("t1", "loan2"), "2026-03-01", body=BODY).save()
    snapshots.put_many("t1", "loan2", [("2026-03-02", BODY)])
    assert snapshots.between("t1", "loan2", "2026-03-01", "2026-03-02") == [
        {"date": "2026-03-01", **BODY},
        {"date": "2026-03-02", **BODY},
    ]
