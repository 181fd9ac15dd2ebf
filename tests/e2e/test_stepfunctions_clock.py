"""moto's Step Functions interpreter on the local clock (localcloud/stepfunctions.py): Wait states, task-token
timeouts and heartbeats wait on the clock, a wait that ends early leaves no timer behind, and a waiting
execution is parked, not busy."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.stepfunctions.responses import get_backend

from localcloud import stepfunctions, stepfunctions_patches
from localcloud.clock import Clock
from tests.localcloud.support import count_definition_parses

REGION = "us-east-1"
ACCOUNT = "123456789012"


@dataclass
class Sfn:
    client: Any
    sqs: Any
    queue_url: str
    clock: Clock

    def run(self, states: dict[str, Any], start_at: str) -> str:
        arn = self.client.create_state_machine(
            name=f"m-{uuid.uuid4().hex[:8]}",
            definition=json.dumps({"StartAt": start_at, "States": states}),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        )["stateMachineArn"]
        execution = str(
            self.client.start_execution(stateMachineArn=arn, name=str(uuid.uuid4()), input="{}")["executionArn"]
        )
        self.settle()
        return execution

    def settle(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while stepfunctions.busy_executions(ACCOUNT, REGION):
            assert time.monotonic() < deadline, "executions still busy"
            time.sleep(0.01)

    def status(self, execution: str) -> str:
        return str(self.client.describe_execution(executionArn=execution)["status"])

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.settle()

    def token(self) -> str:
        [message] = self.sqs.receive_message(QueueUrl=self.queue_url, WaitTimeSeconds=0)["Messages"]
        return str(json.loads(message["Body"])["token"])


@pytest.fixture
def sfn() -> Iterator[Sfn]:
    stepfunctions_patches.install()
    clock = Clock()
    clock.start()
    stepfunctions.use_clock(clock)
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            sqs = boto3.client("sqs", region_name=REGION)
            url = sqs.create_queue(QueueName="tokens")["QueueUrl"]
            yield Sfn(boto3.client("stepfunctions", region_name=REGION), sqs, url, clock)
    finally:
        stepfunctions.use_clock(None)
        clock.stop()


def callback_task(sfn: Sfn, **extra: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": sfn.queue_url, "MessageBody": {"token.$": "$$.Task.Token"}},
        "End": True,
        **extra,
    }


def test_a_wait_state_of_an_hour_passes_when_the_clock_does(sfn: Sfn) -> None:
    execution = sfn.run({"Hour": {"Type": "Wait", "Seconds": 3600, "End": True}}, "Hour")
    assert sfn.status(execution) == "RUNNING"
    assert sfn.clock.pending == 1
    sfn.advance(3599)
    assert sfn.status(execution) == "RUNNING"
    sfn.advance(1)
    assert sfn.status(execution) == "SUCCEEDED"
    assert sfn.clock.pending == 0


def test_a_wait_until_a_timestamp_follows_the_clock_in_utc(sfn: Sfn) -> None:
    due = dt.datetime.fromtimestamp(sfn.clock.now() + 7200, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    execution = sfn.run({"Until": {"Type": "Wait", "Timestamp": due, "End": True}}, "Until")
    sfn.advance(3600)
    assert sfn.status(execution) == "RUNNING"
    sfn.advance(3601)
    assert sfn.status(execution) == "SUCCEEDED"


def test_a_task_token_timeout_fires_on_the_clock_and_a_callback_cancels_it(sfn: Sfn) -> None:
    timed_out = sfn.run({"Wait": callback_task(sfn, TimeoutSeconds=600)}, "Wait")
    sfn.token()
    sfn.advance(599)
    assert sfn.status(timed_out) == "RUNNING"
    sfn.advance(1)
    assert sfn.status(timed_out) == "FAILED"
    assert sfn.client.describe_execution(executionArn=timed_out)["error"] == "States.Timeout"

    resumed = sfn.run({"Wait": callback_task(sfn, TimeoutSeconds=600)}, "Wait")
    assert sfn.clock.pending >= 1
    sfn.client.send_task_success(taskToken=sfn.token(), output="{}")
    sfn.settle()
    assert sfn.status(resumed) == "SUCCEEDED"
    assert sfn.clock.pending == 0  # the deadline's timers went with the wait


def test_a_missed_heartbeat_times_the_task_out_on_the_clock(sfn: Sfn) -> None:
    execution = sfn.run({"Wait": callback_task(sfn, TimeoutSeconds=3600, HeartbeatSeconds=60)}, "Wait")
    token = sfn.token()
    sfn.advance(50)
    sfn.client.send_task_heartbeat(taskToken=token)
    sfn.settle()
    sfn.advance(50)
    assert sfn.status(execution) == "RUNNING"
    sfn.advance(20)
    assert sfn.status(execution) == "FAILED"
    assert sfn.client.describe_execution(executionArn=execution)["error"] == "States.HeartbeatTimeout"


def test_a_waiting_execution_is_parked_and_a_working_one_is_busy(sfn: Sfn) -> None:
    execution = sfn.run({"Wait": callback_task(sfn)}, "Wait")
    assert stepfunctions.busy_executions(ACCOUNT, REGION) == []
    assert stepfunctions.parked_executions().get(execution) == 1
    assert sfn.clock.pending == 0  # no TimeoutSeconds: nothing on the clock, the token alone ends it
    sfn.client.send_task_failure(taskToken=sfn.token(), error="Nope", cause="test")
    sfn.settle()
    assert sfn.status(execution) == "FAILED"
    assert execution not in stepfunctions.parked_executions()


def test_a_definition_is_parsed_once_and_each_execution_runs_its_own_copy(
    sfn: Sfn, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses = count_definition_parses(monkeypatch)
    definition = json.dumps(
        {
            "StartAt": "Hour",
            "States": {
                "Hour": {"Type": "Wait", "Seconds": 3600, "Next": "Echo"},
                # A definition no other test uses, so the process-wide cache has not seen it.
                "Echo": {"Type": "Pass", "Parameters": {"seen.$": "$.n", "id": uuid.uuid4().hex}, "End": True},
            },
        }
    )
    arn = sfn.client.create_state_machine(
        name="echo", definition=definition, roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn"
    )["stateMachineArn"]
    parses.clear()  # what moto parsed to validate the definition
    executions = [
        sfn.client.start_execution(stateMachineArn=arn, name=f"n{n}", input=json.dumps({"n": n}))["executionArn"]
        for n in range(3)
    ]
    sfn.settle()
    assert len(stepfunctions.parked_executions()) == 3, "all three wait at once, each in its own program"
    sfn.advance(3600)

    outputs = [json.loads(sfn.client.describe_execution(executionArn=e)["output"])["seen"] for e in executions]
    assert outputs == [0, 1, 2]
    assert parses == [definition], "three executions, one parse"
    assert stepfunctions.parsed_program(definition) is stepfunctions.parsed_program(definition)


def test_the_interpreter_reuses_one_client_per_service_until_the_clock_changes(sfn: Sfn) -> None:
    put = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": sfn.queue_url, "MessageBody": "hello"},
        "End": True,
    }
    for _ in range(2):
        assert sfn.status(sfn.run({"Put": put}, "Put")) == "SUCCEEDED"
    assert len(sfn.sqs.receive_message(QueueUrl=sfn.queue_url, MaxNumberOfMessages=10)["Messages"]) == 2
    [(key, client)] = stepfunctions._state.clients.items()
    assert key == (REGION, "sqs", True)

    stepfunctions.use_clock(sfn.clock)  # what a cloud's start and stop do
    assert stepfunctions._state.clients == {}
    assert sfn.status(sfn.run({"Put": put}, "Put")) == "SUCCEEDED"
    assert stepfunctions._state.clients[key] is not client, "a new client, made with the hooks installed now"


def test_an_ended_execution_keeps_its_history_compressed_and_answers_it_unchanged(sfn: Sfn) -> None:
    big = "x" * 20_000  # inputs and outputs are what a history repeats: compressed, they shrink
    states = {
        "Fill": {"Type": "Pass", "Result": {"payload": big}, "ResultPath": "$.filled", "Next": "Hour"},
        "Hour": {"Type": "Wait", "Seconds": 3600, "End": True},
    }
    execution = sfn.run(states, "Fill")
    running = sfn.client.get_execution_history(executionArn=execution)["events"]
    worker = next(e for m in _machines() for e in m.executions if e.execution_arn == execution).exec_worker
    assert not isinstance(worker.env.event_manager, stepfunctions_patches.ArchivedHistory)  # still running

    sfn.advance(3600)
    assert sfn.status(execution) == "SUCCEEDED"
    archived = worker.env.event_manager
    assert isinstance(archived, stepfunctions_patches.ArchivedHistory)
    ended = sfn.client.get_execution_history(executionArn=execution)["events"]
    assert ended[: len(running)] == running
    assert [event["id"] for event in ended] == list(range(1, len(ended) + 1))
    assert ended[-1]["type"] == "ExecutionSucceeded"
    assert json.loads(sfn.client.describe_execution(executionArn=execution)["output"]) == {"filled": {"payload": big}}
    events = archived.get_event_history()
    assert events == archived.get_event_history() and events is not archived.get_event_history()  # fresh copies
    assert archived.size * 10 < len(json.dumps(events, default=str))
    stepfunctions_patches.archive_history(
        next(e for m in _machines() for e in m.executions if e.execution_arn == execution)
    )
    assert worker.env.event_manager is archived  # archived once


def _machines() -> list[Any]:
    return list(get_backend(ACCOUNT, REGION).state_machines)
