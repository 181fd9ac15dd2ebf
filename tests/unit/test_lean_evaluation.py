"""The lean evaluation (no declaring stack traces, an unknowns check without garbage cycles, debug messages
built only when logged, the SDK's answers about annotations and resource classes kept, Outputs tracked without
re-reading settings, registrations answered without a monitor-side event loop run each, cycle collection
deferred to the run's end) declares exactly the graph the SDK's default evaluation declares: same resources,
inputs, outputs, ids and providers."""

from __future__ import annotations

import gc
import json
import logging
from dataclasses import replace
from typing import Any

import pulumi
import pulumi.log
import pulumi.runtime.rpc as pulumi_rpc
import pulumi_aws
import pytest
from pulumi import _types
from pulumi.output import Output, Unknown
from pulumi.runtime.rpc import contains_unknowns as sdk_contains_unknowns

from devtools.graph import plain
from devtools.program import ProgramRun, _contains_unknowns, run_callable, run_program


def canonical_graph(run: ProgramRun) -> list[str]:
    return sorted(
        json.dumps(
            {
                "type": resource.typ,
                "name": resource.name,
                "custom": resource.custom,
                "id": resource.id,
                "provider": resource.provider,
                "inputs": plain(resource.inputs),
                "outputs": plain(resource.outputs),
            },
            sort_keys=True,
            default=repr,
        )
        for resource in run.resources
    )


def test_lean_evaluation_declares_the_same_graph(stack: str, run: ProgramRun) -> None:
    # The session's run (tests/conftest.py) is the lean evaluation every other test reads; were a test to
    # change it in place, this comparison would also catch that.
    lean = canonical_graph(run)
    default = canonical_graph(run_program(stack, sdk_defaults=True))
    assert len(lean) > 200
    assert lean == default


def test_the_canonical_graph_sees_a_changed_input(runs: dict[str, ProgramRun]) -> None:
    run = runs["dev"]  # the shared run stays as it is: the change is made to a copy of one resource
    queue = run.of_type("aws:sqs/queue:Queue")[0]
    changed = replace(queue, inputs={**queue.inputs, "visibilityTimeoutSeconds": -1})
    assert canonical_graph(replace(run, resources=[changed if r is queue else r for r in run.resources])) != (
        canonical_graph(run)
    )


def _unknown() -> Unknown:
    return Unknown()  # type: ignore[no-untyped-call]


VALUES: dict[str, Any] = {
    "none": None,
    "text": "text",
    "number": 3,
    "empty list": [],
    "empty dict": {},
    "unknown": _unknown(),
    "known nesting": [1, "two", {"three": 3}],
    "unknown in a dict in a list": {"a": [{"b": _unknown()}]},
    "deep unknown": [[[[_unknown()]]]],
    "unknown in a policy": {"policy": {"Statement": [{"Resource": ["arn", _unknown()]}]}},
    "a tuple is not looked into": ("text", _unknown()),
}


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_the_lean_unknowns_check_answers_as_the_sdk(value: Any) -> None:
    assert _contains_unknowns(value) == sdk_contains_unknowns(value)


def test_the_lean_unknowns_check_visits_a_shared_or_cyclic_container_once() -> None:
    shared: list[Any] = ["known"]
    cyclic: list[Any] = [shared, shared]
    cyclic.append(cyclic)
    assert _contains_unknowns(cyclic) is sdk_contains_unknowns(cyclic) is False
    shared.append(_unknown())
    assert _contains_unknowns(cyclic) is sdk_contains_unknowns(cyclic) is True


YOUNGEST = 0


def test_the_lean_unknowns_check_leaves_no_garbage_cycles() -> None:
    """Why it replaces the SDK's: each of the SDK's calls leaves a cycle (a self-referencing closure) behind.

    With the collector off, everything the calls allocate stays in the youngest generation, so collecting that
    generation alone finds every cycle they left, without walking the test process's long-lived heap (the SDKs,
    moto, the program runs: three full collections of it were most of this test's CPU)."""
    value = {"a": [1, 2, {"b": "c"}]}
    gc.collect(YOUNGEST)
    gc.disable()
    try:
        for _ in range(100):
            sdk_contains_unknowns(value)
        assert gc.collect(YOUNGEST) >= 100
        for _ in range(100):
            _contains_unknowns(value)
        assert gc.collect(YOUNGEST) == 0
    finally:
        gc.enable()


def _one_queue() -> None:
    pulumi_aws.sqs.Queue("queue")


def test_the_sdk_debug_messages_reach_the_log_when_it_keeps_debug(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lean run skips building debug messages the mock engine's logger (the root logger) would drop, and
    sends them as the SDK does when DEBUG is on."""
    sent: list[str] = []
    monkeypatch.setattr(pulumi.log, "debug", lambda message, *_: sent.append(message))
    caplog.set_level(logging.WARNING)
    run_callable(_one_queue)
    assert sent == []
    caplog.set_level(logging.DEBUG)
    run_callable(_one_queue)
    assert any("resource registration prepared" in message for message in sent)


def _replaceable() -> tuple[Any, ...]:
    return (
        pulumi_rpc.contains_unknowns,
        pulumi.log.debug,
        gc.isenabled(),
        _types.unwrap_type,
        _types.unwrap_optional_type,
        _types.resource_types,
        Output._track,
    )


def test_the_lean_run_puts_the_sdk_back() -> None:
    before = _replaceable()
    run_callable(_one_queue)
    assert _replaceable() == before
