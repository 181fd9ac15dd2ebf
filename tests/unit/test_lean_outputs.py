"""devtools.lean_outputs answers as the SDK's functions do: the same Output data (value, known, secret,
resources) and the same failures, is used only by the lean run, and refuses an SDK it was not checked against.
The whole graph's equality is tests/unit/test_lean_evaluation.py's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pulumi
import pulumi.runtime.resource as resource_runtime
import pulumi.runtime.rpc as pulumi_rpc
import pulumi_aws
import pytest
from pulumi.output import Output, _OutputData
from pulumi.runtime.settings import SETTINGS

from devtools import lean_outputs
from devtools.program import run_callable

SDK_TRANSFER = pulumi_rpc.transfer_properties
SDK_CREATE_URN = resource_runtime.create_urn


class Owner:
    """Stands for a resource: transfer_properties only sets attributes on it and names it in dependencies."""


T = TypeVar("T")


def run_on_a_fresh_loop(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Runs an async scenario on a loop of its own and forgets the Outputs it left tracked."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(scenario())
    finally:
        loop.close()
        SETTINGS.outputs.clear()


def _observed(data: _OutputData[Any]) -> tuple[Any, bool, bool, frozenset[int]]:
    return data.value, data.is_known, data.is_secret, frozenset(id(resource) for resource in data.resources)


DEPENDENCY = Owner()
RESOLUTIONS: dict[str, tuple[Any, bool, bool, set[Any] | None]] = {
    "known": ("arn:aws:sqs:eu-west-1:123456789012:orders", True, False, None),
    "secret": ("hunter2", True, True, None),
    "unknown": (None, False, False, None),
    "known flag but unknown inside": ({"a": [pulumi.output.UNKNOWN]}, True, False, None),
    "with dependencies": ({"k": 1}, True, False, {DEPENDENCY}),
    "empty dependencies": ([], True, False, set()),
}


def _transferred(transfer: Any, custom: bool, resolution: tuple[Any, ...] | Exception) -> Any:
    owner = Owner()

    async def scenario() -> Any:
        resolvers = transfer(owner, {"urn": None, "id": None, "arn": None, "tags": None}, custom)
        for resolve in resolvers.values():
            if isinstance(resolution, Exception):
                resolve(None, False, False, None, resolution)
            else:
                resolve(*resolution, None)
        observed: dict[str, Any] = {"resolvers": sorted(resolvers)}
        for name in resolvers:
            try:
                value, known, secret, resources = _observed(await getattr(owner, name)._data)
                observed[name] = (value, known, secret, resources - {id(owner)}, id(owner) in resources)
            except Exception as failure:  # the failure is what is compared
                observed[name] = failure
        return observed

    return run_on_a_fresh_loop(scenario)


@pytest.mark.parametrize("custom", [True, False], ids=["custom", "component"])
@pytest.mark.parametrize("resolution", RESOLUTIONS.values(), ids=RESOLUTIONS.keys())
def test_transferred_properties_resolve_as_the_sdk_resolves_them(custom: bool, resolution: tuple[Any, ...]) -> None:
    lean = _transferred(lean_outputs.transfer_properties, custom, resolution)
    assert lean == _transferred(SDK_TRANSFER, custom, resolution)
    assert lean["resolvers"] == (["arn", "tags"] if custom else ["arn", "id", "tags"])


def test_a_failed_registration_fails_every_property_with_its_exception() -> None:
    failure = RuntimeError("the engine refused the resource")
    assert _transferred(lean_outputs.transfer_properties, True, failure) == {
        "resolvers": ["arn", "tags"],
        "arn": failure,
        "tags": failure,
    }
    assert _transferred(SDK_TRANSFER, True, failure)["arn"] is failure


def _urn_data(create_urn: Any, *parts: Any) -> tuple[Any, bool, bool, frozenset[int]]:
    async def scenario() -> tuple[Any, bool, bool, frozenset[int]]:
        built = [part() if callable(part) else part for part in parts]
        return _observed(await create_urn(*built)._data)

    return run_on_a_fresh_loop(scenario)


PARENT = "urn:pulumi:dev::eventshop::eventshop:orders:Orders::orders"
URN_PARTS: dict[str, tuple[Any, ...]] = {
    "string parent": ("queue", "aws:sqs/queue:Queue", PARENT),
    "no parent (the stack's own)": ("eventshop-dev", "pulumi:pulumi:Stack", ""),
    "no parent, project and stack given": ("queue", "aws:sqs/queue:Queue", None, "eventshop", "dev"),
    "parent as an Output": ("queue", "aws:sqs/queue:Queue", lambda: Output.from_input(PARENT)),
    "name as an Output": (lambda: Output.secret("queue"), "aws:sqs/queue:Queue", PARENT),
}


@pytest.mark.parametrize("parts", URN_PARTS.values(), ids=URN_PARTS.keys())
def test_the_urn_is_what_the_sdk_computes(parts: tuple[Any, ...]) -> None:
    lean = _urn_data(lean_outputs.create_urn, *parts)
    assert lean == _urn_data(SDK_CREATE_URN, *parts)
    assert str(lean[0]).endswith("::queue") or parts[1] == "pulumi:pulumi:Stack"


def test_a_urn_part_of_the_wrong_type_fails_as_in_the_sdk() -> None:
    with pytest.raises(TypeError) as lean:
        _urn_data(lean_outputs.create_urn, "queue", "aws:sqs/queue:Queue", None, 3, "dev")
    with pytest.raises(TypeError) as sdk:
        _urn_data(SDK_CREATE_URN, "queue", "aws:sqs/queue:Queue", None, 3, "dev")
    assert str(lean.value) == str(sdk.value)


def test_on_another_sdk_the_run_uses_the_sdks_own_code_and_a_warning_names_both_versions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[Any, Any]] = []

    def program() -> None:
        seen.append((pulumi_rpc.transfer_properties, resource_runtime.create_urn))
        _one_queue()

    assert lean_outputs.applies()
    run_callable(program)
    monkeypatch.setattr(lean_outputs, "_installed_pulumi", lambda: "9.9.9")
    lean_outputs._warn_unchecked.cache_clear()  # once per process and version: this test's own warning
    with pytest.warns(lean_outputs.UncheckedPulumiVersionWarning, match=r"pulumi 3\.272\.0.*pulumi 9\.9\.9"):
        run = run_callable(program)
    assert seen == [(lean_outputs.transfer_properties, lean_outputs.create_urn), (SDK_TRANSFER, SDK_CREATE_URN)]
    assert [resource.typ for resource in run.resources if resource.custom] == ["aws:sqs/queue:Queue"]
    lean_outputs._warn_unchecked.cache_clear()


def _one_queue() -> None:
    pulumi_aws.sqs.Queue("queue")


def test_only_the_lean_run_uses_them_and_it_puts_the_sdk_back(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    lean_transfer = lean_outputs.transfer_properties

    def counted(res: Any, props: Any, custom: bool) -> dict[str, Any]:
        calls.append(type(res).__name__)
        return lean_transfer(res, props, custom)

    monkeypatch.setattr(lean_outputs, "transfer_properties", counted)
    run_callable(_one_queue, sdk_defaults=True)
    assert calls == []
    run_callable(_one_queue)
    assert "Queue" in calls
    assert (pulumi_rpc.transfer_properties, resource_runtime.create_urn) == (SDK_TRANSFER, SDK_CREATE_URN)
