"""EventBridge: buses, archives, rules and their targets."""

from __future__ import annotations

from typing import Any

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner, as_int


def event_bus(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    arn = ctx.client("events").create_event_bus(Name=name)["EventBusArn"]
    return name, {"arn": arn}


def event_archive(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    kwargs: dict[str, Any] = {"ArchiveName": name, "EventSourceArn": inputs["eventSourceArn"]}
    if inputs.get("description"):
        kwargs["Description"] = inputs["description"]
    if inputs.get("retentionDays") is not None:
        kwargs["RetentionDays"] = as_int(inputs["retentionDays"])
    if inputs.get("eventPattern"):
        kwargs["EventPattern"] = ctx.json_text(inputs["eventPattern"])
    arn = ctx.client("events").create_archive(**kwargs)["ArchiveArn"]
    return name, {"arn": arn}


def event_rule(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    bus = str(inputs.get("eventBusName") or "default")
    kwargs: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": inputs.get("state") or "ENABLED"}
    if inputs.get("eventPattern"):
        kwargs["EventPattern"] = ctx.json_text(inputs["eventPattern"])
    if inputs.get("scheduleExpression"):
        kwargs["ScheduleExpression"] = inputs["scheduleExpression"]
    if inputs.get("description"):
        kwargs["Description"] = inputs["description"]
    if inputs.get("roleArn"):
        kwargs["RoleArn"] = inputs["roleArn"]
    arn = ctx.client("events").put_rule(**kwargs)["RuleArn"]
    return (name if bus == "default" else f"{bus}/{name}"), {"arn": arn}


def event_target(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    bus = str(inputs.get("eventBusName") or "default")
    target_id = str(inputs.get("targetId") or name)
    target: dict[str, Any] = {"Id": target_id, "Arn": inputs["arn"]}
    retry = inputs.get("retryPolicy")
    if retry:
        target["RetryPolicy"] = {
            "MaximumRetryAttempts": as_int(retry.get("maximumRetryAttempts", 185)),
            "MaximumEventAgeInSeconds": as_int(retry.get("maximumEventAgeInSeconds", 86400)),
        }
    if inputs.get("deadLetterConfig"):
        target["DeadLetterConfig"] = {"Arn": inputs["deadLetterConfig"]["arn"]}
    transformer = inputs.get("inputTransformer")
    if transformer:
        target["InputTransformer"] = {
            "InputPathsMap": dict(transformer.get("inputPaths") or {}),
            "InputTemplate": transformer["inputTemplate"],
        }
    for key, aws_key in (("input", "Input"), ("inputPath", "InputPath"), ("roleArn", "RoleArn")):
        if inputs.get(key):
            target[aws_key] = inputs[key]
    if inputs.get("sqsTarget"):
        target["SqsParameters"] = {"MessageGroupId": inputs["sqsTarget"].get("messageGroupId")}
    ctx.client("events").put_targets(Rule=inputs["rule"], EventBusName=bus, Targets=[target])
    return f"{bus}-{inputs['rule']}-{target_id}", {"targetId": target_id}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:cloudwatch/eventBus:EventBus": event_bus,
    "aws:cloudwatch/eventArchive:EventArchive": event_archive,
    "aws:cloudwatch/eventRule:EventRule": event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": event_target,
}
