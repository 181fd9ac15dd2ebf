"""SQS queues and queue policies (queue id = URL, as the provider's)."""

from __future__ import annotations

import json
from typing import Any

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner

_QUEUE_ATTRIBUTES = {
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "delaySeconds": "DelaySeconds",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "maxMessageSize": "MaximumMessageSize",
    "redrivePolicy": "RedrivePolicy",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
    "fifoQueue": "FifoQueue",
    "contentBasedDeduplication": "ContentBasedDeduplication",
    "policy": "Policy",
}


def _attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value)


def queue(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    attributes = {
        aws_key: _attribute(inputs[key]) for key, aws_key in _QUEUE_ATTRIBUTES.items() if inputs.get(key) is not None
    }
    sqs = ctx.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, {"arn": arn, "url": url}


def queue_policy(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    url = str(inputs["queueUrl"])
    ctx.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": ctx.json_text(inputs["policy"])})
    return url, {}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:sqs/queue:Queue": queue,
    "aws:sqs/queuePolicy:QueuePolicy": queue_policy,
}
