"""local.moto_dynamodb: moto's DynamoDB as a long-running local database. moto's own behaviour is checked
first, so an upgrade that changes what the module replaces fails here, loudly, instead of quietly
keeping (or breaking) a fix that is no longer needed."""

from __future__ import annotations

import sys
import threading
import time
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models import table as moto_table
from moto.dynamodb.models.dynamo_type import Item as DynamoItem
from moto.dynamodbstreams.models import dynamodbstreams_backends

from local import moto_dynamodb
from tests.conftest import empty_aws

REGION = "us-east-1"


@pytest.fixture
def dynamodb():
    with empty_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        for name in ("Loans", "Customers"):
            client.create_table(
                TableName=name,
                BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            )
        yield client


def _backend() -> DynamoDBBackend:
    return dynamodb_backends["123456789012"][REGION]


def _stream_items(table: str) -> list[Any]:
    """What moto keeps of the table's stream, oldest first (records, packed records, None once dropped)."""
    shard = _backend().tables[table].stream_shard
    assert shard is not None, f"{table} has a stream"
    return shard.items


def _put(client, table: str, sk: str, **attributes: str) -> None:
    client.put_item(
        TableName=table, Item={"pk": {"S": "t"}, "sk": {"S": sk}, **{k: {"S": v} for k, v in attributes.items()}}
    )


def _reader(table: str):
    """A stream reader that follows its iterator chain, as the local stack's pump does."""
    streams = boto3.client("dynamodbstreams", region_name=REGION)
    arn = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    state = {
        "iterator": streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
    }

    def read() -> list[str]:
        answer = streams.get_records(ShardIterator=state["iterator"])
        state["iterator"] = answer["NextShardIterator"]
        return [f"{r['eventName']} {r['dynamodb']['Keys']['sk']['S']}" for r in answer["Records"]]

    return read


