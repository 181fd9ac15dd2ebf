"""devtools.lean_monitor answers each registration as the SDK's mock monitor does: the same response (urn, id,
serialized answer), the same registration kept and the same arguments handed to the mocks, whether the mocks'
answer serializes at once (plain data, assets, secrets) or has to wait (an unresolved Output). The whole
graph's equality is tests/unit/test_lean_evaluation.py's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pulumi
import pulumi.runtime.mocks as pulumi_mocks
import pytest
from pulumi.runtime import rpc
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from devtools import lean_monitor


class AnsweringMocks(pulumi.runtime.Mocks):
    """Answers every resource with ``answer()`` (built on the monitor's thread) and keeps what it was given."""

    def __init__(self, answer: Callable[[], dict[str, Any]]) -> None:
        self.answer = answer
        self.given: list[tuple[Any, ...]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.given.append((args.typ, args.name, args.inputs, args.provider, args.custom))
        return f"{args.name}-id", self.answer()

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]]]:
        raise NotImplementedError(args.token)


def _plain() -> dict[str, Any]:
    return {"arn": "arn:aws:sqs:eu-west-1:123456789012:orders", "delay": 3, "fifo": False, "tags": {"a": "b"}}


def _with_assets_and_secret() -> dict[str, Any]:
    return {
        "code": pulumi.AssetArchive({"handler.py": pulumi.StringAsset("def handler(): pass")}),
        "file": pulumi.FileAsset("README.md"),
        "secret": {rpc._special_sig_key: rpc._special_secret_sig, "value": "hunter2"},
        "none": None,
        "list": [1, "two", None, {"three": 3.5}],
    }


def _waiting() -> dict[str, Any]:
    """An Output still resolving when the answer is serialized: the serialization has to wait for it."""
    loop = asyncio.get_event_loop()

    async def later() -> str:
        await asyncio.sleep(0)
        return "resolved later"

    resolving = loop.create_task(later())
    return {"later": pulumi.Output.from_input(resolving), "now": "x"}


ANSWERS: dict[str, Callable[[], dict[str, Any]]] = {
    "plain": _plain,
    "assets and a secret": _with_assets_and_secret,
    "an unresolved output": _waiting,
    "empty": dict,
}


def _registered(monitor_class: type[pulumi_mocks.MockMonitor], answer: Callable[[], dict[str, Any]]) -> Any:
    mocks = AnsweringMocks(answer)
    monitor = monitor_class(mocks)

    def register() -> Any:  # on a thread of its own with no running loop, as the SDK's executor calls it
        inputs = _sync_await(rpc.serialize_properties({"name": "orders", "delaySeconds": 3, "tags": {"a": "b"}}, {}))
        request = resource_pb2.RegisterResourceRequest(
            type="aws:sqs/queue:Queue", name="orders", parent="", custom=True, object=inputs, provider="p::id"
        )
        response = monitor.RegisterResource(request)  # type: ignore[no-untyped-call]
        return (response.urn, response.id, response.object)

    with ThreadPoolExecutor(1) as thread:
        answered = thread.submit(register).result()
    registration = monitor.resources[answered[0]]
    kept = (registration.urn, registration.id, sorted(registration.state))
    return answered, kept, mocks.given


@pytest.fixture(autouse=True)
def _engine_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pulumi_mocks, "get_stack", lambda: "dev")
    monkeypatch.setattr(pulumi_mocks, "get_project", lambda: "eventshop")


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_a_registration_is_answered_as_the_sdk_answers_it(answer: Callable[[], dict[str, Any]]) -> None:
    lean = _registered(lean_monitor.LeanMockMonitor, answer)
    assert lean == _registered(pulumi_mocks.MockMonitor, answer)
    assert lean[0][0] == "urn:pulumi:dev::eventshop::aws:sqs/queue:Queue::orders"
    inputs = {"name": "orders", "delaySeconds": 3, "tags": {"a": "b"}}
    assert lean[2] == [("aws:sqs/queue:Queue", "orders", inputs, "p::id", True)]


def test_a_waiting_answer_is_serialized_with_its_resolved_value() -> None:
    (_, _, serialized), _, _ = _registered(lean_monitor.LeanMockMonitor, _waiting)
    assert dict(serialized) == {"later": "resolved later", "now": "x"}


def _serialized_on_the_thread(answer: Callable[[], dict[str, Any]]) -> Any:
    _ensure_event_loop()  # type: ignore[no-untyped-call]  # the monitor's first step, as in the SDK
    return lean_monitor.serialized(answer())


def test_a_plain_answer_needs_no_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the monitor exists: the SDK runs the thread's event loop for every answer; plain data needs none."""
    ran: list[str] = []

    def counted(awaitable: Any) -> Any:
        ran.append("loop")
        return _sync_await(awaitable)

    monkeypatch.setattr(lean_monitor, "_sync_await", counted)
    with ThreadPoolExecutor(1) as thread:
        thread.submit(_serialized_on_the_thread, _plain).result()
        assert ran == []
        assert dict(thread.submit(_serialized_on_the_thread, _waiting).result())["later"] == "resolved later"
        assert ran == ["loop"]


def test_another_sdk_version_registers_through_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lean_monitor, "applies", lambda: False)
    monkeypatch.setattr(lean_monitor, "serialized", lambda _state: pytest.fail("the lean path ran"))
    assert _registered(lean_monitor.LeanMockMonitor, _plain) == _registered(pulumi_mocks.MockMonitor, _plain)
