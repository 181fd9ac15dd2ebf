"""Rule targets and one-time schedules on their own, on a Runtime over moto (no deployed program): the Lambda
permission check, dead-lettering a delivery that fails, and firing schedules the clock has passed."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from moto import mock_aws

from localcloud.deployment import Deployment
from localcloud.runtime import Runtime
from localcloud.targets import TargetDelivery
from tests.localcloud import support

FUNCTION = support.function_spec("parts-email")
RULE = SimpleNamespace(name="mail-on-order", arn="arn:aws:events:us-east-1:123456789012:rule/bus/mail-on-order")


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    with mock_aws():
        yield support.runtime()


def delivery(runtime: Runtime, deployment: Deployment) -> tuple[TargetDelivery, list[tuple[str, Any, str]]]:
    invoked: list[tuple[str, Any, str]] = []
    return TargetDelivery(runtime, deployment, lambda *call: invoked.append(call)), invoked


def wait_for_deliveries(runtime: Runtime) -> None:
    deadline = time.monotonic() + 10
    while runtime.work.count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runtime.work.count == 0, "a delivery did not finish"


def test_a_lambda_target_without_permission_goes_to_the_dead_letter_queue(runtime: Runtime) -> None:
    dlq = support.queue(runtime, "parts-rule-dlq")
    targets, invoked = delivery(runtime, support.deployment(dlq, functions=(FUNCTION,)))
    event = {"detail-type": "OrderPlaced", "detail": {"orderId": "o-1"}}

    targets.deliver(RULE, {"Arn": FUNCTION.arn, "DeadLetterConfig": {"Arn": dlq.arn}}, event)

    assert invoked == []
    [message] = support.received(runtime, dlq)
    assert json.loads(str(message["Body"])) == event
    attributes: Any = message["MessageAttributes"]
    assert attributes["ERROR_CODE"]["StringValue"] == "NO_PERMISSIONS"
    assert attributes["RULE_ARN"]["StringValue"] == FUNCTION.arn


def test_a_permitted_lambda_target_is_invoked_asynchronously(runtime: Runtime) -> None:
    deployment = support.deployment(functions=(FUNCTION,))
    deployment.permissions = support.permissions(
        {"function": FUNCTION.name, "principal": "events.amazonaws.com", "sourceArn": RULE.arn}
    )
    targets, invoked = delivery(runtime, deployment)

    targets.deliver(RULE, {"Arn": FUNCTION.arn}, {"detail-type": "OrderPlaced"})

    assert invoked == [(FUNCTION.name, {"detail-type": "OrderPlaced"}, "rule mail-on-order")]


def test_an_sns_target_is_published_and_a_failed_one_dead_lettered(runtime: Runtime) -> None:
    dlq = support.queue(runtime, "parts-topic-dlq")
    inbox = support.queue(runtime, "parts-topic-inbox")
    sns = runtime.clients("sns")
    topic = sns.create_topic(Name="parts-topic")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox.arn, Attributes={"RawMessageDelivery": "true"})
    targets, _ = delivery(runtime, support.deployment(dlq, inbox))
    missing = topic.replace("parts-topic", "parts-gone")

    targets.deliver(RULE, {"Arn": topic, "DeadLetterConfig": {"Arn": dlq.arn}}, {"n": 1})
    targets.deliver(RULE, {"Arn": missing, "DeadLetterConfig": {"Arn": dlq.arn}}, {"n": 2})
    wait_for_deliveries(runtime)

    assert [json.loads(str(m["Body"])) for m in support.received(runtime, inbox)] == [{"n": 1}]
    [dead] = support.received(runtime, dlq)
    assert json.loads(str(dead["Body"])) == {"n": 2}
    attributes: Any = dead["MessageAttributes"]
    assert attributes["RULE_ARN"]["StringValue"] == missing


def schedule(runtime: Runtime, name: str, at: float, bus_arn: str, dlq_arn: str) -> None:
    when = dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    runtime.clients("scheduler").create_schedule(
        Name=name,
        ScheduleExpression=f"at({when})",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": bus_arn,
            "RoleArn": f"arn:aws:iam::{runtime.account}:role/scheduler",
            "Input": json.dumps({"cartId": name}),
            "EventBridgeParameters": {"Source": "parts.carts", "DetailType": "CartReminderDue"},
            "DeadLetterConfig": {"Arn": dlq_arn},
        },
    )


def test_due_schedules_fire_once_and_a_failed_put_is_dead_lettered(runtime: Runtime) -> None:
    dlq = support.queue(runtime, "parts-schedule-dlq")
    bus = runtime.clients("events").create_event_bus(Name="parts-bus")["EventBusArn"]
    targets, _ = delivery(runtime, support.deployment(dlq))
    now = runtime.clock.now()
    schedule(runtime, "due", now - 1, bus, dlq.arn)
    schedule(runtime, "later", now + 3600, bus, dlq.arn)
    schedule(runtime, "no-bus", now - 1, bus.replace("parts-bus", "gone-bus"), dlq.arn)

    targets.fire_due_schedules(now)

    delivered = [entry.where for entry in runtime.trace.entries(kind="deliver")]
    assert delivered == ["schedule due"]
    left = [s["Name"] for s in runtime.clients("scheduler").list_schedules()["Schedules"]]
    assert sorted(left) == ["later"], "a fired schedule with ActionAfterCompletion DELETE is deleted"
    assert [json.loads(str(m["Body"])) for m in support.received(runtime, dlq)] == [{"cartId": "no-bus"}]