def _cancelled(client) -> None:
    """A transaction that writes to both tables, then fails a condition: DynamoDB writes none of it."""
    with pytest.raises(ClientError) as raised:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "Loans", "Item": {"pk": {"S": "t"}, "sk": {"S": "ghost"}}}},
                {
                    "Update": {
                        "TableName": "Loans",
                        "Key": {"pk": {"S": "t"}, "sk": {"S": "a"}},
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"S": "changed"}},
                    }
                },
                {"Delete": {"TableName": "Customers", "Key": {"pk": {"S": "t"}, "sk": {"S": "c"}}}},
                {
                    "ConditionCheck": {
                        "TableName": "Customers",
                        "Key": {"pk": {"S": "t"}, "sk": {"S": "missing"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"


# ---------------------------------------------------------------- moto's own behaviour


def test_the_replaced_moto_code_is_the_code_this_module_was_written_against():
    changed = {
        name: moto_dynamodb.fingerprint(function)
        for name, function in moto_dynamodb.originals().items()
        if moto_dynamodb.fingerprint(function) != moto_dynamodb.REPLACED[name]
    }
    assert not changed, (
        f"moto changed {sorted(changed)} since local/moto_dynamodb.py was written: read the new code, "
        "check each fix is still needed and still right, then update REPLACED"
    )


def test_moto_itself_detaches_a_stream_reader_when_a_transaction_is_cancelled(dynamodb, monkeypatch):
    monkeypatch.setattr(
        DynamoDBBackend, "transact_write_items", moto_dynamodb.originals()["DynamoDBBackend.transact_write_items"]
    )
    _put(dynamodb, "Loans", "a", v="original")
    read = _reader("Loans")
    assert read() == ["INSERT a"]
    table = _backend().tables["Loans"]
    _cancelled(dynamodb)
    assert _backend().tables["Loans"] is not table, "moto no longer swaps in a copy of the table"
    _put(dynamodb, "Loans", "b")
    # The reader sees the records of the cancelled transaction and then nothing, ever: if moto mends this,
    # the journal in local.moto_dynamodb may no longer be needed.
    assert read() == ["INSERT ghost", "MODIFY a"]
    assert read() == []


# ---------------------------------------------------------------- with the fixes


def test_a_cancelled_transaction_writes_nothing_and_the_stream_reader_goes_on(dynamodb):
    _put(dynamodb, "Loans", "a", v="original")
    _put(dynamodb, "Customers", "c", name="Ada")
    loans, customers = _reader("Loans"), _reader("Customers")
    assert (loans(), customers()) == (["INSERT a"], ["INSERT c"])
    tables = dict(_backend().tables)

    _cancelled(dynamodb)

    assert all(_backend().tables[name] is table for name, table in tables.items()), "the tables are the same objects"
    assert dynamodb.get_item(TableName="Loans", Key={"pk": {"S": "t"}, "sk": {"S": "a"}})["Item"]["v"] == {
        "S": "original"
    }
    assert "Item" not in dynamodb.get_item(TableName="Loans", Key={"pk": {"S": "t"}, "sk": {"S": "ghost"}})
    assert dynamodb.get_item(TableName="Customers", Key={"pk": {"S": "t"}, "sk": {"S": "c"}})["Item"]["name"] == {
        "S": "Ada"
    }
    assert (loans(), customers()) == ([], []), "a cancelled transaction leaves no stream records"
    _put(dynamodb, "Loans", "b")
    _put(dynamodb, "Customers", "d")
    assert (loans(), customers()) == (["INSERT b"], ["INSERT d"])


def test_a_transaction_that_succeeds_writes_every_item_and_one_stream_record_each(dynamodb):
    _put(dynamodb, "Loans", "a", v="original")
    _put(dynamodb, "Customers", "c")
    read = _reader("Loans")
    read()
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "Loans", "Item": {"pk": {"S": "t"}, "sk": {"S": "new"}}}},
            {
                "Update": {
                    "TableName": "Loans",
                    "Key": {"pk": {"S": "t"}, "sk": {"S": "a"}},
                    "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"S": "changed"}},
                }
            },
            {
                "ConditionCheck": {
                    "TableName": "Customers",
                    "Key": {"pk": {"S": "t"}, "sk": {"S": "c"}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        ]
    )
    assert dynamodb.get_item(TableName="Loans", Key={"pk": {"S": "t"}, "sk": {"S": "a"}})["Item"]["v"] == {
        "S": "changed"
    }
    assert read() == ["INSERT new", "MODIFY a"]


def _invalid_after_a_write(client, sk: str) -> str:
    with pytest.raises(ClientError) as raised:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "Loans", "Item": {"pk": {"S": "t"}, "sk": {"S": sk}}}},
                {
                    "Update": {
                        "TableName": "Loans",
                        "Key": {"pk": {"S": "t"}, "sk": {"S": "second"}},
                        "UpdateExpression": "SET v = :missing",
                    }
                },
            ]
        )
    return raised.value.response["Error"]["Code"]


def test_an_invalid_operation_after_a_write_undoes_the_write_with_moto_s_own_error(dynamodb, monkeypatch):
    read = _reader("Loans")
    ours = _invalid_after_a_write(dynamodb, "first")
    assert "Item" not in dynamodb.get_item(TableName="Loans", Key={"pk": {"S": "t"}, "sk": {"S": "first"}})
    assert read() == []
    monkeypatch.setattr(
        DynamoDBBackend, "transact_write_items", moto_dynamodb.originals()["DynamoDBBackend.transact_write_items"]
    )
    assert _invalid_after_a_write(dynamodb, "other") == ours


def test_two_operations_on_one_item_are_refused_and_nothing_is_written(dynamodb):
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "Loans", "Item": {"pk": {"S": "t"}, "sk": {"S": "x"}}}},
                {"Delete": {"TableName": "Loans", "Key": {"pk": {"S": "t"}, "sk": {"S": "x"}}}},
            ]
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "Item" not in dynamodb.get_item(TableName="Loans", Key={"pk": {"S": "t"}, "sk": {"S": "x"}})


