"""local.usage: DynamoDB's item sizes and request units as DynamoDB's published rules give them, checked
against moto's own item size (moto enforces DynamoDB's 400 KB limit with it)."""

from __future__ import annotations

import json

import pytest

from local import usage


@pytest.fixture(autouse=True)
def _fresh():
    usage.snapshot(reset=True)
    yield
    usage.snapshot(reset=True)


FLAT = [
    {"pk": {"S": "tnt_1"}, "n": {"N": "12345.67"}, "ok": {"BOOL": True}},
    {"pk": {"S": "b"}, "blob": {"B": "AAECAwQ="}, "body": {"S": "y" * 5000}},
]


@pytest.mark.parametrize("item", FLAT)
def test_a_flat_items_size_matches_moto(item):
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    hash_key = {"pk": item["pk"]}
    moto_item = Item(hash_key=DynamoType(hash_key["pk"]), range_key=None, attrs=item)
    assert abs(usage.item_size(item) - moto_item.size()) <= 3  # number sizes are estimated to within a byte or two


def test_maps_and_lists_carry_dynamodbs_overhead():
    """3 bytes per map or list and 1 per list element, as DynamoDB documents (moto leaves them out)."""
    item = {"pk": {"S": "é" * 10}, "m": {"M": {"a": {"S": "x"}, "b": {"L": [{"N": "1"}, {"NULL": True}]}}}}
    # pk: 2 + 20 (UTF-8); m: 1 + 3 + (a: 1 + 1) + (b: 1 + 3 + (1 + 2) + (1 + 1))
    assert usage.item_size(item) == 22 + 15


def _record(operation: str, sent: dict, got: dict | None = None) -> None:
    usage.record(f"DynamoDB_20120810.{operation}", json.dumps(sent).encode(), json.dumps(got or {}), 200)


def test_request_units_by_dynamodbs_rules():
    big = {"pk": {"S": "k"}, "body": {"S": "x" * 5000}}  # about 5 KB: 5 write units, 2 read units
    _record("PutItem", {"TableName": "T", "Item": big})
    _record("GetItem", {"TableName": "T", "ConsistentRead": True}, {"Item": big})
    _record("GetItem", {"TableName": "T"}, {"Item": big})
    _record("Query", {"TableName": "T", "ConsistentRead": True}, {"Items": [big, big]})
    _record("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "T", "Item": big}}]})
    counted = usage.snapshot()["calls"]
    assert counted["DynamoDB.PutItem T"]["writeUnits"] == 5
    assert counted["DynamoDB.GetItem T"] == {"calls": 2, "readUnits": 2 + 1, "writeUnits": 0}
    assert counted["DynamoDB.Query T"]["readUnits"] == 3  # the sizes summed first: 10 KB is 3 units
    assert counted["DynamoDB.TransactWriteItems T"]["writeUnits"] == 10  # transactional: twice
    assert counted["DynamoDB.TransactWriteItems (calls)"]["calls"] == 1


def test_an_empty_receive_is_counted_apart():
    usage.record("AmazonSQS.ReceiveMessage", b"{}", json.dumps({"Messages": []}), 200)
    usage.record("AmazonSQS.ReceiveMessage", b"{}", json.dumps({"Messages": [{"MessageId": "1"}]}), 200)
    counted = usage.snapshot()["calls"]
    assert counted["AmazonSQS.ReceiveMessage (empty)"]["calls"] == 1
    assert counted["AmazonSQS.ReceiveMessage"]["calls"] == 1


def test_a_transaction_counts_once_for_each_table_it_writes():
    """How many transactions wrote to a table (the benches' loan writes per loan-day), apart from the calls."""
    item = {"pk": {"S": "k"}}
    _record(
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": "Loans", "Item": item}},
                {"Put": {"TableName": "Audit", "Item": item}},
                {"Put": {"TableName": "Audit", "Item": item}},
            ]
        },
    )
    _record("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "Audit", "Item": item}}]})
    counted = usage.snapshot()["calls"]
    assert counted["DynamoDB.TransactWriteItems Loans"]["transactions"] == 1
    assert counted["DynamoDB.TransactWriteItems Audit"]["transactions"] == 2
    assert counted["DynamoDB.TransactWriteItems Audit"]["calls"] == 0  # the calls are counted once, apart
    assert counted["DynamoDB.TransactWriteItems (calls)"]["calls"] == 2
