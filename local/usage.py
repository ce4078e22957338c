"""What the local stack's calls to AWS would have cost on AWS (issue 19's cost model): in the moto server, per
API operation and resource, the calls made and, for DynamoDB, the read and write request units DynamoDB
would have charged (from the sizes of the items read and written, by DynamoDB's published rules). Off unless
the moto server runs with LOCAL_USAGE=1; read (and reset) at GET (DELETE) /_local_usage on the moto server.

Request units, on demand: a read of up to 4 KB is 1 unit strongly consistent, 0.5 eventually consistent (a
Query or Scan sums its items' sizes first); a write of up to 1 KB is 1 unit; transactional reads and writes
cost twice. An update or delete is counted at the size of the item it wrote (or 1 KB when the answer does
not say): DynamoDB charges the larger of the item before and after, so this can count low for an item
that shrank."""

from __future__ import annotations

import json
import math
import os
import threading
from typing import Any

ENABLED = os.environ.get("LOCAL_USAGE") == "1"
_lock = threading.Lock()
_counts: dict[str, dict[str, float]] = {}


def _value_size(value: dict[str, Any]) -> int:
    [(kind, inner)] = value.items()
    if kind in ("S", "B"):
        return len(inner.encode("utf-8")) if kind == "S" else len(inner) * 3 // 4  # B arrives base64-encoded
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + _value_size(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(len(str(v)) for v in inner)
    return len(json.dumps(inner))


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item in its wire form: attribute names plus values."""
    return sum(len(name.encode("utf-8")) + _value_size(value) for name, value in (item or {}).items())


def _reads(size: int, consistent: bool, factor: float = 1.0) -> float:
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5) * factor


def _writes(size: int, factor: float = 1.0) -> float:
    return max(1, math.ceil(size / 1024)) * factor


def _add(key: str, calls: int = 1, reads: float = 0.0, writes: float = 0.0, transactions: int = 0) -> None:
    with _lock:
        entry = _counts.setdefault(key, {"calls": 0, "readUnits": 0.0, "writeUnits": 0.0})
        entry["calls"] += calls
        entry["readUnits"] += reads
        entry["writeUnits"] += writes
        if transactions:  # a table's part of TransactWriteItems calls: how many of them wrote to it
            entry["transactions"] = entry.get("transactions", 0) + transactions


def record(target: str, request: bytes, answer: Any, status: int) -> None:  # noqa: C901 - one branch per operation
    """One call as the moto server answered it (X-Amz-Target, the request's body, the answer's body)."""
    service, _, operation = target.partition(".")
    if service == "AmazonSQS" and operation == "ReceiveMessage" and status == 200:
        got = json.loads(answer or "{}") if isinstance(answer, (str, bytes)) else {}
        # An empty receive is a poller's idle call: on AWS, Lambda's pollers make them whatever the book.
        _add("AmazonSQS.ReceiveMessage" if got.get("Messages") else "AmazonSQS.ReceiveMessage (empty)")
        return
    if not service.startswith("DynamoDB_") or status != 200:
        _add(f"{service}.{operation}" if operation else service or "other")
        return
    sent = json.loads(request or b"{}")
    got = json.loads(answer or "{}") if isinstance(answer, (str, bytes)) else {}
    table = sent.get("TableName", "")
    consistent = bool(sent.get("ConsistentRead"))
    if operation == "GetItem":
        _add(f"DynamoDB.GetItem {table}", reads=_reads(item_size(got.get("Item", {})), consistent))
    elif operation in ("Query", "Scan"):
        size = sum(item_size(i) for i in got.get("Items", []))
        _add(f"DynamoDB.{operation} {table}", reads=_reads(size, consistent))
    elif operation == "BatchGetItem":
        for name, items in got.get("Responses", {}).items():
            strong = bool(sent.get("RequestItems", {}).get(name, {}).get("ConsistentRead"))
            _add(f"DynamoDB.BatchGetItem {name}", calls=0, reads=sum(_reads(item_size(i), strong) for i in items))
        _add("DynamoDB.BatchGetItem (calls)")
    elif operation == "PutItem":
        _add(f"DynamoDB.PutItem {table}", writes=_writes(item_size(sent.get("Item", {}))))
    elif operation in ("UpdateItem", "DeleteItem"):
        size = item_size(got["Attributes"]) if got.get("Attributes") else 1024
        _add(f"DynamoDB.{operation} {table}", writes=_writes(size))
    elif operation == "BatchWriteItem":
        for name, requests in sent.get("RequestItems", {}).items():
            units = sum(_writes(item_size(r["PutRequest"]["Item"])) if "PutRequest" in r else 1 for r in requests)
            _add(f"DynamoDB.BatchWriteItem {name}", calls=0, writes=units)
        _add("DynamoDB.BatchWriteItem (calls)")
    elif operation == "TransactWriteItems":
        for name in {part.get("TableName", "") for entry in sent.get("TransactItems", []) for part in entry.values()}:
            _add(f"DynamoDB.TransactWriteItems {name}", calls=0, transactions=1)
        for entry in sent.get("TransactItems", []):
            [(kind, part)] = entry.items()
            name = part.get("TableName", "")
            if kind == "Put":
                _add(f"DynamoDB.TransactWriteItems {name}", calls=0, writes=_writes(item_size(part["Item"]), 2))
            elif kind == "ConditionCheck":
                _add(f"DynamoDB.TransactWriteItems {name}", calls=0, reads=_reads(0, True, 2))
            else:
                _add(f"DynamoDB.TransactWriteItems {name}", calls=0, writes=_writes(1024, 2))
        _add("DynamoDB.TransactWriteItems (calls)")
    elif operation == "TransactGetItems":
        for item in got.get("Responses", []):
            _add("DynamoDB.TransactGetItems", calls=0, reads=_reads(item_size(item.get("Item", {})), True, 2))
        _add("DynamoDB.TransactGetItems (calls)")
    else:
        _add(f"DynamoDB.{operation} {table}".strip())


def stored_bytes() -> dict[str, int]:
    """Each DynamoDB table's items, in bytes by DynamoDB's rules (what storage is billed on, before the 100
    bytes of overhead DynamoDB adds per item)."""
    from moto.dynamodb.models import dynamodb_backends

    sizes: dict[str, int] = {}
    for account in dynamodb_backends.values():
        for backend in account.values():
            for name, table in list(backend.tables.items()):
                items = list(table.all_items())
                sizes[name] = sizes.get(name, 0) + sum(item.size() + 100 for item in items)
    return sizes


def snapshot(reset: bool = False) -> dict[str, Any]:
    """{"calls": {operation and resource: {calls, readUnits, writeUnits}}, "storedBytes": {table: bytes}}."""
    with _lock:
        copied = {k: dict(v) for k, v in _counts.items()}
        if reset:
            _counts.clear()
    return {"calls": copied, "storedBytes": stored_bytes()}
