"""Alarm helpers: each watches one failure signal and notifies the ops topic."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components import defaults
from components.base import physical_name


def _alarm(
    logical_name: str,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    description: str,
    **kwargs: Any,
) -> aws.cloudwatch.MetricAlarm:
    args = defaults.alarm_args() | kwargs
    return aws.cloudwatch.MetricAlarm(
        logical_name,
        name=physical_name(logical_name),
        alarm_description=description,
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        opts=pulumi.ResourceOptions(parent=parent),
        **args,
    )


def dead_letter_alarm(
    logical_name: str, queue: aws.sqs.Queue, topic_arn: pulumi.Input[str], parent: pulumi.Resource
) -> aws.cloudwatch.MetricAlarm:
    """Fires as soon as one message is dead-lettered: each one is a lost effect until handled."""
    return _alarm(
        logical_name,
        topic_arn,
        parent,
        "A message reached the dead-letter queue; inspect and redrive it.",
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": queue.name},
        statistic="Maximum",
        comparison_operator="GreaterThanOrEqualToThreshold",
        threshold=1,
    )


def message_age_alarm(
    logical_name: str,
    queue: aws.sqs.Queue,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    max_age_seconds: int,
) -> aws.cloudwatch.MetricAlarm:
    """Fires when the oldest message waits too long: the consumer is stuck or too slow."""
    return _alarm(
        logical_name,
        topic_arn,
        parent,
        f"The oldest message has waited more than {max_age_seconds} s.",
        namespace="AWS/SQS",
        metric_name="ApproximateAgeOfOldestMessage",
        dimensions={"QueueName": queue.name},
        statistic="Maximum",
        comparison_operator="GreaterThanThreshold",
        threshold=max_age_seconds,
        evaluation_periods=5,
    )


def iterator_age_alarm(
    logical_name: str,
    function: aws.lambda_.Function,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    max_age_seconds: int,
) -> aws.cloudwatch.MetricAlarm:
    """Fires when a stream consumer's oldest unprocessed record is too old: its changes are not acted on
    (for an outbox: rows written but not published)."""
    return _alarm(
        logical_name,
        topic_arn,
        parent,
        f"The stream consumer's oldest unprocessed record is more than {max_age_seconds} s old.",
        namespace="AWS/Lambda",
        metric_name="IteratorAge",
        dimensions={"FunctionName": function.name},
        statistic="Maximum",
        comparison_operator="GreaterThanThreshold",
        threshold=max_age_seconds * 1000,  # IteratorAge is in milliseconds
    )


def function_errors_alarm(
    logical_name: str, function: aws.lambda_.Function, topic_arn: pulumi.Input[str], parent: pulumi.Resource
) -> aws.cloudwatch.MetricAlarm:
    return _alarm(
        logical_name,
        topic_arn,
        parent,
        "The function reported errors.",
        namespace="AWS/Lambda",
        metric_name="Errors",
        dimensions={"FunctionName": function.name},
        statistic="Sum",
        comparison_operator="GreaterThanOrEqualToThreshold",
        threshold=1,
    )


def failed_invocations_alarm(
    logical_name: str,
    rule: aws.cloudwatch.EventRule,
    bus_name: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """Fires when EventBridge could not deliver to a rule's target after its retries."""
    return _alarm(
        logical_name,
        topic_arn,
        parent,
        "EventBridge failed to deliver to a target of this rule.",
        namespace="AWS/Events",
        metric_name="FailedInvocations",
        dimensions={"RuleName": rule.name, "EventBusName": bus_name},
        statistic="Sum",
        comparison_operator="GreaterThanOrEqualToThreshold",
        threshold=1,
    )


def executions_failed_alarm(
    logical_name: str, state_machine: aws.sfn.StateMachine, topic_arn: pulumi.Input[str], parent: pulumi.Resource
) -> aws.cloudwatch.MetricAlarm:
    """Fires when an execution fails (its Catch could not even report the failure, or it timed out)."""
    return _alarm(
        logical_name,
        topic_arn,
        parent,
        "A state machine execution failed.",
        namespace="AWS/States",
        metric_name="ExecutionsFailed",
        dimensions={"StateMachineArn": state_machine.arn},
        statistic="Sum",
        comparison_operator="GreaterThanOrEqualToThreshold",
        threshold=1,
    )
