"""A transform may change any default, never what a component's pattern requires (defaults -> the user's
transform -> the pattern's needs). Each component gets a hostile transform on every child it lets users adjust."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components import (
    Bucket,
    BucketArgs,
    EventBus,
    EventBusArgs,
    EventService,
    EventServiceArgs,
    NotifyingTopic,
    NotifyingTopicArgs,
    QueuedConsumer,
    Table,
    TableArgs,
    TopicSubscription,
    Workflow,
    WorkflowArgs,
)
from components.base import Grant, TransformResult
from components.bucket import ObjectLock
from components.encryption_key import EncryptionKey, EncryptionKeyArgs
from components.event_forwarder import EventForwarder, EventForwarderArgs
from components.notifying_topic import QueueSubscriber
from devtools.program import ACCOUNT_ID
from tests.unit.test_components import BUS, OBS, ORDER_PLACED, function_args, queued, run

ATTACKER = "arn:aws:iam::999999999999:role/attacker"
OPEN_TRUST = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})


def hostile(**replacements: Any) -> Any:
    """A transform that overwrites and deletes what it can: the given keys replaced, every other key dropped."""

    def transform(kwargs: dict[str, Any], opts: pulumi.ResourceOptions) -> TransformResult:
        # Options too: no parent, no dependencies, no aliases.
        return dict(replacements), pulumi.ResourceOptions(parent=None, depends_on=[], aliases=[])

    return transform


FUNCTION_TRANSFORMS = {
    "role": hostile(name="renamed", assume_role_policy=OPEN_TRUST),
    "policy": hostile(role="someone-else", policy=json.dumps({"Statement": []})),
    "log_group": hostile(name="/elsewhere"),
    "function": hostile(role=ATTACKER, name="renamed", handler="evil.handler"),
}
RULE_TRANSFORMS = {
    "rule": hostile(name="renamed", event_bus_name="default", event_pattern=json.dumps({"source": [{"prefix": ""}]})),
    "target": hostile(arn=ATTACKER, dead_letter_config=None, rule="other"),
    "dlq": hostile(name="renamed"),
}


def assert_function_pattern_kept(result: Any, name: str) -> None:
    role = result.named(f"{name}-role")
    trust = role.json_input("assumeRolePolicy")["Statement"]
    assert role.inputs["name"] == f"eventshop-test-{name}-role"
    assert trust[0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    policy = result.named(f"{name}-policy")
    assert policy.inputs["role"] == role.id
    assert policy.json_input("policy")["Statement"], "the least-privilege document was emptied"
    assert result.named(f"{name}-logs").inputs["name"] == f"/aws/lambda/eventshop-test-{name}"
    function = result.named(f"{name}-fn").inputs
    assert (function["role"], function["name"]) == (role.arn, f"eventshop-test-{name}")


def assert_rule_pattern_kept(result: Any, name: str, key: str) -> None:
    rule = result.named(f"{name}-rule-{key}").inputs
    assert rule["name"] == f"eventshop-test-{name}-{key}"
    assert rule["eventBusName"] == BUS.name
    assert json.loads(rule["eventPattern"]) == ORDER_PLACED.pattern
    target = result.named(f"{name}-target-{key}").inputs
    assert target["arn"] != ATTACKER and target["deadLetterConfig"]["arn"].endswith(f"{name}-dlq")
    assert result.named(f"{name}-dlq").inputs["name"] == f"eventshop-test-{name}-dlq"


def test_queued_consumer_keeps_its_redrive_rules_mapping_and_function() -> None:
    transforms = {
        **FUNCTION_TRANSFORMS,
        **RULE_TRANSFORMS,
        "queue": hostile(redrive_policy=None, name="renamed"),
        "event_source_mapping": hostile(function_response_types=[], event_source_arn=ATTACKER),
    }
    result = run(lambda: QueuedConsumer("billing", queued(), transforms=transforms))

    queue = result.named("billing-queue").inputs
    assert json.loads(queue["redrivePolicy"])["deadLetterTargetArn"].endswith("eventshop-test-billing-dlq")
    mapping = result.named("billing-mapping").inputs
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["eventSourceArn"] == result.named("billing-queue").arn
    assert_rule_pattern_kept(result, "billing", "placed")
    assert_function_pattern_kept(result, "billing")


def test_event_service_keeps_its_permissions_destinations_rules_and_function() -> None:
    args = EventServiceArgs(bus=BUS, subscriptions=(ORDER_PLACED,), function=function_args())
    transforms = {
        **FUNCTION_TRANSFORMS,
        **RULE_TRANSFORMS,
        "permission": hostile(principal="*", source_arn=None),
        "invoke_config": hostile(destination_config=None),
    }
    result = run(lambda: EventService("email", args, transforms=transforms))

    permission = result.named("email-permission-placed").inputs
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["sourceArn"] == result.named("email-rule-placed").arn
    assert permission["sourceAccount"] == ACCOUNT_ID
    invoke = result.named("email-invoke-config").inputs
    assert invoke["destinationConfig"]["onFailure"]["destination"] == result.named("email-dlq").arn
    assert_rule_pattern_kept(result, "email", "placed")
    assert_function_pattern_kept(result, "email")


def test_notifying_topic_keeps_its_key_policy_encryption_and_subscription_redrive() -> None:
    args = NotifyingTopicArgs(
        alarm_name_prefix="x-",
        subscriptions=(TopicSubscription(key="hook", protocol="https", endpoint="https://example.com/hook"),),
        queue_subscribers=(QueueSubscriber(key="outbox"),),
    )
    transforms = {
        "key": hostile(policy=json.dumps({"Statement": []})),
        "topic": hostile(kms_master_key_id=None),
        "subscription": hostile(redrive_policy=None, endpoint="https://attacker.example", topic=ATTACKER),
        "queue": hostile(name="renamed"),
    }
    result = run(lambda: NotifyingTopic("news", args, transforms=transforms))

    assert result.named("news-topic").inputs["kmsMasterKeyId"] == result.named("news-key").arn
    sids = {s["Sid"] for s in result.named("news-key").json_input("policy")["Statement"]}
    assert sids == {"AccountAdministersKeyThroughIam", "Allow_CloudWatch_for_CMK"}
    delivery_dlq = result.named("news-delivery-dlq").arn
    for key, endpoint in (("hook", "https://example.com/hook"), ("outbox", result.named("news-outbox-queue").arn)):
        subscription = result.named(f"news-sub-{key}").inputs
        assert json.loads(subscription["redrivePolicy"]) == {"deadLetterTargetArn": delivery_dlq}, key
        assert (subscription["endpoint"], subscription["topic"]) == (endpoint, result.named("news-topic").arn)
    assert result.named("news-outbox-queue").inputs["name"] == "eventshop-test-news-outbox"


def test_workflow_keeps_its_roles_trust_documents_and_target() -> None:
    args = WorkflowArgs(
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        bus=BUS,
        starts_on=ORDER_PLACED,
        grants=(Grant(("dynamodb:GetItem",), ("arn:aws:dynamodb:eu-west-1:123456789012:table/t",)),),
        observability=OBS,
    )
    transforms = {
        "role": hostile(assume_role_policy=OPEN_TRUST),
        "target_role": hostile(assume_role_policy=OPEN_TRUST),
        "policy": hostile(policy=json.dumps({"Statement": []})),
        "target_role_policy": hostile(policy=json.dumps({"Statement": [{"Effect": "Allow", "Action": "*"}]})),
        "state_machine": hostile(role_arn=ATTACKER),
        "target": hostile(role_arn=ATTACKER, arn=ATTACKER),
        "rule": RULE_TRANSFORMS["rule"],
    }
    result = run(lambda: Workflow("flow", args, transforms=transforms))

    machine = result.named("flow-state-machine")
    assert machine.inputs["roleArn"] == result.named("flow-role").arn
    trust = result.named("flow-role").json_input("assumeRolePolicy")["Statement"][0]
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": machine.arn}
    start_trust = result.named("flow-start-role").json_input("assumeRolePolicy")["Statement"][0]
    assert start_trust["Condition"]["ArnLike"] == {"aws:SourceArn": result.named("flow-rule-placed").arn}
    assert result.named("flow-policy").json_input("policy")["Statement"][0]["Action"] == ["dynamodb:GetItem"]
    start_policy = result.named("flow-start-policy").json_input("policy")["Statement"]
    assert start_policy == [
        {"Sid": "Grant0", "Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [machine.arn]}
    ]
    target = result.named("flow-target-placed").inputs
    assert (target["arn"], target["roleArn"]) == (machine.arn, result.named("flow-start-role").arn)
    assert json.loads(result.named("flow-rule-placed").inputs["eventPattern"]) == ORDER_PLACED.pattern


def test_event_forwarder_keeps_its_rule_and_target_role() -> None:
    pattern = {"source": ["aws.s3"], "detail-type": ["Object Created"]}
    args = EventForwarderArgs(to_bus=BUS, pattern=pattern, sources=("aws.s3",), alarm_topic_arn=OBS.alarm_topic_arn)
    transforms = {"rule": RULE_TRANSFORMS["rule"], "target": hostile(role_arn=ATTACKER, arn=ATTACKER)}
    result = run(lambda: EventForwarder("fwd", args, transforms=transforms))

    rule = result.named("fwd-rule-forward").inputs
    assert (json.loads(rule["eventPattern"]), rule["eventBusName"]) == (pattern, "default")
    target = result.named("fwd-target-forward").inputs
    assert (target["arn"], target["roleArn"]) == (BUS.arn, result.named("fwd-role").arn)


def test_bucket_keeps_encryption_public_access_block_policy_lock_and_expiry() -> None:
    args = BucketArgs(
        expiration_days=30,
        kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/k",
        versioning=True,
        object_lock=ObjectLock(days=30),
        write_once_prefixes=("docs/",),
    )
    transforms = {
        child: hostile(bucket="someone-elses-bucket")
        for child in (
            "encryption",
            "public_access_block",
            "ownership",
            "policy",
            "lifecycle",
            "versioning",
            "object_lock",
        )
    }
    result = run(lambda: Bucket("docs", args, transforms={**transforms, "bucket": hostile(bucket="renamed")}))

    assert result.named("docs-bucket").inputs["bucket"] == "eventshop-test-docs"
    for child in ("encryption", "public-access-block", "ownership", "policy", "lifecycle", "versioning", "object-lock"):
        assert result.named(f"docs-{child}").inputs["bucket"] == "eventshop-test-docs", child
    encryption = result.named("docs-encryption").inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert encryption == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": args.kms_key_arn}
    assert result.named("docs-public-access-block").inputs["restrictPublicBuckets"] is True
    sids = [s["Sid"] for s in result.named("docs-policy").json_input("policy")["Statement"]]
    assert sids == ["DenyInsecureTransport", "DenyOverwritingWriteOnceObjects"]
    assert result.named("docs-lifecycle").inputs["rules"][0]["expiration"] == {"days": 30}
    assert result.named("docs-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    assert result.named("docs-object-lock").inputs["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 30}


def test_table_bus_and_key_keep_their_names_keys_and_policies() -> None:
    def build() -> None:
        Table(
            "stock",
            TableArgs(hash_key="sku", seed_items=({"sku": "A", "n": 1},)),
            transforms={"table": hostile(hash_key="other", name="renamed"), "item": hostile(table_name="other")},
        )
        EventBus(
            "bus",
            EventBusArgs(bus_name="shop-bus", archive_retention_days=7),
            transforms={"bus": hostile(name="renamed"), "archive": hostile(event_source_arn=ATTACKER)},
        )
        EncryptionKey(
            "docs-key",
            EncryptionKeyArgs(description="docs"),
            transforms={"key": hostile(enable_key_rotation=False, policy=OPEN_TRUST)},
        )

    result = run(build)

    table = result.named("stock-table").inputs
    assert (table["name"], table["hashKey"]) == ("eventshop-test-stock", "sku")
    assert result.named("stock-item-A").inputs["tableName"] == "eventshop-test-stock"
    assert result.named("bus-bus").inputs["name"] == "shop-bus"
    assert result.named("bus-archive").inputs["eventSourceArn"] == result.named("bus-bus").arn
    key = result.named("docs-key-key")
    assert key.inputs["enableKeyRotation"] is True
    assert [s["Sid"] for s in key.json_input("policy")["Statement"]] == ["AccountAdministersKeyThroughIam"]
