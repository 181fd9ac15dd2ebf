"""Each stack policy against a small stack that violates it and one that passes."""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import PolicyResource

from policy.rules.resource_types import (
    BUCKET_ENCRYPTION,
    BUCKET_POLICY,
    BUCKET_PUBLIC_ACCESS_BLOCK,
    BUCKETS,
    EVENT_SOURCE_MAPPING,
    EVENT_TARGET,
    FUNCTION,
    INVOKE_CONFIG,
    LOG_GROUP,
    METRIC_ALARM,
    PERMISSION,
    QUEUE,
    QUEUE_POLICY,
    TOPIC_SUBSCRIPTION,
)
from tests.policy.conftest import stack_policy
from tests.policy.support import UNKNOWN, stack_resource, stack_violations

ACCOUNT = "arn:aws:sqs:eu-west-1:123456789012"
BUCKET = BUCKETS[0]


def queue(name: str, **props: Any) -> PolicyResource:
    return stack_resource(
        QUEUE, name, {"name": name, "arn": f"{ACCOUNT}:{name}", "url": f"https://sqs/{name}", **props}
    )


def redriving(name: str, dlq: str) -> PolicyResource:
    return queue(name, redrivePolicy=json.dumps({"deadLetterTargetArn": f"{ACCOUNT}:{dlq}", "maxReceiveCount": 3}))


def depth_alarm(queue_name: str, metric: str = "ApproximateNumberOfMessagesVisible") -> PolicyResource:
    return stack_resource(
        METRIC_ALARM,
        f"{queue_name}-alarm",
        {"namespace": "AWS/SQS", "metricName": metric, "dimensions": {"QueueName": queue_name}},
    )


def mapping(queue_name: str) -> PolicyResource:
    return stack_resource(
        EVENT_SOURCE_MAPPING,
        f"{queue_name}-mapping",
        {"eventSourceArn": f"{ACCOUNT}:{queue_name}", "functionName": "f"},
    )


# --- consumer-queues-have-dlq --------------------------------------------------------------------


def test_consumed_queue_without_redrive_is_reported() -> None:
    found = stack_violations(stack_policy("consumer-queues-have-dlq"), [queue("work"), mapping("work")])

    assert len(found) == 1
    assert found[0].startswith("work: Queue work has no redrive policy")


def test_queue_redriving_to_its_dlq_passes_and_the_dlq_needs_no_dlq_of_its_own() -> None:
    resources = [redriving("work", "work-dlq"), queue("work-dlq"), mapping("work")]

    assert stack_violations(stack_policy("consumer-queues-have-dlq"), resources) == []


def test_queue_that_is_only_an_event_targets_dead_letter_queue_needs_no_redrive() -> None:
    target = stack_resource(
        EVENT_TARGET,
        "t",
        {"arn": "arn:aws:lambda:eu-west-1:1:function:f", "deadLetterConfig": {"arn": f"{ACCOUNT}:t-dlq"}},
    )

    assert stack_violations(stack_policy("consumer-queues-have-dlq"), [target, queue("t-dlq")]) == []


def test_queue_a_function_hands_to_its_runtime_schedules_as_their_dlq_needs_no_redrive() -> None:
    function = stack_resource(
        "aws:lambda/function:Function",
        "scheduling-fn",
        {"environment": {"variables": {"SCHEDULER_DLQ_ARN": f"{ACCOUNT}:schedules-dlq"}}},
    )

    assert stack_violations(stack_policy("consumer-queues-have-dlq"), [function, queue("schedules-dlq")]) == []


def test_topic_outbox_queue_that_nothing_polls_needs_no_redrive() -> None:
    subscription = stack_resource(
        TOPIC_SUBSCRIPTION, "outbox-sub", {"protocol": "sqs", "endpoint": f"{ACCOUNT}:outbox"}
    )

    assert stack_violations(stack_policy("consumer-queues-have-dlq"), [subscription, queue("outbox")]) == []


def test_topic_subscriber_queue_that_a_function_polls_needs_a_dlq() -> None:
    subscription = stack_resource(TOPIC_SUBSCRIPTION, "sub", {"protocol": "sqs", "endpoint": f"{ACCOUNT}:inbox"})

    found = stack_violations(stack_policy("consumer-queues-have-dlq"), [subscription, queue("inbox"), mapping("inbox")])

    assert [message.split(":")[0] for message in found] == ["inbox"]


