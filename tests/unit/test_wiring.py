"""This program's wiring, checked over every resource of both stacks.

The architecture's general rules (every rule has a target, every target retries and dead-letters to a
queue of the stack, rule-scoped Lambda permissions and queue policies, per-message SQS failures, encrypted
queues, alarmed DLQs, alarms that notify, managed log groups) are policies of the pack in policy/rules/,
held against both stacks by tests/policy/test_program_policies.py.
"""

from __future__ import annotations

import json

from devtools.program import ProgramRun
from settings import Settings
from tests.unit.graph import (
    ALARM,
    FUNCTION,
    LOG_GROUP,
    MAPPING,
    QUEUE,
    RULE,
    SUBSCRIPTION,
    TARGET,
    Graph,
)

#: The only rules that may match an AWS service's events: the invoices' forward and Email's invoice rule.
AWS_SOURCE_RULES = ("invoices-forward-rule-forward", "email-rule-invoices")


def test_every_rule_pattern_names_a_source_and_detail_types(run: ProgramRun) -> None:
    for rule in run.of_type(RULE):
        pattern = rule.json_input("eventPattern")
        assert pattern["detail-type"], f"rule {rule.name} matches every detail-type of its source"
        if rule.name in AWS_SOURCE_RULES:
            continue
        assert pattern["source"] and all(s.startswith("eventshop.") for s in pattern["source"]), rule.name


def test_only_the_invoice_rules_match_s3_events_and_only_the_invoices_bucket(run: ProgramRun) -> None:
    bucket = f"eventshop-{run.stack}-invoices"
    rules = {rule.name: rule for rule in run.of_type(RULE)}
    assert {name for name, rule in rules.items() if "aws.s3" in rule.json_input("eventPattern")["source"]} == set(
        AWS_SOURCE_RULES
    )
    for name in AWS_SOURCE_RULES:
        assert rules[name].json_input("eventPattern") == {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"prefix": "invoices/"}]}},
        }, name
    assert rules["invoices-forward-rule-forward"].inputs["eventBusName"] == "default"
    assert rules["email-rule-invoices"].inputs["eventBusName"] == f"eventshop-{run.stack}"


def test_the_forward_rule_puts_on_the_shop_bus_with_a_role_that_may_do_only_that(run: ProgramRun) -> None:
    graph = Graph(run)
    bus_arn = f"arn:aws:events:eu-west-1:123456789012:event-bus/eventshop-{run.stack}"
    [target] = graph.targets_of(run.named("invoices-forward-rule-forward"))
    assert target.inputs["arn"] == bus_arn
    assert target.inputs["eventBusName"] == "default"
    assert target.inputs["retryPolicy"]["maximumRetryAttempts"] > 0
    role = run.named("invoices-forward-role")
    assert target.inputs["roleArn"] == role.outputs["arn"]
    # Only EventBridge acting for this very rule, in this account, may assume the role...
    assert role.json_input("assumeRolePolicy")["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "123456789012"},
                "ArnLike": {"aws:SourceArn": run.named("invoices-forward-rule-forward").arn},
            },
        }
    ]
    # ...and it may only put events on the shop bus (no events:source: see components/event_forwarder.py).
    assert run.named("invoices-forward-role-policy").json_input("policy")["Statement"] == [
        {"Sid": "ForwardOnBehalfOfOneRule", "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": [bus_arn]}
    ]
    dlq = graph.queue_by_arn(target.inputs["deadLetterConfig"]["arn"])
    assert dlq.outputs["name"] == f"eventshop-{run.stack}-invoices-forward-dlq"


def test_a_queue_target_lets_eventbridge_do_nothing_but_send_to_it(run: ProgramRun) -> None:
    """This program's statement shape; the pack's queue-targets-scoped-to-their-rules limits it to the rules
    targeting the queue, and queues-and-buckets-tls-only requires the TLS deny."""
    graph = Graph(run)
    queue_arns = {q.arn for q in run.of_type(QUEUE)}
    target_queue_arns = {t.inputs["arn"] for t in run.of_type(TARGET) if t.inputs["arn"] in queue_arns}
    assert target_queue_arns
    for queue_arn in target_queue_arns:
        queue = graph.queue_by_arn(queue_arn)
        allows = [s for s in graph.queue_policy_of(queue)["Statement"] if s["Effect"] == "Allow"]
        assert len(allows) == 1, f"{queue.name}: expected one Allow statement, got {allows}"
        assert allows[0]["Principal"] == {"Service": "events.amazonaws.com"}
        assert allows[0]["Action"] == ["sqs:SendMessage"]
        assert allows[0]["Resource"] == queue.arn


