"""SNS topics (id = ARN), topic policies and subscriptions."""

from __future__ import annotations

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner


def topic(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    attributes = {"KmsMasterKeyId": str(inputs["kmsMasterKeyId"])} if inputs.get("kmsMasterKeyId") else {}
    arn = ctx.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
    return arn, {"arn": arn}


def topic_policy(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    ctx.client("sns").set_topic_attributes(
        TopicArn=inputs["arn"], AttributeName="Policy", AttributeValue=ctx.json_text(inputs["policy"])
    )
    return str(inputs["arn"]), {}


def topic_subscription(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    attributes: dict[str, str] = {}
    if inputs.get("rawMessageDelivery"):
        attributes["RawMessageDelivery"] = "true"
    if inputs.get("redrivePolicy"):
        attributes["RedrivePolicy"] = ctx.json_text(inputs["redrivePolicy"])
    if inputs.get("filterPolicy"):
        attributes["FilterPolicy"] = ctx.json_text(inputs["filterPolicy"])
        attributes["FilterPolicyScope"] = inputs.get("filterPolicyScope") or "MessageAttributes"
    arn = ctx.client("sns").subscribe(
        TopicArn=inputs["topic"],
        Protocol=inputs["protocol"],
        Endpoint=inputs["endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return arn, {"arn": arn}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:sns/topic:Topic": topic,
    "aws:sns/topicPolicy:TopicPolicy": topic_policy,
    "aws:sns/topicSubscription:TopicSubscription": topic_subscription,
}
