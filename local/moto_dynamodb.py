"""moto's DynamoDB made fit to be a long-running local database (the local stack, the tests, the benches).

moto 5.2.5 answers every call correctly for one client, but under real use:
- TransactWriteItems deep-copies every table it touches before applying and, when the transaction is
  cancelled, swaps the copies in. Cost grows with the size of the tables (every item and stream record
  copied on every transaction), and a stream iterator taken before a cancellation keeps reading the old
  table's stream forever: real-time rules and webhooks stop. Here a transaction keeps a copy of only the
  items it touches and, when cancelled, puts those back and drops the stream records it wrote: the
  tables and their streams stay the same objects.
- Requests run on many threads with no lock: two conditional writes can both pass their check, and a
  read can see half of an update. Here every DynamoDB and DynamoDB Streams request runs alone, as one
  serialisable step (what DynamoDB guarantees per item and per transaction).
- A query on a table walks every item of the table (all its partitions), and sizes every item of the
  partition, matching or not: cost grows with the table. Here a query on a table looks at the items of
  its partition whose sort key matches, and moto does the rest as before (order, pages, filters).
- moto keeps every model object it ever creates (each version of each item, each copy a query makes of
  its results, each stream record and shard iterator, each SQS message) in a list per class, for its
  dashboard: a long-running server only grows. Here those lists hold weak references: the dashboard
  still lists what is alive, and what is dropped is freed.
- Every request lists its handler class's methods with inspect.getmembers, to find the action's: the
  same list each time. Here it is listed once per class.
- Every response is built by a generic serializer that walks botocore's shape of each attribute value
  (ten members looked up through alias providers, for every attribute of every item): about 15 ms for
  a loan. An attribute value that is already in its wire form is passed through as is, and a binary
  value (a packed snapshot) is base64-encoded as the serializer would.
- Every item moto builds (each write, each item of a transaction, each copy of a query's results) is sized
  whole again for each of its attributes, to check DynamoDB's 400 KB limit: a loan of 40 attributes is
  sized 40 times. Here it is sized once, with the same limit and the same error.
- Every GetRecords call registers a new shard iterator, kept forever, and stream records are kept
  forever, as Python dicts (a loan's record, with its old and new images, is about 40 KB so). Here
  iterators expire 15 minutes after they are issued and stream records after 24 hours, as on AWS, and a
  record is kept as compressed JSON (about 1.5 KB for a loan's) until it is read.

install() applies all of it once per process, before any request; tests/test_moto_dynamodb.py checks
moto's own behaviour, so an upgrade that changes what is replaced here fails loudly.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import functools
import hashlib
import inspect
import json
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from moto.core import responses as moto_responses
from moto.core.common_models import BaseModel
from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse
from moto.core.serialize import BaseJSONSerializer
from moto.core.utils import utcnow
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    ItemSizeTooLarge,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import StreamRecord, StreamShard, Table
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

ITERATOR_LIFETIME_SECONDS = 15 * 60  # AWS: a shard iterator expires 15 minutes after it is returned
ITERATORS_KEPT = 1_000  # and at most this many, newest first (each GetRecords call issues one: a reader needs its last)
STREAM_RETENTION = timedelta(hours=24)  # AWS: stream records are kept 24 hours

# moto's code that is replaced or wrapped here, or whose shape this module relies on (StreamShard.add
# numbers records by their index; LimitedSizeDict.__setitem__ holds the item size limit), as read when it
# was written (moto 5.2.5).
REPLACED = {
    "DynamoDBBackend.transact_write_items": "81db2cb7d94e39c9",
    "DynamoDBStreamsBackend.get_records": "db8c6cb04430c08f",
    "StreamShard.get": "fa7e9a0d7b438c2f",
    "StreamShard.add": "357dc6da267e5dd7",
    "ShardIterator.__init__": "5842e50a95242ef8",
    "BaseJSONSerializer._serialize_type_structure": "36873909cd0aeb4d",
    "Table.query": "002b4d00be6df07c",
    "BaseModel.__new__": "08cf0ef20e88029a",
    "responses.method_names_from_class": "9dbac89d082b655f",
    "Item.__init__": "d9c12b62cb921831",
    "LimitedSizeDict.__setitem__": "d979580fdbe14f79",  # its limit, ITEM_SIZE_LIMIT
}


MAX_DEFER_SECONDS = 0.25  # a deferrable request waits behind others' at most this long, then takes any turn


class TurnLock:
    """One request at a time, DynamoDB and its streams alike (reentrant), with two kinds of turn: a request
    made deferrable (deferrable() below; the local stack's background) waits while a request that is not is
    waiting, for at most MAX_DEFER_SECONDS; then it takes the next turn it can, like any other. The API's
    calls are not queued behind the background's, and the background is never starved: under a steady
    stream of API calls it still gets a turn every quarter of a second or so."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._urgent = threading.Condition(self._guard)  # requests that are not deferrable wait on this
        self._deferred = threading.Condition(self._guard)
        self._owner: int | None = None
        self._depth = 0
        self._urgent_waiting = 0
        self._aged_waiting = 0  # deferrable requests that have waited MAX_DEFER_SECONDS

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._guard:
            if self._owner == me:
                self._depth += 1
                return
            if _deferrable.value:
                self._wait_deferred()
            else:
                self._urgent_waiting += 1
                try:
                    while self._owner is not None:
                        self._urgent.wait()
                finally:
                    self._urgent_waiting -= 1
            self._owner, self._depth = me, 1

    def _wait_deferred(self) -> None:
        """Holding the guard: returns once this deferrable request may take the turn."""
        deadline, aged = time.monotonic() + MAX_DEFER_SECONDS, False
        try:
            while self._owner is not None or (self._urgent_waiting and not aged):
                left = deadline - time.monotonic()
                if not aged and left <= 0:
                    aged = True
                    self._aged_waiting += 1
                    continue
                self._deferred.wait(None if aged else left)
        finally:
            if aged:
                self._aged_waiting -= 1

    def release(self) -> None:
        with self._guard:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a turn this thread does not hold")
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
            if not self._urgent_waiting:
                self._deferred.notify()
                return
            self._urgent.notify()
            if self._aged_waiting:
                self._deferred.notify_all()  # an aged request competes for this turn too

    def __enter__(self) -> TurnLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


class _Deferrable(threading.local):
    value = False


_deferrable = _Deferrable()


@contextlib.contextmanager
def deferrable(yes: bool = True) -> Iterator[None]:
    """Within it, this thread's requests take their turn after any other request waiting for one."""
    before, _deferrable.value = _deferrable.value, yes
    try:
        yield
    finally:
        _deferrable.value = before


LOCK = TurnLock()
ORIGINAL: dict[str, Callable[..., Any]] = {}  # moto's own functions, by the names in REPLACED
_installed = False


class LiveInstances:
    """What moto's per-class instance list is used as (append, iterate), holding weak references (keyed by
    id: some models define __eq__ without __hash__)."""

    def __init__(self) -> None:
        self._alive: dict[int, weakref.ref[Any]] = {}

    def append(self, instance: Any) -> None:
        key = id(instance)

        def forget(_: weakref.ref[Any]) -> None:
            self._alive.pop(key, None)

        try:
            self._alive[key] = weakref.ref(instance, forget)
        except TypeError:  # a model without weak references: not listed, rather than kept forever
            pass

    def __iter__(self) -> Any:
        return iter([alive for alive in (ref() for ref in list(self._alive.values())) if alive is not None])

    def __len__(self) -> int:
        return len(self._alive)


def _tracked_weakly(cls: type[BaseModel], *args: Any, **kwargs: Any) -> Any:
    """moto's BaseModel.__new__, with the class's list of instances made weak (moto's reset puts a plain
    list back: it is replaced again here)."""
    instance = super(BaseModel, cls).__new__(cls)
    tracked = cls.__dict__.get("instances_tracked")
    if not isinstance(tracked, LiveInstances):
        tracked = LiveInstances()
        cls.instances_tracked = tracked  # type: ignore[attr-defined]  # moto's metaclass sets it, untyped
    tracked.append(instance)
    return instance


def fingerprint(function: Callable[..., Any]) -> str:
    """A short hash of a function's source: what the test compares with REPLACED."""
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


class _Journal:
    """What a transaction needs to undo itself: a copy of each item it touches, taken before the
    write, and how long each touched table's stream was before the transaction."""

    def __init__(self, backend: DynamoDBBackend):
        self._backend = backend
        self._items: list[tuple[Table, DynamoType, DynamoType | None, Any]] = []
        self._streams: dict[int, tuple[StreamShard, int]] = {}

    def keep(self, table_name: str, key: dict[str, Any]) -> None:
        table = self._backend.get_table(table_name)
        hash_key, range_key = self._backend.get_keys_value(table, key)
        current = table.get_item(hash_key, range_key)
        self._items.append((table, hash_key, range_key, copy.deepcopy(current)))
        shard = table.stream_shard
        if shard is not None and id(shard) not in self._streams:
            self._streams[id(shard)] = (shard, len(shard.items))

    def undo(self) -> None:
        for table, hash_key, range_key, original in reversed(self._items):
            if range_key is None:
                if original is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = original
            elif original is None:
                table.items[hash_key].pop(range_key, None)
            else:
                table.items[hash_key][range_key] = original
        for shard, length in self._streams.values():
            del shard.items[length:]


def transact_write_items(  # noqa: C901 - moto's own function, kept branch for branch so it can be compared
    self: DynamoDBBackend, transact_items: list[dict[str, Any]]
) -> None:
    """moto's TransactWriteItems, step for step, with a journal of the touched items instead of a deep
    copy of every touched table (and a rollback before every error, which moto skips for one)."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    journal = _Journal(self)
    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []  # (code, message, item) per operation
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            journal.undo()
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            check_unicity(table_name, key)

            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression, expression_attribute_names, expression_attribute_values
                )
                if not condition_op.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)

            if op_type != "ConditionCheck":
                journal.keep(table_name, key)
            if op_type == "Put":
                self.put_item(
                    table_name,
                    op["Item"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Update":
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            journal.undo()
            raise
        except ConditionalCheckFailed as error:
            errors.append(("ConditionalCheckFailed", str(error.message), original_item))
        except Exception as error:  # as moto: any other failure cancels the transaction with its name
            errors.append((type(error).__name__, str(error), original_item))

    if any(code is not None for code, _, _ in errors):
        journal.undo()
        raise TransactionCanceledException(errors)


class ExpiredIteratorException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("ExpiredIteratorException", "Iterator expired or unknown: get a new shard iterator")


def _issued(self: ShardIterator, *args: Any, **kwargs: Any) -> None:
    """moto's ShardIterator.__init__, noting the iterator in its backend's queue of iterators issued."""
    ORIGINAL["ShardIterator.__init__"](self, *args, **kwargs)
    backend = self.streams_backend
    issued: collections.deque[tuple[float, str]] | None = getattr(backend, "issued", None)
    if issued is None:
        issued = backend.issued = collections.deque()  # type: ignore[attr-defined]  # ours, kept on moto's backend
    issued.append((time.monotonic(), self.arn))


def _expire(backend: DynamoDBStreamsBackend) -> None:
    """Drops the iterators issued longest ago, once expired or past ITERATORS_KEPT (oldest first, from a
    queue: deleting from the front of moto's dict would make finding its first entry slower each time)."""
    issued = getattr(backend, "issued", None)
    if not issued:
        return
    oldest_allowed = time.monotonic() - ITERATOR_LIFETIME_SECONDS
    while issued and (len(issued) > ITERATORS_KEPT or issued[0][0] < oldest_allowed):
        backend.shard_iterators.pop(issued.popleft()[1], None)


def get_records(self: DynamoDBStreamsBackend, iterator_arn: str, limit: int) -> dict[str, Any]:
    iterator = self.shard_iterators.get(iterator_arn)
    if iterator is None:
        raise ExpiredIteratorException()
    answer = iterator.get(limit)
    _expire(self)
    return answer


class PackedRecord:
    """A stream record as compressed JSON; to_json() gives moto's record back, unchanged."""

    __slots__ = ("created", "_data")

    def __init__(self, record: dict[str, Any]):
        dynamodb = record["dynamodb"]
        self.created = dynamodb["ApproximateCreationDateTime"]
        text = json.dumps(
            {**record, "dynamodb": {**dynamodb, "ApproximateCreationDateTime": None}}, separators=(",", ":")
        )  # TypeError for binary values: such a record stays as it is
        self._data = zlib.compress(text.encode(), 1)

    def to_json(self) -> dict[str, Any]:
        record = json.loads(zlib.decompress(self._data))
        record["dynamodb"]["ApproximateCreationDateTime"] = self.created
        return record


def stream_add(self: StreamShard, old: Any, new: Any) -> None:
    """moto's StreamShard.add, keeping the new record packed."""
    ORIGINAL["StreamShard.add"](self, old, new)
    if self.items and isinstance(self.items[-1], StreamRecord):
        try:
            self.items[-1] = PackedRecord(self.items[-1].record)  # type: ignore[call-overload]  # packed in moto's list
        except TypeError:
            pass


def _created(record: Any) -> Any:
    return (
        record.created if isinstance(record, PackedRecord) else record.record["dynamodb"]["ApproximateCreationDateTime"]
    )


def _kept_from(shard: StreamShard) -> int:
    """The index of the oldest record kept: records older than STREAM_RETENTION are dropped (set to None,
    so that sequence numbers keep pointing where they did)."""
    start = getattr(shard, "kept_from", 0)
    oldest_allowed = utcnow() - STREAM_RETENTION
    while start < len(shard.items) and (shard.items[start] is None or _created(shard.items[start]) < oldest_allowed):
        shard.items[start] = None  # type: ignore[call-overload]  # a dropped record, in moto's list
        start += 1
    shard.kept_from = start  # type: ignore[attr-defined]  # ours, kept on moto's shard
    return start


def stream_get(self: StreamShard, start: int, quantity: int) -> list[dict[str, Any]]:
    """moto's StreamShard.get, from the oldest record kept on (an iterator older than that skips ahead,
    as DynamoDB Streams' TRIM_HORIZON moves)."""
    begin = max(start - self.starting_sequence_number, _kept_from(self))
    return [record.to_json() for record in self.items[begin : begin + quantity]]


def query(
    self: Table,
    hash_key: DynamoType | None,
    range_comparison: str | None,
    range_objs: list[DynamoType],
    limit: int,
    exclusive_start_key: dict[str, Any],
    scan_index_forward: bool,
    projection_expressions: Any,
    index_name: str | None = None,
    consistent_read: bool = False,
    filter_expression: Any = None,
    hash_key_conditions: Any = None,
    range_key_conditions: Any = None,
    **filter_kwargs: Any,
) -> Any:
    """moto's Table.query, with its candidates (every item of the table, for a query without an index)
    narrowed to the partition's items whose sort key matches: the same answer, in the same order."""
    arguments = (
        self,
        hash_key,
        range_comparison,
        range_objs,
        limit,
        exclusive_start_key,
        scan_index_forward,
        projection_expressions,
        index_name,
        consistent_read,
        filter_expression,
    )
    keywords = {
        "hash_key_conditions": hash_key_conditions,
        "range_key_conditions": range_key_conditions,
        **filter_kwargs,
    }
    original = ORIGINAL["Table.query"]
    if index_name is not None or hash_key is None:
        return original(*arguments, **keywords)
    partition = self.items.get(hash_key)
    if partition is None:
        candidates: list[Any] = []
    elif isinstance(partition, dict):
        candidates = list(partition.values())
    else:
        candidates = [partition]
    if range_comparison and self.range_key_attr and not filter_kwargs and len(range_key_conditions or ()) <= 1:
        candidates = [item for item in candidates if item.range_key.compare(range_comparison, range_objs)]
    self.all_items = lambda: candidates  # type: ignore[method-assign]  # LOCK: no other request sees it
    try:
        return original(*arguments, **keywords)
    finally:
        del self.all_items


_SCALARS = {"S": str, "N": str, "BOOL": bool, "NULL": bool}


def _wire_form(value: Any) -> bool:
    """Whether an attribute value is exactly what the serializer would write: one member, scalars of
    their JSON type, sets of strings, maps and lists of such values; binary values are not (they are
    base64-encoded on the way out)."""
    if type(value) is not dict or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    if kind in _SCALARS:
        return type(inner) is _SCALARS[kind]
    if kind in ("SS", "NS"):
        return type(inner) is list and all(type(member) is str for member in inner)
    if kind == "M":
        return type(inner) is dict and all(type(name) is str and _wire_form(member) for name, member in inner.items())
    if kind == "L":
        return type(inner) is list and all(_wire_form(member) for member in inner)
    return False


def serialize_structure(self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
    if shape.name == "AttributeValue":
        if _wire_form(value):
            self._default_serialize(serialized, value, shape, key)
            return
        if type(value) is dict and len(value) == 1 and type(value.get("B")) is bytes:  # one binary value
            self._default_serialize(serialized, {"B": self._base64(value["B"])}, shape, key)
            return
    ORIGINAL["BaseJSONSerializer._serialize_type_structure"](self, serialized, value, shape, key)


ITEM_SIZE_LIMIT = 405_000  # moto's (DynamoDB's 400 KB, as moto measured where AWS refuses)


def _item(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    """moto's Item.__init__, with the size check once over the whole item (moto sums every attribute already
    set before each one it adds). The same total, compared with the same limit: the same items refused."""
    self.hash_key, self.range_key = hash_key, range_key
    values = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.__init__(values)
    total = 0
    for key, value in attrs.items():
        typed = DynamoType(value)
        total += bytesize(key) + typed.size()
        dict.__setitem__(values, key, typed)
    if total > ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = values  # still a LimitedSizeDict: an update expression's attribute is checked as moto does


def _serialised(call_action: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call_action)
    def call(self: BaseResponse) -> Any:
        with LOCK:
            return call_action(self)

    return call


def originals() -> dict[str, Callable[..., Any]]:
    """moto's functions named in REPLACED, as they are before install() (or were, after it)."""
    if ORIGINAL:
        return dict(ORIGINAL)
    return {
        "DynamoDBBackend.transact_write_items": DynamoDBBackend.transact_write_items,
        "DynamoDBStreamsBackend.get_records": DynamoDBStreamsBackend.get_records,
        "StreamShard.get": StreamShard.get,
        "StreamShard.add": StreamShard.add,
        "ShardIterator.__init__": ShardIterator.__init__,
        "BaseJSONSerializer._serialize_type_structure": BaseJSONSerializer._serialize_type_structure,
        "Table.query": Table.query,
        "BaseModel.__new__": BaseModel.__new__,
        "responses.method_names_from_class": moto_responses.method_names_from_class,
        "Item.__init__": Item.__init__,
        "LimitedSizeDict.__setitem__": LimitedSizeDict.__setitem__,
    }


def install() -> None:
    """Applies the fixes to moto's classes (once; safe to call again)."""
    global _installed
    if _installed:
        return
    ORIGINAL.update(originals())
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]  # moto's, replaced
    DynamoDBStreamsBackend.get_records = get_records  # type: ignore[method-assign]  # moto's, replaced
    StreamShard.get = stream_get  # type: ignore[method-assign]  # moto's, replaced
    StreamShard.add = stream_add  # type: ignore[method-assign]  # moto's, replaced
    ShardIterator.__init__ = _issued  # type: ignore[method-assign]  # moto's, replaced
    BaseJSONSerializer._serialize_type_structure = serialize_structure  # type: ignore[method-assign]  # moto's, replaced
    Table.query = query  # type: ignore[method-assign]  # moto's, replaced
    Item.__init__ = _item  # type: ignore[method-assign]  # moto's, replaced
    BaseModel.__new__ = staticmethod(_tracked_weakly)  # type: ignore[method-assign]  # moto's, replaced
    moto_responses.method_names_from_class = functools.lru_cache(maxsize=None)(
        ORIGINAL["responses.method_names_from_class"]
    )
    DynamoHandler.call_action = _serialised(DynamoHandler.call_action)  # type: ignore[method-assign]  # moto's, replaced
    DynamoDBStreamsHandler.call_action = _serialised(BaseResponse.call_action)  # type: ignore[method-assign]  # moto's, replaced
    _installed = True