def test_every_queued_consumer_drains_its_queue_with_partial_batch_failures(
    run: ProgramRun, settings: Settings
) -> None:
    """This program's consumer settings; the pack's sqs-consumers-fail-per-message and
    dead-letters-land-in-the-stack hold every consumer to partial batch failures, visibility and its DLQ."""
    graph = Graph(run)
    mappings = [m for m in run.of_type(MAPPING) if ":sqs:" in m.inputs["eventSourceArn"]]
    assert len(mappings) == 6
    for mapping in mappings:
        queue = graph.queue_by_arn(mapping.inputs["eventSourceArn"])
        assert mapping.inputs["batchSize"] == settings.consumers.batch_size
        assert mapping.inputs["maximumBatchingWindowInSeconds"] == settings.consumers.batching_window_seconds
        assert mapping.inputs["scalingConfig"]["maximumConcurrency"] == settings.consumers.maximum_concurrency
        redrive = json.loads(queue.inputs["redrivePolicy"])
        assert redrive["maxReceiveCount"] == settings.consumers.max_receive_count


def test_every_dead_letter_queue_has_an_alarm_on_the_ops_topic(run: ProgramRun) -> None:
    graph = Graph(run)
    alarm_topic = graph.by_physical_name("aws:sns/topic:Topic", f"eventshop-{run.stack}-alarms")
    dlq_arns = graph.dead_letter_queue_arns()
    # billing, warehouse, order-status, email, customer-notification deliveries, invoice forwarding,
    # fulfillment, fulfillment reservations, reminders, scheduled reminders, email reminders, the orders outbox
    assert len(dlq_arns) == 12
    for arn in dlq_arns:
        queue = graph.queue_by_arn(arn)
        alarms = [
            a
            for a in run.of_type(ALARM)
            if a.inputs["metricName"] == "ApproximateNumberOfMessagesVisible"
            and a.inputs["dimensions"] == {"QueueName": queue.outputs["name"]}
        ]
        assert len(alarms) == 1, f"dead-letter queue {queue.name} has {len(alarms)} alarms"
        assert alarms[0].inputs["alarmActions"] == [alarm_topic.arn]
        assert alarms[0].inputs["threshold"] == 1


def test_what_sns_cannot_deliver_to_an_application_endpoint_is_dead_lettered(run: ProgramRun) -> None:
    graph = Graph(run)
    for subscription in run.of_type(SUBSCRIPTION):
        if subscription.inputs["protocol"] == "email":
            assert "redrivePolicy" not in subscription.inputs, subscription.name
            continue
        dlq = graph.queue_by_arn(json.loads(subscription.inputs["redrivePolicy"])["deadLetterTargetArn"])
        assert dlq.outputs["name"] == f"eventshop-{run.stack}-customer-notifications-delivery-dlq"
        allow = graph.queue_policy_of(dlq)["Statement"][0]
        assert allow["Principal"] == {"Service": "sns.amazonaws.com"}
        assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": subscription.inputs["topic"]}}


def test_every_alarm_notifies_the_ops_topic(run: ProgramRun) -> None:
    topic_arn = f"arn:aws:sns:eu-west-1:123456789012:eventshop-{run.stack}-alarms"
    for alarm in run.of_type(ALARM):
        assert alarm.inputs["alarmActions"] == [topic_arn], alarm.name
        assert alarm.outputs["name"].startswith(f"eventshop-{run.stack}-"), "the topic policy only admits the prefix"


def test_every_function_logs_to_its_own_group_with_the_stack_retention(run: ProgramRun, settings: Settings) -> None:
    groups = {g.outputs["name"]: g for g in run.of_type(LOG_GROUP)}
    for function in run.of_type(FUNCTION):
        expected = f"/aws/lambda/{function.outputs['name']}"
        assert function.inputs["loggingConfig"] == {"logGroup": expected, "logFormat": "JSON"}
        assert groups[expected].inputs["retentionInDays"] == settings.log_retention_days


