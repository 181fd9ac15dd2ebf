"""Alarm helpers: each watches one failure signal and notifies the ops topic."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components import defaults
from components.base import Transforms, child, physical_name

#: The transform role of every alarm a component creates (its own and its nested components').
ALARM_ROLE = "alarm"


def _alarm(
    logical_name: str,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    transforms: Transforms | None,
    tunable: dict[str, Any],
    watched: dict[str, Any],
    opts: pulumi.ResourceOptions | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """`tunable` (periods, thresholds of a slowness) a transform may change; what the alarm watches, whom it
    notifies and its name are what the pattern requires."""
    return child(
        aws.cloudwatch.MetricAlarm,
        logical_name,
        parent,
        transforms,
        ALARM_ROLE,
        defaults=defaults.alarm_args() | tunable,
        required={
            "name": physical_name(logical_name),
            "alarm_actions": [topic_arn],
            "ok_actions": [topic_arn],
            **watched,
        },
        opts=opts,
    )


def _failure_alarm(
    where: tuple[str, pulumi.Input[str], pulumi.Resource, Transforms | None, pulumi.ResourceOptions | None],
    description: str,
    metric: dict[str, Any],
) -> aws.cloudwatch.MetricAlarm:
    """An alarm on the first failure: one failure is one lost effect until handled, so the threshold is part
    of what the alarm watches. `where`: its logical name, topic, parent, transforms and options."""
    logical_name, topic_arn, parent, transforms, opts = where
    watched = metric | {"comparison_operator": "GreaterThanOrEqualToThreshold", "threshold": 1}
    return _alarm(logical_name, topic_arn, parent, transforms, {"alarm_description": description}, watched, opts)


def dead_letter_alarm(
    logical_name: str,
    queue: aws.sqs.Queue,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    transforms: Transforms | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """Fires as soon as one message is dead-lettered: each one is a lost effect until handled."""
    return _failure_alarm(
        (logical_name, topic_arn, parent, transforms, opts),
        "A message reached the dead-letter queue; inspect and redrive it.",
        {"namespace": "AWS/SQS", "metric_name": "ApproximateNumberOfMessagesVisible", "statistic": "Maximum"}
        | {"dimensions": {"QueueName": queue.name}},
    )


def message_age_alarm(
    logical_name: str,
    queue: aws.sqs.Queue,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    max_age_seconds: int,
    transforms: Transforms | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """Fires when the oldest message waits too long: the consumer is stuck or too slow."""
    return _alarm(
        logical_name,
        topic_arn,
        parent,
        transforms,
        {
            "alarm_description": f"The oldest message has waited more than {max_age_seconds} s.",
            "threshold": max_age_seconds,
            "evaluation_periods": 5,
        },
        {
            "namespace": "AWS/SQS",
            "metric_name": "ApproximateAgeOfOldestMessage",
            "dimensions": {"QueueName": queue.name},
            "statistic": "Maximum",
            "comparison_operator": "GreaterThanThreshold",
        },
    )


def iterator_age_alarm(
    logical_name: str,
    function: aws.lambda_.Function,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    max_age_seconds: int,
    transforms: Transforms | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """Fires when a stream consumer's oldest unprocessed record is too old: its changes are not acted on
    (for an outbox: rows written but not published)."""
    description = f"The stream consumer's oldest unprocessed record is more than {max_age_seconds} s old."
    # IteratorAge is in milliseconds.
    tunable = {"alarm_description": description, "threshold": max_age_seconds * 1000}
    watched = {
        "namespace": "AWS/Lambda",
        "metric_name": "IteratorAge",
        "dimensions": {"FunctionName": function.name},
        "statistic": "Maximum",
        "comparison_operator": "GreaterThanThreshold",
    }
    return _alarm(logical_name, topic_arn, parent, transforms, tunable, watched)


def function_errors_alarm(
    logical_name: str,
    function: aws.lambda_.Function,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    transforms: Transforms | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """Fires when the function reports an error."""
    return _failure_alarm(
        (logical_name, topic_arn, parent, transforms, None),
        "The function reported errors.",
        {"namespace": "AWS/Lambda", "metric_name": "Errors", "statistic": "Sum"}
        | {"dimensions": {"FunctionName": function.name}},
    )


def failed_invocations_alarm(
    logical_name: str,
    rule: aws.cloudwatch.EventRule,
    bus_name: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    transforms: Transforms | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """Fires when EventBridge could not deliver to a rule's target after its retries."""
    return _failure_alarm(
        (logical_name, topic_arn, parent, transforms, opts),
        "EventBridge failed to deliver to a target of this rule.",
        {"namespace": "AWS/Events", "metric_name": "FailedInvocations", "statistic": "Sum"}
        | {"dimensions": {"RuleName": rule.name, "EventBusName": bus_name}},
    )


def executions_failed_alarm(
    logical_name: str,
    state_machine: aws.sfn.StateMachine,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    transforms: Transforms | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """Fires when an execution fails (its Catch could not even report the failure, or it timed out)."""
    return _failure_alarm(
        (logical_name, topic_arn, parent, transforms, None),
        "A state machine execution failed.",
        {"namespace": "AWS/States", "metric_name": "ExecutionsFailed", "statistic": "Sum"}
        | {"dimensions": {"StateMachineArn": state_machine.arn}},
    )