def test_a_cancellation_names_each_reason_in_order(dynamodb):
    _put(dynamodb, "Loans", "a", v="1")
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "Loans", "Item": {"pk": {"S": "t"}, "sk": {"S": "b"}}}},
                {
                    "Put": {
                        "TableName": "Loans",
                        "Item": {"pk": {"S": "t"}, "sk": {"S": "a"}, "v": {"S": "2"}},
                        "ConditionExpression": "v = :one",
                        "ExpressionAttributeValues": {":one": {"S": "9"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    reasons = raised.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["v"] == {"S": "1"}


def test_concurrent_conditional_writes_never_both_pass_their_check(dynamodb):
    """Optimistic locking from 8 threads: every increment that succeeded is counted exactly once."""
    dynamodb.put_item(TableName="Loans", Item={"pk": {"S": "t"}, "sk": {"S": "counter"}, "n": {"N": "0"}})
    won = []

    def increment(times: int) -> None:
        client = boto3.client("dynamodb", region_name=REGION)
        done = 0
        while done < times:
            n = int(
                client.get_item(TableName="Loans", Key={"pk": {"S": "t"}, "sk": {"S": "counter"}}, ConsistentRead=True)[
                    "Item"
                ]["n"]["N"]
            )
            try:
                client.put_item(
                    TableName="Loans",
                    Item={"pk": {"S": "t"}, "sk": {"S": "counter"}, "n": {"N": str(n + 1)}},
                    ConditionExpression="n = :n",
                    ExpressionAttributeValues={":n": {"N": str(n)}},
                )
            except ClientError:
                continue
            done += 1
            won.append(n)

    threads = [threading.Thread(target=increment, args=(25,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = dynamodb.get_item(TableName="Loans", Key={"pk": {"S": "t"}, "sk": {"S": "counter"}})["Item"]["n"]["N"]
    assert int(final) == 200 and sorted(won) == list(range(200)), "each value was read and replaced once"


def test_stream_records_older_than_a_day_are_dropped_and_readers_skip_ahead(dynamodb, monkeypatch):
    read = _reader("Loans")
    _put(dynamodb, "Loans", "old")
    later = moto_dynamodb.utcnow() + timedelta(hours=25)
    monkeypatch.setattr(moto_dynamodb, "utcnow", lambda: later)
    monkeypatch.setattr(moto_table, "utcnow", lambda: later)  # the clock moto stamps records with
    _put(dynamodb, "Loans", "new")
    assert read() == ["INSERT new"]
    assert _stream_items("Loans")[0] is None, "the old record is gone"
    assert _reader("Loans")() == ["INSERT new"], "TRIM_HORIZON starts at the oldest record kept"


def test_shard_iterators_expire_after_fifteen_minutes(dynamodb, monkeypatch):
    read = _reader("Loans")
    read()
    issued = moto_dynamodb.time.monotonic()
    monkeypatch.setattr(moto_dynamodb.time, "monotonic", lambda: issued + 16 * 60)
    _reader("Loans")()  # any GetRecords call expires what is too old
    with pytest.raises(ClientError) as raised:
        read()
    assert raised.value.response["Error"]["Code"] == "ExpiredIteratorException"
    assert len(dynamodbstreams_backends["123456789012"][REGION].shard_iterators) <= 2, "expired iterators are dropped"


ITEM = {
    "pk": {"S": "t"},
    "sk": {"S": "everything"},
    "text": {"S": "é ☃ \u2028"},
    "empty": {"S": ""},
    "number": {"N": "-12.50"},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "nothing": {"NULL": True},
    "names": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "blob": {"B": b"\x00\xffbinary"},
    "blobs": {"BS": [b"x", b"y"]},
    "map": {
        "M": {
            "inner": {"M": {"deep": {"L": [{"S": "x"}, {"N": "1"}, {"B": b"z"}, {"M": {}}, {"L": []}]}}},
            "flag": {"BOOL": True},
            "blob": {"B": b"\x01"},
        }
    },
    "list": {"L": [{"S": "a"}, {"NULL": True}, {"SS": ["q"]}, {"M": {"k": {"N": "3"}}}]},
}


def test_responses_are_the_same_with_the_serializer_shortcut(dynamodb, monkeypatch):
    dynamodb.put_item(TableName="Loans", Item=ITEM)
    key = {"pk": {"S": "t"}, "sk": {"S": "everything"}}
    fast = (
        dynamodb.get_item(TableName="Loans", Key=key),
        dynamodb.query(
            TableName="Loans", KeyConditionExpression="pk = :t", ExpressionAttributeValues={":t": {"S": "t"}}
        ),
    )
    monkeypatch.setattr(
        BaseJSONSerializer,
        "_serialize_type_structure",
        moto_dynamodb.originals()["BaseJSONSerializer._serialize_type_structure"],
    )
    slow = (
        dynamodb.get_item(TableName="Loans", Key=key),
        dynamodb.query(
            TableName="Loans", KeyConditionExpression="pk = :t", ExpressionAttributeValues={":t": {"S": "t"}}
        ),
    )
    for with_shortcut, without in zip(fast, slow, strict=True):
        assert (
            with_shortcut["Item" if "Item" in with_shortcut else "Items"]
            == without["Item" if "Item" in without else "Items"]
        )
    assert fast[0]["Item"] == ITEM


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "pk = :p"},
    {"KeyConditionExpression": "pk = :p", "ScanIndexForward": False},
    {"KeyConditionExpression": "pk = :p AND begins_with(sk, :a)", "ExpressionAttributeValues": {":a": {"S": "msg#"}}},
    {
        "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":a": {"S": "att#3"}, ":b": {"S": "hook#"}},
    },
    {"KeyConditionExpression": "pk = :p AND sk > :a", "ExpressionAttributeValues": {":a": {"S": "msg#5"}}, "Limit": 4},
    {
        "KeyConditionExpression": "pk = :p AND sk <= :a",
        "ExpressionAttributeValues": {":a": {"S": "hook#2"}},
        "ScanIndexForward": False,
        "Limit": 3,
    },
    {
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :a)",
        "ExpressionAttributeValues": {":a": {"S": "att#"}},
        "FilterExpression": "n > :n",
        "ProjectionExpression": "sk, n",
    },
    {
        "KeyConditionExpression": "pk = :p",
        "Limit": 5,
        "ExclusiveStartKey": {"pk": {"S": "tenant-1"}, "sk": {"S": "att#4"}},
    },
    {"KeyConditionExpression": "pk = :p AND sk = :a", "ExpressionAttributeValues": {":a": {"S": "msg#1"}}},
    {"KeyConditionExpression": "pk = :p AND begins_with(sk, :a)", "ExpressionAttributeValues": {":a": {"S": "none#"}}},
]


@pytest.mark.parametrize("query", QUERIES, ids=[q["KeyConditionExpression"] + str(i) for i, q in enumerate(QUERIES)])
def test_a_query_answers_exactly_what_moto_answers_looking_at_one_partition(dynamodb, monkeypatch, query):
    for tenant in ("tenant-1", "tenant-2", "tenant-3"):
        for kind in ("hook", "msg", "att"):
            for n in range(8):
                dynamodb.put_item(
                    TableName="Loans",
                    Item={"pk": {"S": tenant}, "sk": {"S": f"{kind}#{n}"}, "n": {"N": str(n)}, "t": {"S": tenant}},
                )
    values = {":p": {"S": "tenant-1"}, ":n": {"N": "2"}, **query.get("ExpressionAttributeValues", {})}
    used = {k: v for k, v in values.items() if k in query["KeyConditionExpression"] + query.get("FilterExpression", "")}
    arguments = {**query, "TableName": "Loans", "ExpressionAttributeValues": used}
    ours = dynamodb.query(**arguments)
    monkeypatch.setattr(moto_table.Table, "query", moto_dynamodb.originals()["Table.query"])
    theirs = dynamodb.query(**arguments)
    assert (ours["Items"], ours.get("LastEvaluatedKey"), ours["Count"]) == (
        theirs["Items"],
        theirs.get("LastEvaluatedKey"),
        theirs["Count"],
    )
    assert all(item.get("t", {"S": "tenant-1"}) == {"S": "tenant-1"} for item in ours["Items"])


def test_stream_records_read_the_same_packed_as_moto_keeps_them(dynamodb, monkeypatch):
    plain = {k: v for k, v in ITEM.items() if k not in ("blob", "blobs", "map", "sk")}  # no binary: packed

    def write_and_read(sk: str) -> list[dict]:
        read = boto3.client("dynamodbstreams", region_name=REGION)
        dynamodb.put_item(TableName="Loans", Item={**plain, "sk": {"S": sk}})
        dynamodb.put_item(TableName="Loans", Item={**plain, "sk": {"S": sk}, "number": {"N": "1"}})
        dynamodb.put_item(TableName="Loans", Item={**ITEM, "sk": {"S": sk + "-binary"}})  # binary: kept as moto's
        arn = dynamodb.describe_table(TableName="Loans")["Table"]["LatestStreamArn"]
        shard = read.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = read.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        records = read.get_records(ShardIterator=iterator)["Records"]
        return [
            {k: v for k, v in r.items() if k != "eventID"}
            for r in records
            if r["dynamodb"]["Keys"]["sk"]["S"].startswith(sk)
        ]

    ours = write_and_read("ours")
    assert isinstance(_stream_items("Loans")[0], moto_dynamodb.PackedRecord)
    monkeypatch.setattr(moto_table.StreamShard, "add", moto_dynamodb.originals()["StreamShard.add"])
    theirs = write_and_read("them")
    for mine, moto_s in zip(ours, theirs, strict=True):
        for record in (mine, moto_s):
            for image in ("Keys", "NewImage", "OldImage"):
                record["dynamodb"].get(image, {}).pop("sk", None)
            record["dynamodb"].pop("SequenceNumber")
            record["dynamodb"].pop("ApproximateCreationDateTime")
            record["dynamodb"].pop("SizeBytes")  # moto counts the creation time's text: it varies
    for mine, moto_s in zip(ours, theirs, strict=True):
        assert mine == moto_s
    assert len(ours) == len(theirs) == 3


def test_moto_no_longer_keeps_every_object_it_ever_made(dynamodb):
    """Each version of an item, each copy a query makes, each stream record: freed once dropped."""
    import gc

    from moto.dynamodb.models.dynamo_type import Item

    for n in range(50):
        _put(dynamodb, "Loans", "same", v=str(n))
        dynamodb.query(
            TableName="Loans", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "t"}}
        )
    gc.collect()
    tracked = vars(Item)["instances_tracked"]  # set on each model class by moto's metaclass
    assert isinstance(tracked, moto_dynamodb.LiveInstances)
    assert len(tracked) <= 3, "one item stored (the tracked list may hold what a response still uses)"
    assert [item.attrs["v"].value for item in tracked if "v" in item.attrs] == ["49"]


@pytest.mark.parametrize("size", [404_000, 404_900, 405_100, 420_000])
def test_an_item_is_refused_for_its_size_exactly_as_moto_refuses_it(dynamodb, monkeypatch, size):
    """Items sized once (moto_dynamodb._item) against moto's own per-attribute check, either side of the limit."""
    item = {
        "pk": {"S": "t"},
        "sk": {"S": str(size)},
        "a": {"S": "x" * (size // 2)},
        "b": {"L": [{"S": "y" * (size // 2)}]},
    }

    def outcome() -> str:
        try:
            dynamodb.put_item(TableName="Loans", Item=item)
        except ClientError as error:
            return error.response["Error"]["Message"]
        return "stored"

    ours = outcome()
    monkeypatch.setattr(DynamoItem, "__init__", moto_dynamodb.originals()["Item.__init__"])
    theirs = outcome()
    assert ours == theirs
    assert (ours == "stored") == (size < 405_000)


def _queue_behind_holder(kinds: list[bool]) -> list[int]:
    """Threads of the given kinds (True: deferrable) queue, in that order, for LOCK while this thread holds
    it; returns the order in which they got it once it is released."""
    order: list[int] = []
    entered = [threading.Event() for _ in kinds]

    def take(index: int, deferrable: bool) -> None:
        with moto_dynamodb.deferrable(deferrable):
            entered[index].set()
            with moto_dynamodb.LOCK:
                order.append(index)

    threads = [threading.Thread(target=take, args=(i, kind)) for i, kind in enumerate(kinds)]
    with moto_dynamodb.LOCK:
        for thread, event in zip(threads, entered, strict=True):
            thread.start()
            event.wait(5)
            deadline = time.monotonic() + 5
            while not _waiting(thread) and time.monotonic() < deadline:
                time.sleep(0.005)
    for thread in threads:
        thread.join(5)
    return order


def _waiting(thread: threading.Thread) -> bool:
    """The thread is blocked in LOCK.acquire (its frame waits on one of the lock's conditions)."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        if frame.f_code.co_name == "wait" and frame.f_code.co_filename.endswith("threading.py"):
            return True
        frame = frame.f_back
    return False


def test_a_request_that_is_not_deferrable_takes_its_turn_before_waiting_deferrable_ones(monkeypatch):
    """The background's requests (deferrable) queued first, the API's last: the API's go first, each kind in turn."""
    monkeypatch.setattr(moto_dynamodb, "MAX_DEFER_SECONDS", 60)  # no ageing while the test lines them up
    order = _queue_behind_holder([True, True, False, False])
    assert sorted(order[:2]) == [2, 3] and sorted(order[2:]) == [0, 1]


def test_deferrable_requests_are_served_when_nothing_else_waits(monkeypatch):
    monkeypatch.setattr(moto_dynamodb, "MAX_DEFER_SECONDS", 60)
    assert sorted(_queue_behind_holder([True, True, True])) == [0, 1, 2]


def test_the_lock_is_reentrant_and_free_again_after_the_outermost_release():
    with moto_dynamodb.LOCK, moto_dynamodb.LOCK:
        pass
    got = threading.Event()

    def take() -> None:
        with moto_dynamodb.LOCK:
            got.set()

    thread = threading.Thread(target=take)
    thread.start()
    thread.join(5)
    assert got.is_set()


def test_a_deferrable_request_is_not_starved_by_a_steady_stream_of_others(monkeypatch):
    """Three threads take turns so that one of them is always waiting; a deferrable request still gets a turn
    once it has waited MAX_DEFER_SECONDS."""
    monkeypatch.setattr(moto_dynamodb, "MAX_DEFER_SECONDS", 0.05)
    stop, got = threading.Event(), threading.Event()

    def busy() -> None:  # 1 ms in a turn, 0.5 ms out: another is waiting whenever a turn ends
        while not stop.is_set():
            with moto_dynamodb.LOCK:
                time.sleep(0.001)
            time.sleep(0.0005)

    def background() -> None:
        with moto_dynamodb.deferrable(), moto_dynamodb.LOCK:
            got.set()

    busy_threads = [threading.Thread(target=busy) for _ in range(3)]
    for thread in busy_threads:
        thread.start()
    time.sleep(0.05)
    waiting = threading.Thread(target=background)
    waiting.start()
    try:
        assert got.wait(5), "the deferrable request never got a turn"
    finally:
        stop.set()
        for thread in (*busy_threads, waiting):
            thread.join(5)


def test_only_the_holder_releases_a_turn():
    with pytest.raises(RuntimeError):
        moto_dynamodb.LOCK.release()


def test_deferrable_is_per_thread_and_put_back_after():
    seen: list[bool] = []
    with moto_dynamodb.deferrable():
        other = threading.Thread(target=lambda: seen.append(moto_dynamodb._deferrable.value))
        other.start()
        other.join()
        seen.append(moto_dynamodb._deferrable.value)
    seen.append(moto_dynamodb._deferrable.value)
    assert seen == [False, True, False]
