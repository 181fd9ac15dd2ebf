"""Two of the Pulumi SDK's per-resource costs that a run under mocks does not need, replaced for that run only.

Both are pinned to the SDK version they were checked against (``PULUMI_VERSION``): each replacement answers
what the SDK's function answers (the same ``Output`` data: value, known, secret, resources; the same
exceptions), with fewer futures and tasks. ``tests/unit/test_lean_outputs.py`` compares them with the SDK's.

``applies()`` is the one policy of every lean replacement (this module's, ``lean_types``' and
``lean_monitor``'s): on another SDK the run uses the SDK's own code, the same graph only slower, and a warning
names both versions once per process, so an SDK upgrade never fails a test for being unchecked, while
``make bench``'s "a stack under mocks" figure and the warning show the replacements are off.

1. ``rpc.transfer_properties`` gives a new resource one ``Output`` per property (every output property of a
   provider resource, most never read) and builds each from four futures and a task that awaits them. Here each
   property's ``Output`` rests on one future the resolver completes with the whole ``_OutputData``: the way the
   SDK's own ``resource_output`` builds a resource's ``urn`` and ``id``. That was a third of a run's tasks.
2. ``create_urn``, which each registration calls to compute the URN the mock monitor would answer, builds a
   chain of Outputs (five tasks) to concatenate strings it already holds. When the name, type and parent URN
   are plain strings, the answer is that concatenation as a known Output; otherwise the SDK's code runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import warnings
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pulumi.runtime.resource as resource_runtime
from pulumi.output import Output, _OutputData
from pulumi.runtime import rpc, settings

#: The SDK whose ``transfer_properties`` and ``create_urn`` the replacements below were checked against.
PULUMI_VERSION = "3.272.0"


@functools.cache
def _installed_pulumi() -> str:
    return version("pulumi")  # about a millisecond (it reads the package metadata): once per process


class UncheckedPulumiVersionWarning(UserWarning):
    """The lean replacements were checked against another SDK: the runs use the SDK's own code."""


@functools.cache
def _warn_unchecked(installed: str) -> None:
    warnings.warn(
        f"devtools' lean mock evaluation was checked against pulumi {PULUMI_VERSION}, but pulumi {installed} is "
        "installed: runs under mocks use the SDK's own code (the same graph, slower) until the replacements in "
        "devtools/lean_outputs.py, lean_types.py and lean_monitor.py are re-checked and PULUMI_VERSION updated",
        UncheckedPulumiVersionWarning,
        stacklevel=3,
    )


def applies() -> bool:
    """Whether the lean replacements were checked against the installed SDK (else the SDK's own code runs,
    and a warning, once per process and version, says so)."""
    found = _installed_pulumi()
    if found == PULUMI_VERSION:
        return True
    _warn_unchecked(found)
    return False


def _resolve_property(
    res: Any,
    data: asyncio.Future[_OutputData[Any]],
    value: Any,
    is_known: bool,
    is_secret: bool,
    deps: set[Any] | None,
    failed: Exception | None,
) -> None:
    """The SDK's resolver for one property (``rpc.Resolver``): the property depends on its resource and on the
    dependencies the engine reported; a failed registration fails the property with the same exception."""
    if failed is not None:
        data.set_exception(failed)
        return
    resources = set(deps) if deps else set()
    resources.add(res)
    data.set_result(_OutputData(resources=resources, value=value, is_known=is_known, is_secret=is_secret))


def transfer_properties(res: Any, props: Any, custom: bool) -> dict[str, rpc.Resolver]:
    """``rpc.transfer_properties``: an unresolved Output on ``res`` per property, and the resolver of each."""
    resolvers: dict[str, rpc.Resolver] = {}
    attributes = res.__dict__
    for name in props:
        if name == "urn" or (name == "id" and custom):
            continue  # set by the registration itself, as in the SDK
        data: asyncio.Future[_OutputData[Any]] = asyncio.Future()
        resolvers[name] = functools.partial(_resolve_property, res, data)
        attributes[name] = Output._from_data(data)
    return resolvers


_sdk_create_urn = resource_runtime.create_urn


def create_urn(
    name: Any, type_: Any, parent: Any = None, project: str | None = None, stack: str | None = None
) -> Output[str]:
    """``create_urn``, computed at once when every part is a plain string; anything else goes to the SDK."""
    if not (isinstance(name, str) and isinstance(type_, str)):
        return _sdk_create_urn(name, type_, parent, project, stack)
    if isinstance(parent, str):
        prefix = parent[0 : parent.rfind("::")] + "$"
    elif parent is None:
        stack = settings.get_stack() if stack is None else stack
        project = settings.get_project() if project is None else project
        prefix = "urn:pulumi:" + stack + "::" + project + "::"
    else:
        return _sdk_create_urn(name, type_, parent, project, stack)
    return Output.from_input(prefix + type_ + "::" + name)


@contextlib.contextmanager
def lean_outputs() -> Iterator[None]:
    """Both replacements, for the duration of one run under mocks; the SDK's functions are put back after it."""
    if not applies():
        yield
        return
    sdk_transfer, sdk_create_urn = rpc.transfer_properties, resource_runtime.create_urn
    rpc.transfer_properties = transfer_properties
    resource_runtime.create_urn = create_urn
    try:
        yield
    finally:
        rpc.transfer_properties = sdk_transfer
        resource_runtime.create_urn = sdk_create_urn
