"""Each component alone, under mocks: secure defaults, validation, transforms, documented defaults."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components import (
    Batching,
    BusRef,
    EventBus,
    EventBusArgs,
    EventService,
    EventServiceArgs,
    FunctionArgs,
    Grant,
    NotifyingTopic,
    NotifyingTopicArgs,
    Observability,
    QueuedConsumer,
    QueuedConsumerArgs,
    Route,
    Subscription,
    Table,
    TableArgs,
    TopicSubscription,
)
from components.base import TransformResult
from components.event_service import AsyncRetry
from components.notifying_topic import QueueSubscriber
from components.subscriptions import TargetRetry
from devtools.program import ProgramRun, run_callable

BUS = BusRef(name="shop-bus", arn="arn:aws:events:eu-west-1:123456789012:event-bus/shop-bus")
OBS = Observability(log_retention_days=14, log_level="INFO", alarm_topic_arn="arn:aws:sns:eu-west-1:123456789012:ops")
ORDER_PLACED = Subscription(key="placed", pattern={"source": ["shop.orders"], "detail-type": ["OrderPlaced"]})


def function_args(**overrides: Any) -> FunctionArgs:
    base = FunctionArgs(
        handler="handlers.billing.app.handler", source_dirs=("handlers/billing", "handlers/shared"), observability=OBS
    )
    return dataclasses.replace(base, **overrides)


def run(build: Callable[[], object]) -> ProgramRun:
    return run_callable(build, stack="test")


def queued(**overrides: Any) -> QueuedConsumerArgs:
    return dataclasses.replace(
        QueuedConsumerArgs(bus=BUS, subscriptions=(ORDER_PLACED,), function=function_args()), **overrides
    )


class TestQueuedConsumer:
    def test_queue_and_dead_letter_queue_are_encrypted_and_redriven_by_default(self) -> None:
        result = run(lambda: QueuedConsumer("billing", queued()))
        queue = result.named("billing-queue").inputs
        dlq = result.named("billing-dlq").inputs
        assert queue["sqsManagedSseEnabled"] is True and dlq["sqsManagedSseEnabled"] is True
        assert json.loads(queue["redrivePolicy"]) == {
            "deadLetterTargetArn": "arn:aws:sqs:eu-west-1:123456789012:eventshop-test-billing-dlq",
            "maxReceiveCount": 5,
        }
        assert dlq["messageRetentionSeconds"] == 14 * 24 * 3600
        assert queue["visibilityTimeoutSeconds"] == 60  # six times the 10 s default timeout

    def test_the_mapping_reports_partial_batch_failures_with_the_batching_given(self) -> None:
        args = queued(batching=Batching(size=25, window_seconds=5, maximum_concurrency=7))
        mapping = run(lambda: QueuedConsumer("billing", args)).named("billing-mapping").inputs
        assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
        assert (mapping["batchSize"], mapping["maximumBatchingWindowInSeconds"]) == (25, 5)
        assert mapping["scalingConfig"] == {"maximumConcurrency": 7}

    def test_the_visibility_timeout_covers_six_timeouts_and_the_batching_window(self) -> None:
        args = queued(function=function_args(timeout_seconds=30), batching=Batching(size=10, window_seconds=4))
        queue = run(lambda: QueuedConsumer("billing", args)).named("billing-queue").inputs
        assert queue["visibilityTimeoutSeconds"] == 184

    def test_a_transform_adjusts_a_child_but_not_what_the_pattern_needs(self) -> None:
        def longer_retention(kwargs: dict[str, Any], _opts: pulumi.ResourceOptions) -> None:
            kwargs["message_retention_seconds"] = 600
            kwargs["redrive_policy"] = "{}"

        result = run(lambda: QueuedConsumer("billing", queued(), transforms={"queue": longer_retention}))
        queue = result.named("billing-queue").inputs
        assert queue["messageRetentionSeconds"] == 600
        assert json.loads(queue["redrivePolicy"])["maxReceiveCount"] == 5

    def test_a_function_transform_reaches_the_function(self) -> None:
        def bigger(kwargs: dict[str, Any], opts: pulumi.ResourceOptions) -> TransformResult:
            return {**kwargs, "memory_size": 1024}, opts

        result = run(lambda: QueuedConsumer("billing", queued(), transforms={"function": bigger}))
        assert result.named("billing-fn").inputs["memorySize"] == 1024

    def test_every_problem_is_reported_at_once(self) -> None:
        args = queued(
            subscriptions=(),
            batching=Batching(size=50, window_seconds=0, maximum_concurrency=1),
            max_receive_count=0,
            function=function_args(grants=(Grant(actions=("dynamodb:*",), resources=("*",)),)),
        )
        with pytest.raises(ValueError, match="QueuedConsumer 'billing' has invalid arguments") as error:
            run(lambda: QueuedConsumer("billing", args, transforms={"queeu": lambda _args, _opts: None}))
        message = str(error.value)
        for expected in (
            "subscriptions is empty",
            "batching.size above 10 needs batching.window_seconds of at least 1",
            "batching.maximum_concurrency must be between 2 and 1000, got 1",
            "max_receive_count (maxReceiveCount) must be between 1 and 1000, got 0",
            "grant action 'dynamodb:*' is a wildcard",
            "has a wildcard resource",
            "transforms: unknown child 'queeu'",
        ):
            assert expected in message

    def test_a_pattern_that_would_match_every_event_is_refused(self) -> None:
        args = queued(subscriptions=(Subscription(key="all", pattern={"account": ["123456789012"]}),))
        with pytest.raises(ValueError, match="the pattern must constrain source or detail-type"):
            run(lambda: QueuedConsumer("billing", args))

    def test_subscription_keys_name_rules_stably(self) -> None:
        result = run(lambda: QueuedConsumer("billing", queued()))
        rule = result.named("billing-rule-placed").inputs
        assert rule["name"] == "eventshop-test-billing-placed"
        assert json.loads(rule["eventPattern"]) == ORDER_PLACED.pattern
        assert rule["eventBusName"] == "shop-bus"


class TestEventService:
    def test_each_rule_gets_a_target_with_retries_and_dlq_and_a_scoped_permission(self) -> None:
        subscriptions = (
            ORDER_PLACED,
            Subscription(key="paid", pattern={"source": ["shop.billing"], "detail-type": ["Paid"]}),
        )
        result = run(
            lambda: EventService(
                "email", EventServiceArgs(bus=BUS, subscriptions=subscriptions, function=function_args())
            )
        )
        for key in ("placed", "paid"):
            rule_arn = result.named(f"email-rule-{key}").arn
            permission = result.named(f"email-permission-{key}").inputs
            assert permission == {
                "action": "lambda:InvokeFunction",
                "function": "eventshop-test-email",
                "principal": "events.amazonaws.com",
                "sourceArn": rule_arn,
                "sourceAccount": "123456789012",
            }
            target = result.named(f"email-target-{key}").inputs
            assert target["retryPolicy"] == {"maximumRetryAttempts": 185, "maximumEventAgeInSeconds": 86400}
            assert target["deadLetterConfig"]["arn"].endswith(":eventshop-test-email-dlq")

    def test_failed_invocations_go_to_the_dlq_and_successes_to_the_bus_when_asked(self) -> None:
        args = EventServiceArgs(
            bus=BUS,
            subscriptions=(ORDER_PLACED,),
            function=function_args(),
            on_success_to_bus=True,
            retry=AsyncRetry(maximum_retry_attempts=1, maximum_event_age_seconds=120),
        )
        config = run(lambda: EventService("email", args)).named("email-invoke-config").inputs
        assert config["destinationConfig"] == {
            "onFailure": {"destination": "arn:aws:sqs:eu-west-1:123456789012:eventshop-test-email-dlq"},
            "onSuccess": {"destination": BUS.arn},
        }
        assert (config["maximumRetryAttempts"], config["maximumEventAgeInSeconds"]) == (1, 120)

    def test_without_on_success_there_is_no_success_destination_and_no_put_events_grant(self) -> None:
        result = run(
            lambda: EventService(
                "email", EventServiceArgs(bus=BUS, subscriptions=(ORDER_PLACED,), function=function_args())
            )
        )
        assert "onSuccess" not in result.named("email-invoke-config").inputs["destinationConfig"]
        policy = result.named("email-policy").json_input("policy")
        assert all("events:PutEvents" not in s["Action"] for s in policy["Statement"])

    def test_async_retries_are_bounded_by_lambdas_limits(self) -> None:
        args = EventServiceArgs(
            bus=BUS,
            subscriptions=(ORDER_PLACED,),
            function=function_args(),
            retry=AsyncRetry(maximum_retry_attempts=3, maximum_event_age_seconds=30),
        )
        with pytest.raises(
            ValueError,
            match=(
                r"retry.maximum_retry_attempts must be between 0 and 2, got 3[\s\S]*"
                r"maximum_event_age_seconds must be between 60 and 21600, got 30"
            ),
        ):
            run(lambda: EventService("email", args))


class TestLambdaFunction:
    def test_emitting_grants_put_events_on_the_bus_for_the_declared_sources_only(self) -> None:
        args = queued(function=function_args(emits=("shop.billing",), bus=BUS))
        result = run(lambda: QueuedConsumer("billing", args))
        statements = result.named("billing-policy").json_input("policy")["Statement"]
        put = [s for s in statements if s["Action"] == ["events:PutEvents"]]
        assert put == [
            {
                "Sid": "Grant2",
                "Effect": "Allow",
                "Action": ["events:PutEvents"],
                "Resource": [BUS.arn],
                "Condition": {"StringEquals": {"events:source": ["shop.billing"]}},
            }
        ]
        assert result.named("billing-fn").inputs["environment"]["variables"]["EVENT_BUS_NAME"] == "shop-bus"

    def test_emitting_without_a_bus_is_refused(self) -> None:
        with pytest.raises(ValueError, match="emits needs a bus to put events on"):
            run(lambda: QueuedConsumer("billing", queued(function=function_args(emits=("shop.billing",)))))

    def test_missing_code_is_refused(self) -> None:
        with pytest.raises(ValueError, match="source dir 'handlers/nope' does not exist"):
            run(lambda: QueuedConsumer("billing", queued(function=function_args(source_dirs=("handlers/nope",)))))

    def test_the_package_holds_the_folders_and_their_parent_packages(self) -> None:
        code = run(lambda: QueuedConsumer("billing", queued())).named("billing-fn").inputs["code"]
        assert sorted(code.assets) == ["handlers/__init__.py", "handlers/billing", "handlers/shared"]


class TestNotifyingTopic:
    def test_a_topic_nobody_may_publish_to_is_refused(self) -> None:
        with pytest.raises(ValueError, match="nobody may publish"):
            run(lambda: NotifyingTopic("news", NotifyingTopicArgs()))

    def test_a_queue_subscriber_accepts_only_this_topic(self) -> None:
        args = NotifyingTopicArgs(
            publisher_role_arns=("arn:aws:iam::123456789012:role/sender",),
            queue_subscribers=(QueueSubscriber(key="outbox"),),
        )
        result = run(lambda: NotifyingTopic("news", args))
        topic_arn = result.named("news-topic").arn
        policy = result.named("news-outbox-queue-policy").json_input("policy")
        allow = policy["Statement"][0]
        assert allow["Principal"] == {"Service": "sns.amazonaws.com"}
        assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": topic_arn}}
        subscription = result.named("news-sub-outbox").inputs
        assert subscription["rawMessageDelivery"] is True and subscription["protocol"] == "sqs"

    def test_application_subscribers_dead_letter_and_email_ones_cannot(self) -> None:
        args = NotifyingTopicArgs(
            alarm_name_prefix="x-",
            subscriptions=(
                TopicSubscription(key="hook", protocol="https", endpoint="https://example.com/hook"),
                TopicSubscription(key="mail", protocol="email", endpoint="ops@example.com"),
            ),
        )
        result = run(lambda: NotifyingTopic("news", args))
        dlq = result.named("news-delivery-dlq")
        assert result.named("news-sub-hook").json_input("redrivePolicy") == {"deadLetterTargetArn": dlq.arn}
        assert "redrivePolicy" not in result.named("news-sub-mail").inputs
        alarm = result.named("news-delivery-dlq-alarm").inputs
        assert alarm["dimensions"] == {"QueueName": dlq.outputs["name"]}
        assert alarm["alarmActions"] == [result.named("news-topic").arn]

    def test_routes_reshape_bus_events_onto_the_topic_with_retries_and_a_dlq(self) -> None:
        args = NotifyingTopicArgs(
            bus=BUS,
            alarm_topic_arn=OBS.alarm_topic_arn,
            routes=(
                Route(
                    key="failed",
                    pattern={"source": ["shop.flow"], "detail-type": ["Failed"]},
                    input_paths={"id": "$.detail.orderId"},
                    input_template='"Order <id> failed"',
                ),
            ),
            route_retry=TargetRetry(maximum_retry_attempts=3, maximum_event_age_seconds=600),
        )
        result = run(lambda: NotifyingTopic("news", args))
        target = result.named("news-target-failed").inputs
        assert target["inputTransformer"] == {
            "inputPaths": {"id": "$.detail.orderId"},
            "inputTemplate": '"Order <id> failed"',
        }
        assert target["retryPolicy"] == {"maximumRetryAttempts": 3, "maximumEventAgeInSeconds": 600}
        assert target["deadLetterConfig"]["arn"].endswith("eventshop-test-news-routes-dlq")
        statements = {s["Sid"]: s for s in json.loads(result.named("news-topic-policy").inputs["policy"])["Statement"]}
        assert statements["AllowOwnRoutes"]["Condition"] == {
            "ArnEquals": {"aws:SourceArn": [result.named("news-rule-failed").arn]}
        }
        key_policy = result.named("news-key").json_input("policy")
        assert key_policy["Statement"][1] == {
            "Sid": "Allow_EventBridge_for_CMK",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
            "Resource": "*",
        }

    def test_subscriber_protocols_and_urls_are_checked(self) -> None:
        args = NotifyingTopicArgs(
            alarm_name_prefix="x-",
            subscriptions=(
                TopicSubscription(key="a", protocol="sms", endpoint="+100"),
                TopicSubscription(key="b", protocol="https", endpoint="http://plain"),
            ),
        )
        with pytest.raises(
            ValueError,
            match=r"protocol must be one of email, sqs, https, lambda, got 'sms'[\s\S]*https endpoints must start with https://",
        ):
            run(lambda: NotifyingTopic("news", args))


class TestTableAndBus:
    def test_a_table_is_on_demand_encrypted_and_recoverable_by_default(self) -> None:
        table = (
            run(lambda: Table("orders", TableArgs(hash_key="orderId", ttl_attribute="expiration")))
            .named("orders-table")
            .inputs
        )
        assert table["billingMode"] == "PAY_PER_REQUEST"
        assert table["serverSideEncryption"] == {"enabled": True}
        assert table["pointInTimeRecovery"] == {"enabled": True}
        assert table["deletionProtectionEnabled"] is True
        assert table["ttl"] == {"attributeName": "expiration", "enabled": True}
        assert table["attributes"] == [{"name": "orderId", "type": "S"}]

    def test_seed_items_become_typed_items(self) -> None:
        args = TableArgs(hash_key="sku", seed_items=[{"sku": "A", "price": 1.5, "tags": ["x"], "active": True}])
        item = run(lambda: Table("catalog", args)).named("catalog-item-A").json_input("item")
        assert item == {"sku": {"S": "A"}, "price": {"N": "1.5"}, "tags": {"L": [{"S": "x"}]}, "active": {"BOOL": True}}

    def test_a_seed_item_without_its_key_is_refused(self) -> None:
        with pytest.raises(ValueError, match="seed item 0 has no 'sku'"):
            run(lambda: Table("catalog", TableArgs(hash_key="sku", seed_items=[{"name": "x"}])))

    def test_the_bus_archives_every_event_for_the_given_days(self) -> None:
        result = run(lambda: EventBus("events", EventBusArgs(bus_name="shop-test", archive_retention_days=3)))
        archive = result.named("events-archive").inputs
        assert archive["eventSourceArn"] == result.named("events-bus").arn
        assert archive["retentionDays"] == 3

    def test_the_default_bus_is_refused(self) -> None:
        with pytest.raises(ValueError, match="must name a custom bus"):
            run(lambda: EventBus("events", EventBusArgs(bus_name="default", archive_retention_days=3)))


def test_components_expose_their_children(monkeypatch: pytest.MonkeyPatch) -> None:
    built: dict[str, QueuedConsumer] = {}

    def build() -> None:
        built["c"] = QueuedConsumer("billing", queued())

    run(build)
    consumer = built["c"]
    assert isinstance(consumer.queue, pulumi.CustomResource)
    assert set(consumer.rules) == {"placed"} and set(consumer.targets) == {"placed"}
    assert consumer.function is consumer.consumer.function
