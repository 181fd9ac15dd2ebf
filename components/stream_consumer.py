"""StreamConsumer: a DynamoDB table's stream -> Lambda (event source mapping), in order, never silently lost."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pulumi
import pulumi_aws as aws

from components import alarms
from components.base import (
    Grant,
    Transforms,
    check_transforms,
    child,
    deny_insecure_transport,
    raise_problems,
    resource_policy,
    transforms_for,
)
from components.function import FUNCTION_CHILDREN, FunctionArgs, LambdaFunction, validate_function_args
from components.subscriptions import create_dead_letter_queue

STREAM_CONSUMER_CHILDREN = ("dlq", "dlq_policy", "mapping", *FUNCTION_CHILDREN)
#: What Lambda's stream poller calls with the function's role on the mapping's stream ARN. (ListStreams,
#: in AWS's managed execution role, finds a table's streams: the mapping names the stream, and ListStreams
#: accepts only Resource "*", which no grant here may use.)
STREAM_READ_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
#: A stream keeps records 24 hours: retrying longer than that could only lose them silently.
STREAM_RETENTION_SECONDS = 24 * 3600


@dataclass(frozen=True, kw_only=True)
class StreamConsumerArgs:
    """A consumer of a table's stream.

    stream_arn: the table's `stream_arn` (the table needs a stream, `TableArgs(stream=True)`).
    function: the consumer's code and grants (stream reads and the DLQ send are added for you).
    batch_size: records per invocation, default 10.
    maximum_record_age_seconds: how long a failing record is retried before it is dead-lettered, default 21600 (6 h)
        (at most the stream's 24 h). Retries are unbounded in number within that age.
    max_iterator_age_seconds: the age of the oldest unprocessed record that raises an alarm, default 300.
    filter_patterns: event filtering patterns on the stream record (e.g. `{"eventName": ["INSERT"]}`): only
        matching records invoke the function, the others are skipped, default none (every record).
    """

    stream_arn: pulumi.Input[str]
    function: FunctionArgs
    batch_size: int = 10
    maximum_record_age_seconds: int = 6 * 3600
    max_iterator_age_seconds: int = 300
    filter_patterns: tuple[Mapping[str, Any], ...] = ()


def _streams_of_table(stream_arn: str) -> str:
    """``arn:...:table/<name>/stream/<label>`` -> ``arn:...:table/<name>/stream/*``."""
    return stream_arn.rsplit("/stream/", 1)[0] + "/stream/*"


def _validate(args: StreamConsumerArgs, transforms: Transforms | None) -> list[str]:
    problems: list[str] = []
    validate_function_args(args.function, problems)
    check_transforms(transforms, STREAM_CONSUMER_CHILDREN, problems)
    if not 1 <= args.batch_size <= 10000:
        problems.append(f"batch_size must be between 1 and 10000, got {args.batch_size}")
    if not 60 <= args.maximum_record_age_seconds <= STREAM_RETENTION_SECONDS:
        problems.append(
            f"maximum_record_age_seconds must be between 60 and {STREAM_RETENTION_SECONDS}, "
            f"got {args.maximum_record_age_seconds}"
        )
    problems.extend(
        f"filter pattern {index} is empty: it would match every record"
        for index, pattern in enumerate(args.filter_patterns)
        if not pattern
    )
    if args.max_iterator_age_seconds < 60:
        problems.append(f"max_iterator_age_seconds must be at least 60, got {args.max_iterator_age_seconds}")
    return problems


class StreamConsumer(pulumi.ComponentResource):
    """Runs a function on every change of a table, in order per item, with ReportBatchItemFailures:
    a failing record is retried (bisected) until it succeeds or is too old, and only then recorded in
    the DLQ (Lambda writes the batch's shard and sequence numbers, never the record's data).
    Alarms: the DLQ, the function's errors, and the iterator age (records waiting too long).

        relay = StreamConsumer("orders-outbox", StreamConsumerArgs(
            stream_arn=orders.table.stream_arn, function=FunctionArgs(handler="handlers.orders.outbox.handler", ...),
        ))
    """

    dead_letter_queue: aws.sqs.Queue
    dead_letter_queue_policy: aws.sqs.QueuePolicy
    consumer: LambdaFunction
    mapping: aws.lambda_.EventSourceMapping
    alarms: list[aws.cloudwatch.MetricAlarm]

    def __init__(
        self,
        name: str,
        args: StreamConsumerArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:StreamConsumer", name, None, opts)
        raise_problems("StreamConsumer", name, _validate(args, transforms))
        alarm_topic = args.function.observability.alarm_topic_arn
        self.dead_letter_queue = create_dead_letter_queue(self, name, transforms)
        # Lambda sends the failure records with the function's role (granted below); nothing uses plain HTTP.
        self.dead_letter_queue_policy = child(
            aws.sqs.QueuePolicy,
            f"{name}-dlq-policy",
            self,
            transforms,
            "dlq_policy",
            required={
                "queue_url": self.dead_letter_queue.id,
                "policy": resource_policy([deny_insecure_transport([self.dead_letter_queue.arn], "sqs:*")]),
            },
        )
        needs = (
            # Any stream of this table (it has one at a time): a stream's label changes when the stream is
            # re-enabled, and the label's colons trip ARN linters.
            Grant(
                actions=STREAM_READ_ACTIONS,
                resources=(pulumi.Output.from_input(args.stream_arn).apply(_streams_of_table),),
            ),
            Grant(actions=("sqs:SendMessage",), resources=(self.dead_letter_queue.arn,)),
        )
        self.consumer = LambdaFunction(
            name,
            replace(args.function, grants=(*args.function.grants, *needs)),
            transforms=transforms_for(transforms, FUNCTION_CHILDREN),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # What the pattern needs to work goes on last: the source, in order from the oldest record, partial
        # batch responses, bisection, retries bounded by age, and the DLQ.
        required: dict[str, Any] = {
            "event_source_arn": args.stream_arn,
            "function_name": self.consumer.function.arn,
            "starting_position": "TRIM_HORIZON",
            "function_response_types": ["ReportBatchItemFailures"],
            "bisect_batch_on_function_error": True,
            "maximum_retry_attempts": -1,
            "maximum_record_age_in_seconds": args.maximum_record_age_seconds,
            "destination_config": {"on_failure": {"destination_arn": self.dead_letter_queue.arn}},
        }
        if args.filter_patterns:
            required["filter_criteria"] = {
                "filters": [{"pattern": json.dumps(pattern, sort_keys=True)} for pattern in args.filter_patterns]
            }
        self.mapping = child(
            aws.lambda_.EventSourceMapping,
            f"{name}-mapping",
            self,
            transforms,
            "mapping",
            defaults={"batch_size": args.batch_size, "maximum_batching_window_in_seconds": 0},
            required=required,
            opts=pulumi.ResourceOptions(depends_on=[self.consumer.policy]),
        )
        self.alarms = [
            alarms.dead_letter_alarm(f"{name}-dlq-alarm", self.dead_letter_queue, alarm_topic, self, transforms),
            alarms.iterator_age_alarm(
                f"{name}-iterator-age-alarm",
                self.consumer.function,
                alarm_topic,
                self,
                args.max_iterator_age_seconds,
                transforms,
            ),
        ]
        self.register_outputs(
            {"function_arn": self.consumer.function.arn, "dead_letter_queue_arn": self.dead_letter_queue.arn}
        )
