"""Lambda's asynchronous invocation on its own, on a Runtime over moto (no deployed program): retries with
Lambda's back-off on the clock, the maximum event age, and the destination records."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from localcloud.async_invoke import ASYNC_RETRY_DELAYS, AsyncInvoker
from localcloud.deployment import AsyncConfig, QueueInfo
from localcloud.functions import Invocation
from localcloud.runtime import Runtime
from tests.localcloud import support

NAME = "parts-email"


class ScriptedFunction:
    """Answers each invocation with the next outcome of its script (True: ok), recording the events."""

    def __init__(self, *outcomes: bool) -> None:
        self.outcomes = list(outcomes)
        self.events: list[Any] = []

    def invoke(self, event: Any) -> Invocation:
        self.events.append(event)
        ok = self.outcomes.pop(0)
        return Invocation(
            function=NAME,
            request_id=f"req-{len(self.events)}",
            ok=ok,
            payload={"sent": True} if ok else None,
            error_type=None if ok else "RuntimeError",
            error_message=None if ok else "mail server down",
            duration_ms=1.0,
        )


@dataclass
class Setting:
    runtime: Runtime
    succeeded: QueueInfo
    failed: QueueInfo

    def invoker(self, function: ScriptedFunction, **config: Any) -> AsyncInvoker:
        deployment = support.deployment(self.succeeded, self.failed, functions=(support.function_spec(NAME),))
        with_destinations = AsyncConfig(on_success=self.succeeded.arn, on_failure=self.failed.arn)
        deployment.async_configs[NAME] = dataclasses.replace(with_destinations, **config)
        return AsyncInvoker(self.runtime, deployment, {NAME: function})

    def records(self, destination: QueueInfo) -> list[dict[str, Any]]:
        return [json.loads(str(message["Body"])) for message in support.received(self.runtime, destination)]


@pytest.fixture
def setting() -> Iterator[Setting]:
    with mock_aws():
        runtime = support.runtime()
        yield Setting(runtime, support.queue(runtime, "parts-succeeded"), support.queue(runtime, "parts-failed"))


def drain(invoker: AsyncInvoker) -> None:
    """Run every queued event on this thread (retries stay on the clock until it is advanced)."""
    invoker.stop_worker()
    invoker.run_worker()


def test_a_failing_event_is_retried_on_the_clock_then_sent_to_on_failure(setting: Setting) -> None:
    function = ScriptedFunction(False, False, False)
    invoking = setting.invoker(function)
    event = {"detail": {"orderId": "o-1"}}

    invoking.invoke(NAME, event, "rule mail")
    drain(invoking)
    assert len(function.events) == 1
    setting.runtime.clock.advance(ASYNC_RETRY_DELAYS[0] - 1)
    drain(invoking)
    assert len(function.events) == 1, "the first retry waits a minute of local time"
    for delay in (1, ASYNC_RETRY_DELAYS[1]):
        setting.runtime.clock.advance(delay)
        drain(invoking)

    assert len(function.events) == 3
    assert invoking.outcomes == {NAME: {"failed": 1}}
    [record] = setting.records(setting.failed)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == event
    assert record["responsePayload"] == {"errorType": "RuntimeError", "errorMessage": "mail server down"}
    assert setting.records(setting.succeeded) == []
    assert setting.runtime.clock.pending == 0
    assert invoking.queued == 0


def test_a_success_sends_its_response_to_on_success(setting: Setting) -> None:
    invoking = setting.invoker(ScriptedFunction(False, True))

    invoking.invoke(NAME, {"n": 1})
    drain(invoking)
    setting.runtime.clock.advance(ASYNC_RETRY_DELAYS[0])
    drain(invoking)

    [record] = setting.records(setting.succeeded)
    assert record["requestContext"] == {
        "requestId": "req-2",
        "functionArn": f"{support.function_spec(NAME).arn}:$LATEST",
        "condition": "Success",
        "approximateInvokeCount": 2,
    }
    assert record["responsePayload"] == {"sent": True}
    assert invoking.outcomes == {NAME: {"succeeded": 1}}


def test_an_event_older_than_its_maximum_age_is_not_run_again(setting: Setting) -> None:
    function = ScriptedFunction(False, False)
    invoking = setting.invoker(function, maximum_event_age_seconds=100)

    invoking.invoke(NAME, {"n": 1})
    drain(invoking)
    setting.runtime.clock.advance(ASYNC_RETRY_DELAYS[0])
    drain(invoking)
    setting.runtime.clock.advance(ASYNC_RETRY_DELAYS[1])
    drain(invoking)

    assert len(function.events) == 2
    [record] = setting.records(setting.failed)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert "responsePayload" not in record
    dead_letters = setting.runtime.trace.entries(kind="dead-letter")
    assert [entry.message for entry in dead_letters] == ["maximum event age exceeded"]


def test_work_is_counted_from_queueing_until_it_is_done(setting: Setting) -> None:
    invoking = setting.invoker(ScriptedFunction(True))

    invoking.invoke(NAME, {"n": 1})

    assert invoking.queued == 1
    drain(invoking)
    assert invoking.queued == 0
    assert setting.runtime.work.count == 0
