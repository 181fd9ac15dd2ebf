"""moto's whole state, kept once a recorded deployment has been replayed, and put back for later boots of the same
recording in the same process: a replay makes ~400 API calls through botocore and moto's dispatch (~0.3 CPU-s);
capturing the state pickles ~235 kB (~10 ms, once), putting it back unpickles them (~4 ms).

``capture`` pickles every account's backends of every moto service in use (``BackendDict._instances``) with
moto's random source; ``restore`` unpickles a fresh copy of them into the same ``BackendDict``s, so each boot
gets objects of its own and the snapshot is never touched. What pickle cannot copy as it is, or must not:

- a lock, a re-entrant lock or a condition: a new, free one (of the same kind, over the copied lock), so a copy
  never shares a lock with the snapshot; one that is held, or waited on, refuses the capture (a deployment
  holds none once it is done);
- a ``WeakValueDictionary`` (Lambda's functions by ARN): a new one over the copied values;
- a ``BackendDict`` (a model holding moto's registry of a service): the registry itself, never a copy (the state
  a registry keeps beyond its accounts' backends, S3's bucket names, is captured and put back with them);
- a dict, list or set one of moto's modules holds as a global, or holds inside one (a default configuration
  a model took without copying it, as a user pool takes Cognito's default email configuration): that very
  object, as the replay leaves the model holding it;
- a function defined inside another one, without a closure (a ``defaultdict``'s ``lambda: {}``), which pickle
  cannot name: the function itself, as ``copy.deepcopy`` keeps functions.

An object of one of the local cloud's own classes (a hook, a clock) belongs to the cloud that put it there and
refuses the capture, as does anything else pickle refuses (a closure, an open file): ``SnapshotError`` names
it, and the boot replays as before. The object graph is copied whole by one pickler, so two models sharing an
object share its copy. moto's own ``__getstate__`` (S3 keys, Lambda functions) applies. The tests
(``tests/localcloud/test_moto_snapshot.py``) prove a restored deployment equal, object by object, to the replay it
was captured from.
"""

from __future__ import annotations

import io
import pickle
import sys
import threading
import types
import weakref
from dataclasses import dataclass
from typing import Any

from moto.core.base_backend import AccountSpecificBackend, BackendDict, backend_lock
from moto.moto_api._internal import mock_random

from localcloud import moto_boot

_LOCK = type(threading.Lock())
_RLOCK = type(threading.RLock())


class SnapshotError(RuntimeError):
    """moto's state could not be captured; the message names the object that could not be copied."""


@dataclass(frozen=True)
class MotoSnapshot:
    """The pickled backends of each (service, account) in use, and moto's random source at capture."""

    #: The registry and account of each captured account's backends, in the order of ``payload``.
    accounts: tuple[tuple[BackendDict[Any], str], ...]
    #: Every registry in use, whose own state (beyond its accounts' backends) the payload holds too.
    registries: tuple[BackendDict[Any], ...]
    #: What the payload holds by reference, not by copy (by its index here): registries and local functions.
    shared: tuple[Any, ...]
    payload: bytes
    random_state: tuple[Any, ...]


#: The local cloud's own classes moto's state may hold and a copy may copy: plain data of moto's models. Any other
#: (a hook, a recorder, a clock) belongs to the cloud that put it there, and a later cloud must not get a copy.
_LOCAL_CLOUD_DATA = frozenset({moto_boot.LazyPrivateKey, moto_boot._KeyResolver})


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, shared: list[Any], by_reference: set[int]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared = shared
        self.by_reference = by_reference
        self._shared_index = {id(kept): index for index, kept in enumerate(shared)}

    def persistent_id(self, obj: Any) -> Any:
        # Called for every object pickled: one set lookup and one type test for the common case.
        if id(obj) in self.by_reference or (
            type(obj) is types.FunctionType and "<locals>" in obj.__qualname__ and obj.__closure__ is None
        ):
            index = self._shared_index.get(id(obj))
            if index is None:
                index = self._shared_index[id(obj)] = len(self.shared)
                self.shared.append(obj)
            return index
        return None

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is _LOCK:
            if obj.locked():
                raise SnapshotError("a lock in moto's state is held")
            return threading.Lock, ()
        if kind is _RLOCK:
            # A re-entrant lock tells whether anyone holds it only in its repr ("<unlocked _thread.RLock ...>").
            if not repr(obj).startswith("<unlocked"):
                raise SnapshotError("a re-entrant lock in moto's state is held")
            return threading.RLock, ()
        if kind is threading.Condition:
            if obj._waiters:
                raise SnapshotError("a condition in moto's state is waited on")
            return threading.Condition, (obj._lock,)
        if kind is weakref.WeakValueDictionary:
            return weakref.WeakValueDictionary, (dict(obj.items()),)
        if kind.__module__.startswith("localcloud.") and kind not in _LOCAL_CLOUD_DATA:
            raise SnapshotError(f"moto's state holds a {kind.__module__}.{kind.__qualname__}, part of a running cloud")
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, shared: tuple[Any, ...]) -> None:
        super().__init__(file)
        self.shared = shared

    def persistent_load(self, pid: Any) -> Any:
        return self.shared[pid]