def test_in_a_preview_the_dlq_is_recognised_through_property_dependencies() -> None:
    dlq = stack_resource(QUEUE, "new-dlq", {"name": "new-dlq", "arn": UNKNOWN})
    work = stack_resource(
        QUEUE, "new", {"name": "new", "arn": UNKNOWN, "redrivePolicy": UNKNOWN}, {"redrivePolicy": [dlq]}
    )
    alarm = stack_resource(
        METRIC_ALARM,
        "new-dlq-alarm",
        {
            "namespace": "AWS/SQS",
            "metricName": "ApproximateNumberOfMessagesVisible",
            "dimensions": {"QueueName": UNKNOWN},
        },
        {"dimensions": [dlq]},
    )

    assert stack_violations(stack_policy("consumer-queues-have-dlq"), [work, dlq]) == []
    assert stack_violations(stack_policy("dead-letter-queues-alarmed"), [work, dlq, alarm]) == []
    assert stack_violations(stack_policy("dead-letter-queues-alarmed"), [work, dlq]) != []


# --- async-lambda-on-failure-destination ---------------------------------------------------------

FUNCTION_NAME = "eventshop-dev-email"


def function() -> PolicyResource:
    return stack_resource(
        FUNCTION, "email-fn", {"name": FUNCTION_NAME, "arn": f"arn:aws:lambda:eu-west-1:1:function:{FUNCTION_NAME}"}
    )


def permission(principal: str) -> PolicyResource:
    return stack_resource(PERMISSION, f"perm-{principal}", {"function": FUNCTION_NAME, "principal": principal})


def invoke_config(on_failure: str | None) -> PolicyResource:
    destinations: dict[str, Any] = {"onSuccess": {"destination": "arn:aws:events:eu-west-1:1:event-bus/b"}}
    if on_failure:
        destinations["onFailure"] = {"destination": on_failure}
    return stack_resource(INVOKE_CONFIG, "cfg", {"functionName": FUNCTION_NAME, "destinationConfig": destinations})


def test_function_eventbridge_invokes_without_on_failure_destination_is_reported() -> None:
    policy = stack_policy("async-lambda-on-failure-destination")

    without_config = stack_violations(policy, [function(), permission("events.amazonaws.com")])
    only_on_success = stack_violations(policy, [function(), permission("events.amazonaws.com"), invoke_config(None)])

    assert len(without_config) == len(only_on_success) == 1
    assert "invoked asynchronously by ['events.amazonaws.com']" in without_config[0]


def test_function_eventbridge_invokes_with_an_on_failure_queue_passes() -> None:
    resources = [function(), permission("events.amazonaws.com"), invoke_config(f"{ACCOUNT}:email-dlq")]

    assert stack_violations(stack_policy("async-lambda-on-failure-destination"), resources) == []


def test_function_only_api_gateway_invokes_needs_no_destination() -> None:
    resources = [function(), permission("apigateway.amazonaws.com")]

    assert stack_violations(stack_policy("async-lambda-on-failure-destination"), resources) == []


# --- dead-letter-queues-alarmed ------------------------------------------------------------------


def test_dead_letter_queue_without_depth_alarm_is_reported() -> None:
    resources = [
        redriving("work", "work-dlq"),
        queue("work-dlq"),
        depth_alarm("work-dlq", "ApproximateAgeOfOldestMessage"),
    ]

    found = stack_violations(stack_policy("dead-letter-queues-alarmed"), resources)

    assert len(found) == 1
    assert found[0].startswith("work-dlq: Dead-letter queue work-dlq has no alarm")


def test_dead_letter_queue_with_depth_alarm_passes() -> None:
    resources = [redriving("work", "work-dlq"), queue("work-dlq"), depth_alarm("work-dlq")]

    assert stack_violations(stack_policy("dead-letter-queues-alarmed"), resources) == []


def test_alarm_on_another_queue_does_not_cover_the_dlq() -> None:
    resources = [redriving("work", "work-dlq"), queue("work-dlq"), depth_alarm("work")]

    assert len(stack_violations(stack_policy("dead-letter-queues-alarmed"), resources)) == 1


# --- buckets ------------------------------------------------------------------------------------


