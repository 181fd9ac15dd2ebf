"""Bucket and EventForwarder alone, under mocks: secure defaults, what transforms cannot undo, validation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components import Bucket, BucketArgs, BusRef
from components.base import TransformResult
from components.event_forwarder import EventForwarder, EventForwarderArgs
from devtools.program import ProgramRun, run_callable

BUS = BusRef(name="shop-bus", arn="arn:aws:events:eu-west-1:123456789012:event-bus/shop-bus")
OPS = "arn:aws:sns:eu-west-1:123456789012:ops"
S3_PATTERN = {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": ["b"]}}}


def run(build: Callable[[], object]) -> ProgramRun:
    return run_callable(build, stack="test")


def forwarder(**overrides: Any) -> EventForwarderArgs:
    values: dict[str, Any] = {"to_bus": BUS, "pattern": S3_PATTERN, "sources": ("aws.s3",), "alarm_topic_arn": OPS}
    return EventForwarderArgs(**(values | overrides))


def test_a_bucket_is_sse_s3_encrypted_without_eventbridge_by_default() -> None:
    result = run(lambda: Bucket("docs", BucketArgs(expiration_days=7)))
    rule = result.named("docs-encryption").inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert [r for r in result.resources if r.typ == "aws:s3/bucketNotification:BucketNotification"] == []
    assert result.named("docs-lifecycle").inputs["rules"][0]["expiration"] == {"days": 7}


def test_a_bucket_with_a_key_is_kms_encrypted_with_a_bucket_key() -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/k"
    result = run(lambda: Bucket("docs", BucketArgs(expiration_days=7, kms_key_arn=key)))
    rule = result.named("docs-encryption").inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}
    assert rule["bucketKeyEnabled"] is True


def test_a_transform_cannot_open_the_bucket_to_the_public() -> None:
    def open_up(kwargs: dict[str, Any], opts: pulumi.ResourceOptions) -> TransformResult:
        return kwargs | {"block_public_policy": False}, opts

    args = BucketArgs(expiration_days=7)
    result = run(lambda: Bucket("docs", args, transforms={"public_access_block": open_up}))
    assert result.named("docs-public-access-block").inputs["blockPublicPolicy"] is True


def test_bucket_arguments_are_validated_at_once() -> None:
    with pytest.raises(ValueError, match="expiration_days must be at least 1, not 0") as error:
        run(lambda: Bucket("docs", BucketArgs(expiration_days=0), transforms={"nope": lambda args, opts: (args, opts)}))
    assert "unknown child 'nope'" in str(error.value)


def test_the_forwarders_dead_letter_queue_accepts_only_its_own_rule() -> None:
    result = run(lambda: EventForwarder("fwd", forwarder()))
    rule = result.named("fwd-rule-forward")
    assert rule.inputs["eventBusName"] == "default"
    [allow] = [s for s in result.named("fwd-dlq-policy").json_input("policy")["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": [rule.arn]}}
    alarms = {r.name for r in result.resources if r.typ == "aws:cloudwatch/metricAlarm:MetricAlarm"}
    assert alarms == {"fwd-dlq-alarm", "fwd-forward-failed-alarm"}


def test_the_forwarding_role_may_put_only_the_patterns_sources() -> None:
    with pytest.raises(ValueError, match="sources must be exactly the pattern's sources"):
        run(lambda: EventForwarder("fwd", forwarder(sources=("aws.s3", "eventshop.orders"))))
    with pytest.raises(ValueError, match="the pattern must name the source"):
        run(lambda: EventForwarder("fwd", forwarder(pattern={"detail-type": ["Object Created"]}, sources=())))