#: The containers followed from moto's modules' globals: plain ones only (a registry is a dict subclass).
_PLAIN_CONTAINERS = (dict, list, set, tuple)


def _module_held() -> tuple[set[int], list[Any]]:
    """The ids of what is kept by reference: moto's registries (its modules' ``BackendDict`` globals and the ones
    in use), and the plain dicts, lists and sets moto's modules hold as globals or inside them (through plain
    dicts, lists, tuples and sets); and those objects (kept alive while their ids are used)."""
    globals_ = [
        value
        for name, module in list(sys.modules.items())
        if name.startswith("moto.") and module is not None
        for value in list(vars(module).values())
    ]
    found: list[Any] = [value for value in globals_ if isinstance(value, BackendDict)] + _in_use()
    held: set[int] = {id(registry) for registry in found}
    pending: list[Any] = [value for value in globals_ if type(value) in _PLAIN_CONTAINERS]
    while pending:
        value = pending.pop()
        if id(value) in held:
            continue
        held.add(id(value))
        found.append(value)
        items = value.values() if isinstance(value, dict) else value
        pending.extend(item for item in items if type(item) in _PLAIN_CONTAINERS)
    return held, found


def _in_use() -> list[BackendDict[Any]]:
    """moto's list of the registries holding backends (the ones its reset empties)."""
    registries: list[BackendDict[Any]] = BackendDict._instances  # type: ignore[misc]
    return registries


#: A registry's own attributes (``BackendDict.__init__``'s); any other is state a subclass keeps across accounts
#: (S3's bucket names to accounts), captured with the backends.
_REGISTRY_OWN = frozenset({"backend", "service_name", "_use_boto3_regions", "_additional_regions", "_id"})


def capture() -> MotoSnapshot:
    """moto's state now; ``SnapshotError`` when some of it cannot be copied."""
    with backend_lock:
        held = [(registry, account, backends) for registry in _in_use() for account, backends in registry.items()]
        registries = [
            (registry, {name: value for name, value in vars(registry).items() if name not in _REGISTRY_OWN})
            for registry in _in_use()
        ]
        shared: list[Any] = []
        buffer = io.BytesIO()
        by_reference, _alive = _module_held()
        try:
            _Pickler(buffer, shared, by_reference).dump(
                ([backends for _, _, backends in held], [state for _, state in registries])
            )
        except SnapshotError:
            raise
        except Exception as error:
            raise SnapshotError(f"moto's state cannot be copied: {type(error).__name__}: {error}") from error
    return MotoSnapshot(
        tuple((registry, account) for registry, account, _ in held),
        tuple(registry for registry, _ in registries),
        tuple(shared),
        buffer.getvalue(),
        mock_random.getstate(),
    )


def restore(snapshot: MotoSnapshot) -> None:
    """Puts a fresh copy of the captured state into moto (each captured account's backends replace the ones
    there) and moto's random source where it was; moto's reset at the end of the mock empties them as usual."""
    restored: tuple[list[AccountSpecificBackend[Any]], list[dict[str, Any]]] = _Unpickler(
        io.BytesIO(snapshot.payload), snapshot.shared
    ).load()
    backends_by_account, registry_states = restored
    with backend_lock:
        for registry, state in zip(snapshot.registries, registry_states, strict=True):
            for name, value in state.items():
                setattr(registry, name, value)
            if registry not in _in_use():
                _in_use().append(registry)
        for (registry, account), backends in zip(snapshot.accounts, backends_by_account, strict=True):
            dict.__setitem__(registry, account, backends)
    mock_random.setstate(snapshot.random_state)