def test_every_function_runs_arm64_python_with_powertools_and_tracing(run: ProgramRun, settings: Settings) -> None:
    functions = run.of_type(FUNCTION)
    assert len(functions) == 9  # + the orders outbox relay and the fulfillment reservations consumer
    for function in functions:
        assert function.inputs["architectures"] == ["arm64"]
        assert function.inputs["runtime"] == "python3.13"
        assert function.inputs["layers"] == [settings.powertools_layer_arn]
        assert function.inputs["tracingConfig"] == {"mode": "Active"}
        assert function.inputs["environment"]["variables"]["POWERTOOLS_LOG_LEVEL"] == settings.log_level
        assert function.inputs["handler"].startswith("handlers.")


def test_every_resource_is_tagged_through_its_service_provider(run: ProgramRun, settings: Settings) -> None:
    providers = {r.name: json.loads(r.inputs["defaultTags"])["tags"] for r in run.of_type("pulumi:providers:aws")}
    services = (
        "ops",
        "platform",
        "contracts",
        "identity",
        "warehouse",
        "billing",
        "orders",
        "email",
        "fulfillment",
        "reminders",
        "storefront",
        *(("api-firewall",) if settings.waf.enabled else ()),
    )
    assert set(providers) == {f"{s}-aws" for s in services}
    for name, tags in providers.items():
        assert tags == {"environment": run.stack, "project": "eventshop", "service": name.removesuffix("-aws")}
    for resource in run.custom_resources:
        assert resource.provider is not None, f"{resource.name} uses the default provider and misses the tags"
        assert resource.provider.split("::")[-2] in providers, resource.name


def test_physical_names_carry_the_stack(run: ProgramRun) -> None:
    named_types = (QUEUE, RULE, FUNCTION, "aws:dynamodb/table:Table", "aws:iam/role:Role", "aws:sns/topic:Topic")
    for typ in named_types:
        for resource in run.of_type(typ):
            assert resource.outputs["name"].startswith(f"eventshop-{run.stack}-"), resource.name


def test_the_orders_outbox_relays_the_orders_stream_in_order_until_published(
    run: ProgramRun, settings: Settings
) -> None:
    graph = Graph(run)
    [mapping] = [m for m in run.of_type(MAPPING) if ":dynamodb:" in m.inputs["eventSourceArn"]]
    orders = run.named("orders-table")
    assert orders.inputs["streamEnabled"] is True and orders.inputs["streamViewType"] == "NEW_IMAGE"
    assert mapping.inputs["eventSourceArn"] == orders.outputs["streamArn"]
    assert (
        graph.function_by_arn(mapping.inputs["functionName"]).outputs["name"] == f"eventshop-{run.stack}-orders-outbox"
    )
    assert mapping.inputs["startingPosition"] == "TRIM_HORIZON"
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.inputs["bisectBatchOnFunctionError"] is True
    assert mapping.inputs["maximumRetryAttempts"] == -1
    assert mapping.inputs["maximumRecordAgeInSeconds"] == settings.outbox.maximum_record_age_seconds
    assert mapping.inputs["filterCriteria"] == {"filters": [{"pattern": '{"eventName": ["INSERT"]}'}]}
    dlq = graph.queue_by_arn(mapping.inputs["destinationConfig"]["onFailure"]["destinationArn"])
    assert dlq.outputs["name"] == f"eventshop-{run.stack}-orders-outbox-dlq"
    [age_alarm] = [a for a in run.of_type(ALARM) if a.inputs["metricName"] == "IteratorAge"]
    assert age_alarm.inputs["dimensions"] == {"FunctionName": f"eventshop-{run.stack}-orders-outbox"}
    assert age_alarm.inputs["threshold"] == settings.outbox.alarm_after_seconds * 1000
    alarm_topic = graph.by_physical_name("aws:sns/topic:Topic", f"eventshop-{run.stack}-alarms")
    assert age_alarm.inputs["alarmActions"] == [alarm_topic.arn]
