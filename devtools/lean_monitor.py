"""The SDK's mock monitor, answering a registration without an event loop run per resource when it need not wait.

``pulumi.runtime.mocks.MockMonitor.RegisterResource`` (on the SDK's executor thread) hands the mocks the
deserialized inputs and serializes their answer with ``rpc.serialize_properties`` through ``_sync_await``, which
runs the thread's event loop to completion for it: a task, a loop start and stop and a poll per resource. The
answer the mocks give (ids, ARNs, the inputs back) is plain data, whose serialization never waits; here that
coroutine, the SDK's own, is driven to its end at once, and only one that does wait (an unresolved Output in an
answer) is finished on the thread's event loop as in the SDK. The request, the mocks' arguments, the recorded
registration and the response are the SDK's. Checked against the SDK in ``lean_outputs.PULUMI_VERSION``; on
another version the SDK's ``RegisterResource`` runs (``lean_outputs.applies``).
``tests/unit/test_lean_monitor.py`` compares the responses.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Coroutine, Generator
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs, _resolve_callbacks
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from devtools.lean_outputs import applies


@types.coroutine
def _finish(serialization: Coroutine[Any, Any, struct_pb2.Struct], waiting_on: Any) -> Generator[Any, Any, Any]:
    """The rest of a serialization that stopped to wait: the event loop resumes it once ``waiting_on`` is done."""
    yield waiting_on
    return (yield from serialization)


def serialized(state: dict[str, Any]) -> struct_pb2.Struct:
    """``_sync_await(rpc.serialize_properties(state, {}))``, without the event loop when nothing is awaited."""
    serialization = rpc.serialize_properties(state, {})
    try:
        waiting_on = serialization.send(None)
    except StopIteration as done:
        result: struct_pb2.Struct = done.value
        return result
    return _sync_await(_finish(serialization, waiting_on))


#: The SDK's own, taken before anything (``devtools.graph.recording_urns``) wraps the class's.
_sdk_register: Callable[[MockMonitor, Any], Any] = MockMonitor.RegisterResource


class LeanMockMonitor(MockMonitor):
    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the monitor's RPC name
        if request.type == "pulumi:pulumi:Stack" or not applies():
            return _sdk_register(self, request)
        urn = self.make_urn(request.parent, request.type, request.name)
        # Deserializing a resource reference needs the thread's event loop, as in the SDK.
        _ensure_event_loop()  # type: ignore[no-untyped-call]
        resource_args = MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=rpc.deserialize_properties(request.object),
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
            transforms=_resolve_callbacks(request.transforms),
        )
        id_, state = self.mocks.new_resource(resource_args)
        obj_proto = serialized(state)
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, id_, state)  # type: ignore[arg-type]  # as the SDK
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj_proto)  # type: ignore[arg-type]
