"""devtools.lean_types answers as the SDK's functions do: every annotation and resource class a whole run asked
about gets the SDK's answer, answers are kept per object (not per equal object), failures are not kept, Outputs
are tracked until they resolve and a failed one still fails the run; another SDK version runs the SDK's code.
The whole graph's equality is tests/unit/test_lean_evaluation.py's."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Optional, Union

import pulumi
import pulumi_aws
import pytest
from pulumi import _types
from pulumi.output import Output
from pulumi.runtime.settings import SETTINGS

from devtools import lean_outputs, lean_types
from devtools.program import ProgramRun, run_callable
from tests.unit.test_lean_outputs import run_on_a_fresh_loop

SDK_TRACK = Output._track


def test_every_annotation_of_a_run_unwraps_as_in_the_sdk(run: ProgramRun) -> None:
    # The session's run (tests/conftest.py) was a lean one: the kept answers are the ones it used.
    assert len(run.resources) > 200
    for keeper, sdk in [
        (lean_types.unwrap_type, lean_types._sdk_unwrap_type),
        (lean_types.unwrap_optional_type, lean_types._sdk_unwrap_optional_type),
    ]:
        assert len(keeper.answers) > 100
        for annotation, answer in keeper.answers.values():
            assert answer == sdk(annotation), annotation


def test_every_resource_class_of_a_run_has_the_sdk_types(run: ProgramRun) -> None:
    assert len(lean_types._resource_types.answers) > 20
    for resource_class, answer in lean_types._resource_types.answers.values():
        assert dict(answer) == lean_types._sdk_resource_types(resource_class), resource_class
    queue_types = lean_types.resource_types(pulumi_aws.sqs.Queue)
    with pytest.raises(TypeError):
        queue_types["arn"] = int  # type: ignore[index]  # shared by every later call: read-only


def test_equal_annotations_are_answered_each_by_its_own_object() -> None:
    """``Union[A, B]`` equals ``Union[B, A]``, yet ``unwrap_type`` answers by position: no answer is shared."""
    str_first: Any = Union[str, Awaitable[str], Output[str], None]  # noqa: UP007 - the SDK's own spelling
    awaitable_first: Any = Union[Awaitable[str], str, Output[str], None]  # noqa: UP007
    assert str_first == awaitable_first
    unwrap = lean_types.AnswersByIdentity(lean_types._sdk_unwrap_type)
    assert unwrap(str_first) is lean_types._sdk_unwrap_type(str_first) is str
    assert unwrap(awaitable_first) is lean_types._sdk_unwrap_type(awaitable_first)
    assert unwrap(awaitable_first) is not str
    optional_int: Any = Optional[int]  # noqa: UP045
    assert unwrap(optional_int) is int


def test_an_answer_is_computed_once_per_object_and_a_failure_is_not_kept() -> None:
    calls: list[object] = []

    def first(items: list[int]) -> int:
        calls.append(items)
        return items[0]

    first_item = lean_types.AnswersByIdentity(first)
    one, equal = [1], [1]
    assert (first_item(one), first_item(one), first_item(equal)) == (1, 1, 1)
    assert calls == [one, equal] and calls[0] is one and calls[1] is equal
    empty: list[int] = []
    for _ in range(2):
        with pytest.raises(IndexError):
            first_item(empty)
    assert id(empty) not in first_item.answers


def _tracked_outcomes(track: Any) -> tuple[bool, bool]:
    """Whether a resolved Output's data and a failed one's are still tracked once each has settled."""

    async def scenario() -> tuple[bool, bool]:
        resolved, failed = Output.from_input("x"), Output.from_input("x")
        loop = asyncio.get_running_loop()
        resolved_data, failed_data = loop.create_future(), loop.create_future()
        resolved._data, failed._data = resolved_data, failed_data
        track(resolved)
        track(failed)
        resolved_data.set_result(None)
        failed_data.set_exception(RuntimeError("apply failed"))
        await asyncio.sleep(0)
        return resolved_data in SETTINGS.outputs, failed_data in SETTINGS.outputs

    return run_on_a_fresh_loop(scenario)


def test_outputs_are_tracked_as_in_the_sdk() -> None:
    assert _tracked_outcomes(lean_types.track) == _tracked_outcomes(SDK_TRACK) == (False, True)


def _failing_apply() -> None:
    pulumi_aws.sqs.Queue("queue").arn.apply(lambda arn: 1 / 0 if arn else arn)


@pytest.mark.parametrize("sdk_defaults", [False, True], ids=["lean", "sdk"])
def test_a_failed_apply_still_fails_the_run(sdk_defaults: bool) -> None:
    with pytest.raises(ZeroDivisionError):
        run_callable(_failing_apply, sdk_defaults=sdk_defaults)


def _one_queue() -> None:
    pulumi_aws.sqs.Queue("queue")


def _sdk_functions() -> tuple[Any, ...]:
    return (_types.unwrap_type, _types.unwrap_optional_type, _types.resource_types, Output._track)


SDK_FUNCTIONS = (
    lean_types._sdk_unwrap_type,
    lean_types._sdk_unwrap_optional_type,
    lean_types._sdk_resource_types,
    SDK_TRACK,
)


def test_the_replacements_apply_only_inside_a_lean_run_on_the_checked_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[Any, ...]] = []

    def program() -> None:
        seen.append(_sdk_functions())
        _one_queue()

    run_callable(program)
    run_callable(program, sdk_defaults=True)
    assert lean_outputs.applies()
    monkeypatch.setattr(lean_outputs, "_installed_pulumi", lambda: "9.9.9")
    lean_outputs._warn_unchecked.cache_clear()  # once per process and version: this test's own warning
    with pytest.warns(lean_outputs.UncheckedPulumiVersionWarning):
        run_callable(program)  # another SDK: its own code
    assert not lean_outputs.applies()
    lean_outputs._warn_unchecked.cache_clear()
    lean = (lean_types.unwrap_type, lean_types.unwrap_optional_type, lean_types.resource_types, lean_types.track)
    assert seen == [lean, SDK_FUNCTIONS, SDK_FUNCTIONS]
    assert _sdk_functions() == SDK_FUNCTIONS
    assert isinstance(pulumi.Output.from_input(1), Output)


def test_the_settings_track_reads_are_the_sdk_settings() -> None:
    assert lean_types._setting(lean_types._LOCK_SETTING) is SETTINGS.lock
    assert lean_types._setting(lean_types._OUTPUTS_SETTING) is SETTINGS.outputs
    token = lean_types._OUTPUTS_SETTING._data.set(set())  # another context's value is read as the SDK reads it
    try:
        assert lean_types._setting(lean_types._OUTPUTS_SETTING) is SETTINGS.outputs
        assert SETTINGS.outputs == set()
    finally:
        lean_types._OUTPUTS_SETTING._data.reset(token)
