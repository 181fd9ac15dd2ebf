"""Per-resource work of the Pulumi SDK that gives the same answer every time, done once in a run under mocks.

Three of the SDK's functions are replaced for the duration of a mock run (``lean_types()``), only when the
installed SDK is the one they were checked against (``lean_outputs.applies``); on another SDK the run uses the
SDK's own code. ``tests/unit/test_lean_types.py`` compares each with the SDK's; ``tests/unit/test_lean_evaluation.py``
compares the whole graph.

1. ``_types.unwrap_type`` and ``unwrap_optional_type`` take apart a type annotation (``Optional[Input[T]]`` to
   ``T``) for every property serialized or resolved: tens of thousands of calls a run, over a few thousand
   distinct annotation objects, each call several ``typing.get_origin``/``get_args`` walks. Both are pure
   functions of the annotation object, so each object's answer is kept, keyed by identity (two annotations
   may compare equal and still unwrap differently, ``Union[A, B]`` and ``Union[B, A]``) and holding the object,
   so that its id is not reused while the answer is kept. A call that raises is not kept and raises again.
2. ``_types.resource_types``, which ``rpc.resolve_outputs`` asks once per resource for the types of its class's
   outputs, builds a throwaway class and resolves its annotations each time; it is kept per class, read-only.
3. ``Output._track`` registers each new Output's data with ``SETTINGS.outputs`` (so the run waits for it) and
   adds a callback that removes it once it resolves; the SDK's version reads the two context-variable settings
   through their descriptors (three Python calls a read) on each call and again in each callback. Here the set
   and the lock are read once, from their context variables, and the callback closes over them: the same set
   the SDK's callback reads (a future's callbacks run in a copy of the context taken when they were added).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from pulumi import _types
from pulumi.output import Output
from pulumi.runtime.settings import Settings

from devtools.lean_outputs import applies

A = TypeVar("A")
R = TypeVar("R")


class AnswersByIdentity(Generic[A, R]):
    """``function``'s answer for each argument object, computed on its first call with that object."""

    def __init__(self, function: Callable[[A], R]) -> None:
        self.function = function
        self.answers: dict[int, tuple[A, R]] = {}

    def __call__(self, argument: A) -> R:
        known = self.answers.get(id(argument))
        if known is not None and known[0] is argument:
            return known[1]
        answer = self.function(argument)
        self.answers[id(argument)] = (argument, answer)
        return answer


_sdk_unwrap_type = _types.unwrap_type
_sdk_unwrap_optional_type = _types.unwrap_optional_type
_sdk_resource_types = _types.resource_types
unwrap_type = AnswersByIdentity(_sdk_unwrap_type)
unwrap_optional_type = AnswersByIdentity(_sdk_unwrap_optional_type)
_resource_types: AnswersByIdentity[type, Mapping[str, type]] = AnswersByIdentity(
    lambda resource_class: types.MappingProxyType(_sdk_resource_types(resource_class))
)


def resource_types(resource_class: type) -> Mapping[str, type]:
    """``_types.resource_types``: the Pulumi names and types of a resource class's outputs, read-only."""
    return _resource_types(resource_class)


def _forget_when_resolved(outputs: set[asyncio.Future[Any]], lock: threading.Lock, data: asyncio.Future[Any]) -> None:
    """The SDK's callback: a resolved Output's data leaves the set; a cancelled or failed one stays, so that
    the run's end finds it and reports its error."""
    if data.cancelled() or data.exception() is not None:
        return
    with lock:
        outputs.discard(data)  # the SDK's remove, KeyError ignored: the run's end may have taken it already


#: The two settings ``track`` reads: context-variable properties of the SDK's ``Settings``.
_LOCK_SETTING = vars(Settings)["lock"]
_OUTPUTS_SETTING = vars(Settings)["outputs"]


def _setting(setting: Any) -> Any:
    """What ``SETTINGS.<setting>`` answers: the descriptor's ``__get__``, read straight from its context variable
    (a dict value answers the descriptor itself, as there)."""
    value = setting._data.get(setting._ContextProperty__default)
    return setting if isinstance(value, dict) else value


def track(output: Output[Any]) -> None:
    """``Output._track``: the run waits for ``output``'s data until it resolves."""
    lock, outputs = _setting(_LOCK_SETTING), _setting(_OUTPUTS_SETTING)
    with lock:
        outputs.add(output._data)

    def forget(data: asyncio.Future[Any]) -> None:
        _forget_when_resolved(outputs, lock, data)

    output._data.add_done_callback(forget)


@contextlib.contextmanager
def lean_types() -> Iterator[None]:
    """The replacements, for one run under mocks; the SDK's functions are put back after it."""
    if not applies():
        yield
        return
    sdk = (_types.unwrap_type, _types.unwrap_optional_type, _types.resource_types, Output._track)
    _types.unwrap_type = unwrap_type  # type: ignore[assignment]
    _types.unwrap_optional_type = unwrap_optional_type  # type: ignore[assignment]
    _types.resource_types = resource_types  # type: ignore[assignment]
    Output._track = track  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        _types.unwrap_type, _types.unwrap_optional_type, _types.resource_types, Output._track = sdk  # type: ignore[method-assign]
