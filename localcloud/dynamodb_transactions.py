"""DynamoDB transactions in moto without copying whole tables (moto 5.2.5).

moto's ``transact_write_items`` deep-copies every table the transaction names before it starts, so that it
can swap the copies back in when the transaction is cancelled. The cost grows with the table: each order
placed or reserved copied every order and reservation made before it, and CPU per order grew with the run.
Here the backup holds only what a transaction can change: a deep copy of each item it names (or the fact
that the item did not exist) and the length of each named table's stream. A cancelled transaction puts
those items back, removes the items it created, and drops the stream records it added, which is what
swapping the copied table back in did for a transaction; unlike the swap, writes other callers made to other
items of the table meanwhile are kept (the stream is cut back to its length before the transaction, as the
swap did: moto numbers a record by its position). ``install()`` once per process (idempotent).

DynamoDB applies each operation to an item atomically; moto does not, and the local cloud calls it from many
threads (handlers, the Step Functions interpreter, pollers). Two UpdateItems of one new item could each find
no item and each create one, so one update was lost, and a read could see an update half applied. So every
DynamoDB API call runs under ``OPERATIONS``, one at a time, as does every direct read of moto's tables.
"""

from __future__ import annotations

import contextvars
import copy
import threading
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import moto.dynamodb.models as dynamodb_models
import moto.dynamodb.responses as dynamodb_responses
from moto.dynamodb.exceptions import MockValidationException, TransactionCanceledException
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

#: Held for the whole of each DynamoDB API call, a transaction included: a direct reader (``localcloud.direct``)
#: takes it too, so it never sees an item half updated, nor the records of a transaction that is then
#: cancelled (moto writes each operation as it goes, and a cut-back stream would reuse the sequence numbers
#: the reader has already passed).
OPERATIONS = threading.RLock()
#: Set while moto's transact_write_items runs under ``install``: its table copy is skipped.
_skip_table_copy: contextvars.ContextVar[bool] = contextvars.ContextVar("skip_table_copy", default=False)
_installed = threading.Lock()
_state = {"installed": False}


@dataclass
class _ItemBackup:
    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    #: A deep copy of the item before the transaction; None when it did not exist.
    item: Any

    def restore(self) -> None:
        items: Any = self.table.items
        if self.range_key is not None:
            if self.item is None:
                items.get(self.hash_key, {}).pop(self.range_key, None)
            else:
                items[self.hash_key][self.range_key] = self.item
        elif self.item is None:
            items.pop(self.hash_key, None)
        else:
            items[self.hash_key] = self.item


@dataclass
class TransactionBackup:
    """What one transaction can change: the items it names and how long each named table's stream was."""

    items: list[_ItemBackup] = field(default_factory=list)
    stream_lengths: list[tuple[Table, int]] = field(default_factory=list)

    @classmethod
    def take(cls, backend: Any, transact_items: list[dict[str, Any]]) -> TransactionBackup:
        backup = cls()
        seen: set[int] = set()
        for entry in transact_items:
            for op_type, op in entry.items():
                table = backend.tables.get(op.get("TableName")) if isinstance(op, Mapping) else None
                if table is None:
                    continue  # moto refuses the operation before it writes anything
                if id(table) not in seen:
                    seen.add(id(table))
                    shard = table.stream_shard
                    if shard is not None:
                        backup.stream_lengths.append((table, len(shard.items)))
                item = _backed_up_item(table, op_type, op)
                if item is not None:
                    backup.items.append(item)
        return backup

    def restore(self) -> None:
        for item in reversed(self.items):
            item.restore()
        for table, length in self.stream_lengths:
            if table.stream_shard is not None:
                del table.stream_shard.items[length:]


def _backed_up_item(table: Table, op_type: str, op: Mapping[str, Any]) -> _ItemBackup | None:
    key = op.get("Item") if op_type == "Put" else op.get("Key")
    if not isinstance(key, Mapping):
        return None
    try:
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr is not None else None
    except (KeyError, TypeError):
        return None  # a malformed key: moto refuses that operation without writing it
    current = table.get_item(hash_key, range_key)
    return _ItemBackup(table, hash_key, range_key, copy.deepcopy(current))


def _deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """moto's module-level ``copy.deepcopy``, except for a table under a patched transaction."""
    if _skip_table_copy.get() and isinstance(value, Table):
        return value  # the swap back is a no-op; TransactionBackup restores what changed
    return copy.deepcopy(value, memo)


@contextmanager
def _without_table_copies() -> Iterator[None]:
    token = _skip_table_copy.set(True)
    try:
        yield
    finally:
        _skip_table_copy.reset(token)


def install() -> None:
    """Patch moto's DynamoDB backend (idempotent)."""
    with _installed:
        if _state["installed"]:
            return
        backend_class = dynamodb_models.DynamoDBBackend
        original = backend_class.transact_write_items

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            with OPERATIONS:
                backup = TransactionBackup.take(self, transact_items)
                try:
                    with _without_table_copies():
                        original(self, transact_items)
                except (TransactionCanceledException, MockValidationException):
                    backup.restore()
                    raise

        # moto's module calls copy.deepcopy through its own `copy` name: only that module sees the shim.
        shim = types.SimpleNamespace(copy=copy.copy, deepcopy=_deepcopy, Error=copy.Error)
        setattr(dynamodb_models, "copy", shim)  # noqa: B010 - moto's module-level import, not an export
        setattr(backend_class, "transact_write_items", transact_write_items)  # noqa: B010
        _serialise_api_calls()
        _state["installed"] = True


def _serialise_api_calls() -> None:
    """Each DynamoDB API call (every action of moto's DynamoDB response class) holds ``OPERATIONS``."""
    handler_class = dynamodb_responses.DynamoHandler
    call_action = handler_class.call_action

    def serialised_call_action(self: Any) -> Any:
        with OPERATIONS:
            return call_action(self)

    setattr(handler_class, "call_action", serialised_call_action)  # noqa: B010
