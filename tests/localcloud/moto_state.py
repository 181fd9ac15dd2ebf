"""moto's whole state as plain, comparable values: every backend of every account in use, object by object, and
what moto keeps beside them (a registry's own attributes, moto's modules' mutable globals, its random source).

Two states compare equal when they hold the same objects with the same values in the same shape: an object
reached twice is recorded the second time as the path it was first seen at, so sharing counts too. Locks and
conditions compare by kind and by whether they are held; functions, classes and modules by name.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import re
import sys
import threading
import types
import uuid
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from moto.core.base_backend import BackendDict
from moto.moto_api._internal import mock_random

_LOCK = type(threading.Lock())
_RLOCK = type(threading.RLock())
_ATOMS = (bool, int, float, complex, str, bytes, dt.datetime, dt.date, dt.time, dt.timedelta, decimal.Decimal)
_NAMED = (type, types.FunctionType, types.BuiltinFunctionType, types.ModuleType, types.MethodWrapperType)
_REGISTRY_OWN = frozenset({"backend", "service_name", "_use_boto3_regions", "_additional_regions", "_id"})


class _Walk:
    def __init__(self) -> None:
        self.seen: dict[int, str] = {}
        self.keep: list[Any] = []  # the walked objects stay alive, so no id is reused during the walk

    def value(self, obj: Any, path: str) -> Any:
        named = _by_name(obj)
        if named is not None:
            return named
        if isinstance(obj, types.MethodType):
            return ("method", obj.__func__.__qualname__, self.value(obj.__self__, f"{path}.__self__"))
        if id(obj) in self.seen:
            return ("seen", self.seen[id(obj)])
        self.seen[id(obj)] = path
        self.keep.append(obj)
        return self._container(obj, path)

    def _container(self, obj: Any, path: str) -> Any:
        kind = type(obj)
        if kind in (_LOCK, _RLOCK, threading.Condition):
            return self._lock(obj, path)
        if isinstance(obj, dict | weakref.WeakValueDictionary | weakref.WeakKeyDictionary):
            items = [
                (self.value(key, f"{path}<key {index}>"), self.value(item, f"{path}[{key!r}]"))
                for index, (key, item) in enumerate(list(obj.items()))
            ]
            return (kind.__qualname__, items, self._attributes(obj, path) if hasattr(obj, "__dict__") else None)
        if isinstance(obj, list | tuple):
            return (kind.__qualname__, [self.value(item, f"{path}[{index}]") for index, item in enumerate(obj)])
        if isinstance(obj, set | frozenset):
            return (kind.__qualname__, sorted(repr(self.value(item, f"{path}{{}}")) for item in obj))
        if kind is object:
            return ("object",)  # a sentinel
        if not (hasattr(obj, "__dict__") or hasattr(kind, "__slots__")):
            raise TypeError(f"{path}: no way to compare a {kind.__module__}.{kind.__qualname__}")
        return (f"{kind.__module__}.{kind.__qualname__}", self._attributes(obj, path))

    def _lock(self, obj: Any, path: str) -> Any:
        if type(obj) is threading.Condition:
            state = vars(obj)
            return ("condition", self.value(state["_lock"], f"{path}._lock"), len(state["_waiters"]))
        return ("lock", type(obj).__name__, not repr(obj).startswith("<unlocked"))

    def _attributes(self, obj: Any, path: str) -> list[tuple[str, Any]]:
        getstate = getattr(type(obj), "__getstate__", None)
        if getstate is not None and getstate is not object.__getstate__ and not isinstance(obj, dict):
            state = obj.__getstate__()  # the state the class itself says it has (an S3 key's value, not its file)
            return [("__getstate__", self.value(state, f"{path}.__getstate__()"))]
        names = list(getattr(obj, "__dict__", {}))
        names += [name for cls in type(obj).__mro__ for name in getattr(cls, "__slots__", ()) if hasattr(obj, name)]
        return [(name, self.value(getattr(obj, name), f"{path}.{name}")) for name in names if name != "__weakref__"]


#: Values compared as they are or by their name (functions, classes, registries), by the types they are of.
_BY_NAME: tuple[tuple[Any, Callable[[Any], Any]], ...] = (
    (enum.Enum, lambda obj: ("enum", type(obj).__qualname__, obj.name)),
    (_ATOMS, lambda obj: obj),
    (_NAMED, lambda obj: ("named", getattr(obj, "__module__", None), getattr(obj, "__qualname__", repr(obj)))),
    (BackendDict, lambda obj: ("registry", obj.service_name)),
    (re.Pattern, lambda obj: ("pattern", obj.pattern, obj.flags)),
    (uuid.UUID, lambda obj: ("uuid", str(obj))),
)


def _by_name(obj: Any) -> Any:
    """A value compared as it is, or by its name; None for anything else."""
    if obj is None:
        return ("none",)
    for kinds, plain in _BY_NAME:
        if isinstance(obj, kinds):
            return plain(obj)
    return None


def _registries() -> list[BackendDict[Any]]:
    registries: list[BackendDict[Any]] = BackendDict._instances  # type: ignore[misc]
    return registries


def _module_globals() -> Iterator[tuple[str, Any]]:
    """moto's modules' mutable globals: state kept beside the backends (a cache of patterns is not state)."""
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("moto.") or module is None:
            continue
        for attribute, value in sorted(vars(module).items()):
            if isinstance(value, dict | list | set) and not attribute.startswith("__"):
                yield f"{name}.{attribute}", value


def moto_state() -> dict[str, Any]:
    """Everything moto holds now, as plain values (see the module's docstring)."""
    walk = _Walk()
    state: dict[str, Any] = {}
    for registry in sorted(_registries(), key=lambda found: found.service_name):
        own = {name: value for name, value in vars(registry).items() if name not in _REGISTRY_OWN}
        state[f"registry {registry.service_name}"] = walk.value(own, registry.service_name)
        for account, backends in sorted(registry.items()):
            for region, backend in sorted(dict.items(backends)):
                where = f"{registry.service_name}[{account}][{region}]"
                state[where] = walk.value(backend, where)
    for where, value in _module_globals():
        state[where] = walk.value(value, where)
    state["moto's random source"] = mock_random.getstate()  # the ids moto gives next
    return state


def differences(before: dict[str, Any], after: dict[str, Any], limit: int = 10) -> list[str]:
    """The first ``limit`` places where two states differ, named by where they are."""
    found: list[str] = []
    for where in sorted(before.keys() | after.keys()):
        if before.get(where) != after.get(where):
            found.append(_first_difference(where, before.get(where), after.get(where)))
            if len(found) >= limit:
                break
    return found


def _first_difference(where: str, left: Any, right: Any) -> str:
    while True:
        if type(left) is not type(right) or not isinstance(left, list | tuple) or len(left) != len(right):
            return f"{where}: {str(left)[:300]} != {str(right)[:300]}"
        index = next(index for index, (a, b) in enumerate(zip(left, right, strict=True)) if a != b)
        where, left, right = f"{where}/{index}", left[index], right[index]


def leaf_differences(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Every value that differs between two states of the same shape, with where it is (a place present in only
    one of them is a difference of its own, with None on the other side)."""
    found: list[tuple[str, Any, Any]] = []
    for where in sorted(before.keys() | after.keys()):
        found.extend(_leaves(where, before.get(where), after.get(where)))
    return found


def _leaves(where: str, left: Any, right: Any) -> Iterator[tuple[str, Any, Any]]:
    if left == right:
        return
    if type(left) is type(right) and isinstance(left, list | tuple) and len(left) == len(right):
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            yield from _leaves(f"{where}/{index}", a, b)
        return
    yield where, left, right


def a_time_within(value: Any, window: tuple[float, float]) -> bool:
    """Whether ``value`` is a time inside ``window``: a datetime, epoch seconds or milliseconds, or ISO text."""
    start, end = window
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("000Z", "Z"))
        except ValueError:
            return False
    if isinstance(value, dt.datetime):
        return start <= (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp() <= end
    if isinstance(value, int | float) and not isinstance(value, bool):
        return start <= value <= end or start * 1000 <= value <= end * 1000
    return False
