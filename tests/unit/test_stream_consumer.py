"""StreamConsumer alone, under mocks: ordered delivery with partial failures, a DLQ, alarms, and transforms
that cannot remove what the pattern needs."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pulumi
import pytest

from components import StreamConsumer, StreamConsumerArgs
from tests.unit.test_components import function_args, run

STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/eventshop-test-orders/stream/2026-01-01T00:00:00.000"


def stream_args(**overrides: Any) -> StreamConsumerArgs:
    return dataclasses.replace(StreamConsumerArgs(stream_arn=STREAM, function=function_args()), **overrides)


def test_the_mapping_reads_in_order_reports_partial_failures_and_dead_letters_old_records() -> None:
    result = run(lambda: StreamConsumer("outbox", stream_args(maximum_record_age_seconds=3600)))
    mapping = result.named("outbox-mapping").inputs
    assert mapping["eventSourceArn"] == STREAM
    assert mapping["startingPosition"] == "TRIM_HORIZON"
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["bisectBatchOnFunctionError"] is True
    assert (mapping["maximumRetryAttempts"], mapping["maximumRecordAgeInSeconds"]) == (-1, 3600)
    assert mapping["destinationConfig"] == {
        "onFailure": {"destinationArn": "arn:aws:sqs:eu-west-1:123456789012:eventshop-test-outbox-dlq"}
    }
    assert result.named("outbox-dlq").inputs["sqsManagedSseEnabled"] is True


def test_the_role_reads_only_this_tables_streams_and_sends_only_to_its_dlq() -> None:
    result = run(lambda: StreamConsumer("outbox", stream_args()))
    statements = json.loads(result.named("outbox-policy").inputs["policy"])["Statement"]
    grants = {(action, resource) for s in statements for action in s["Action"] for resource in s["Resource"]}
    streams = "arn:aws:dynamodb:eu-west-1:123456789012:table/eventshop-test-orders/stream/*"
    assert {(f"dynamodb:{a}", streams) for a in ("DescribeStream", "GetRecords", "GetShardIterator")} <= grants
    assert ("sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:eventshop-test-outbox-dlq") in grants


def test_the_iterator_age_and_the_dlq_are_alarmed() -> None:
    result = run(lambda: StreamConsumer("outbox", stream_args(max_iterator_age_seconds=120)))
    age = result.named("outbox-iterator-age-alarm").inputs
    assert (age["namespace"], age["metricName"], age["threshold"]) == ("AWS/Lambda", "IteratorAge", 120_000)
    assert age["alarmActions"] == ["arn:aws:sns:eu-west-1:123456789012:ops"]
    assert result.named("outbox-dlq-alarm").inputs["metricName"] == "ApproximateNumberOfMessagesVisible"


def test_a_transform_cannot_remove_what_the_pattern_needs() -> None:
    def hostile(kwargs: dict[str, Any], _opts: pulumi.ResourceOptions) -> None:
        kwargs["batch_size"] = 5
        kwargs["function_response_types"] = []
        kwargs["destination_config"] = None
        kwargs["starting_position"] = "LATEST"

    mapping = run(lambda: StreamConsumer("outbox", stream_args(), transforms={"mapping": hostile})).named(
        "outbox-mapping"
    )
    assert mapping.inputs["batchSize"] == 5
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.inputs["startingPosition"] == "TRIM_HORIZON"
    assert mapping.inputs["destinationConfig"]["onFailure"]["destinationArn"].endswith(":eventshop-test-outbox-dlq")


def test_every_problem_is_reported_at_once() -> None:
    args = stream_args(batch_size=0, maximum_record_age_seconds=10**6, max_iterator_age_seconds=1)
    with pytest.raises(ValueError, match="StreamConsumer 'outbox' has invalid arguments") as raised:
        run(lambda: StreamConsumer("outbox", args, transforms={"mappnig": lambda _args, _opts: None}))
    for problem in ("batch_size", "maximum_record_age_seconds", "max_iterator_age_seconds", "unknown child 'mappnig'"):
        assert problem in str(raised.value)