def bucket() -> PolicyResource:
    return stack_resource(
        BUCKET,
        "invoices",
        {
            "bucket": "eventshop-dev-invoices",
            "id": "eventshop-dev-invoices",
            "arn": "arn:aws:s3:::eventshop-dev-invoices",
        },
    )


def public_access_block(**overrides: bool) -> PolicyResource:
    flags = {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    return stack_resource(
        BUCKET_PUBLIC_ACCESS_BLOCK, "invoices-pab", {"bucket": "eventshop-dev-invoices", **flags, **overrides}
    )


def test_bucket_without_or_with_a_partial_public_access_block_is_reported() -> None:
    policy = stack_policy("s3-public-access-blocked")

    assert len(stack_violations(policy, [bucket()])) == 1
    assert len(stack_violations(policy, [bucket(), public_access_block(restrictPublicBuckets=False)])) == 1


def test_bucket_with_all_four_public_access_settings_passes() -> None:
    assert stack_violations(stack_policy("s3-public-access-blocked"), [bucket(), public_access_block()]) == []


def test_bucket_without_default_encryption_is_reported() -> None:
    found = stack_violations(stack_policy("s3-bucket-encrypted"), [bucket()])

    assert len(found) == 1
    assert "BucketServerSideEncryptionConfiguration" in found[0]


def test_bucket_with_a_separate_encryption_configuration_passes() -> None:
    encryption = stack_resource(
        BUCKET_ENCRYPTION[0],
        "invoices-sse",
        {
            "bucket": "eventshop-dev-invoices",
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}],
        },
    )

    assert stack_violations(stack_policy("s3-bucket-encrypted"), [bucket(), encryption]) == []


# --- queues-and-buckets-tls-only -----------------------------------------------------------------


def tls_policy(typ: str, reference: dict[str, str], service: str, resource: str) -> PolicyResource:
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": f"{service}:*",
        "Resource": resource,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return stack_resource(
        typ, f"{service}-policy", {**reference, "policy": json.dumps({"Version": "2012-10-17", "Statement": [deny]})}
    )


def test_queue_and_bucket_without_tls_only_policy_are_reported() -> None:
    found = stack_violations(stack_policy("queues-and-buckets-tls-only"), [queue("work"), bucket()])

    assert sorted(message.split(":")[0] for message in found) == ["invoices", "work"]


def test_queue_and_bucket_with_tls_only_policies_pass() -> None:
    resources = [
        queue("work"),
        tls_policy(QUEUE_POLICY, {"queueUrl": "https://sqs/work"}, "sqs", f"{ACCOUNT}:work"),
        bucket(),
        tls_policy(BUCKET_POLICY, {"bucket": "eventshop-dev-invoices"}, "s3", "arn:aws:s3:::eventshop-dev-invoices/*"),
    ]

    assert stack_violations(stack_policy("queues-and-buckets-tls-only"), resources) == []


def test_a_tls_policy_on_another_queue_does_not_cover_this_one() -> None:
    resources = [queue("work"), queue("other"), tls_policy(QUEUE_POLICY, {"queueUrl": "https://sqs/other"}, "sqs", "x")]

    found = stack_violations(stack_policy("queues-and-buckets-tls-only"), resources)

    assert [message.split(":")[0] for message in found] == ["work"]


# --- lambda-log-group-managed --------------------------------------------------------------------


def test_function_logging_to_an_undeclared_log_group_is_reported() -> None:
    found = stack_violations(stack_policy("lambda-log-group-managed"), [function()])

    assert found == [
        f"email-fn: Function email-fn writes to /aws/lambda/{FUNCTION_NAME}, which this stack does not manage: Lambda "
        "would create it with no retention. Declare the LogGroup (with retention) and point "
        "logging_config.log_group at it."
    ]


def test_function_with_its_declared_log_group_passes() -> None:
    group = stack_resource(LOG_GROUP, "logs", {"name": f"/aws/lambda/{FUNCTION_NAME}", "retentionInDays": 7})

    assert stack_violations(stack_policy("lambda-log-group-managed"), [function(), group]) == []


def test_bucket_with_inline_default_encryption_passes() -> None:
    inline = stack_resource(
        BUCKET,
        "legacy",
        {
            "bucket": "legacy",
            "serverSideEncryptionConfiguration": {
                "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
            },
        },
    )

    assert stack_violations(stack_policy("s3-bucket-encrypted"), [inline]) == []
