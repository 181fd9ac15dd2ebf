"""UpdateItem's answer in moto 5.2.5 without copying the old item when the answer does not show it.

``DynamoHandler.update_item`` deep-copies the stored item before updating it, then turns the copy into JSON,
only to build the answer for ``ReturnValues`` ALL_OLD, UPDATED_OLD and UPDATED_NEW from the old attributes.
For NONE (the default) and ALL_NEW the copy is thrown away; the handlers ask for one of those on nearly all of
their ~16 UpdateItems per order. For them the module's ``copy.deepcopy`` answers ``None`` (what it copies
when no item is stored) without copying: the stored item is still read first (a key that does not match the
table's schema fails there as before), and the update, its conditions, the stream record and the answer are
moto's. Any other ReturnValues, valid or not, gets moto's copy (and moto's error for an invalid one).
"""

from __future__ import annotations

import contextvars
import copy
import threading
import types
from collections.abc import Callable
from typing import Any

import moto.dynamodb.responses as dynamodb_responses
from moto.dynamodb.responses import DynamoHandler

#: The ReturnValues whose answer is built without the old item.
ANSWERS_WITHOUT_OLD_ITEM = frozenset({"NONE", "ALL_NEW"})

#: Set while moto's ``update_item`` answers one of ``ANSWERS_WITHOUT_OLD_ITEM``: its old-item copy is skipped.
_old_item_unread: contextvars.ContextVar[bool] = contextvars.ContextVar("old_item_unread", default=False)
_lock = threading.Lock()


def _deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy`` for moto's DynamoDB responses module; ``None`` for the old item nobody reads."""
    if _old_item_unread.get():
        return None
    return copy.deepcopy(value, memo)


def _answering_without_old_item(update_item: Callable[[DynamoHandler], Any]) -> Callable[[DynamoHandler], Any]:
    def answered_update_item(self: DynamoHandler) -> Any:
        token = _old_item_unread.set(self.body.get("ReturnValues", "NONE") in ANSWERS_WITHOUT_OLD_ITEM)
        try:
            return update_item(self)
        finally:
            _old_item_unread.reset(token)

    answered_update_item.moto_update_item = update_item  # type: ignore[attr-defined]
    return answered_update_item


def install() -> None:
    """Skip the unread copy from now on (idempotent)."""
    with _lock:
        if hasattr(DynamoHandler.update_item, "moto_update_item"):
            return
        # moto's module calls copy.deepcopy through its own `copy` name (once: the old item in update_item).
        shim = types.SimpleNamespace(copy=copy.copy, deepcopy=_deepcopy, Error=copy.Error)
        setattr(dynamodb_responses, "copy", shim)  # noqa: B010 - moto's module-level import, not an export
        DynamoHandler.update_item = _answering_without_old_item(DynamoHandler.update_item)  # type: ignore[method-assign,assignment]
