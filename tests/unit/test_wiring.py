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
    lambda_entry_points,
)

QUEUED_CONSUMER = "eventshop:components:QueuedConsumer"

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
    bucket = f"{run.prefix}-invoices"
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
    assert rules["email-rule-invoices"].inputs["eventBusName"] == run.prefix


def test_the_forward_rule_puts_on_the_shop_bus_with_a_role_that_may_do_only_that(run: ProgramRun) -> None:
    graph = Graph(run)
    bus_arn = f"arn:aws:events:eu-west-1:123456789012:event-bus/{run.prefix}"
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
    assert dlq.outputs["name"] == f"{run.prefix}-invoices-forward-dlq"


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
    consumer_queues = {f"{run.prefix}-{consumer.name}-queue" for consumer in run.of_type(QUEUED_CONSUMER)}
    assert consumer_queues, "the program declares no queued consumer"
    # Every queued consumer drains its own queue through exactly one mapping, and nothing else polls a queue.
    assert sorted(graph.queue_by_arn(m.inputs["eventSourceArn"]).outputs["name"] for m in mappings) == sorted(
        consumer_queues
    )
    for mapping in mappings:
        queue = graph.queue_by_arn(mapping.inputs["eventSourceArn"])
        assert mapping.inputs["batchSize"] == settings.consumers.batch_size
        assert mapping.inputs["maximumBatchingWindowInSeconds"] == settings.consumers.batching_window_seconds
        assert mapping.inputs["scalingConfig"]["maximumConcurrency"] == settings.consumers.maximum_concurrency
        redrive = json.loads(queue.inputs["redrivePolicy"])
        assert redrive["maxReceiveCount"] == settings.consumers.max_receive_count


def test_every_dead_letter_queue_has_an_alarm_on_the_ops_topic(run: ProgramRun) -> None:
    graph = Graph(run)
    alarm_topic = graph.by_physical_name("aws:sns/topic:Topic", f"{run.prefix}-alarms")
    dlq_arns = graph.dead_letter_queue_arns()
    # Each queue named a dead-letter queue is one something dead-letters into, and the other way round.
    assert dlq_arns
    assert dlq_arns == {q.arn for q in run.of_type(QUEUE) if q.outputs["name"].endswith("-dlq")}
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
        assert dlq.outputs["name"] == f"{run.prefix}-customer-notifications-delivery-dlq"
        allow = graph.queue_policy_of(dlq)["Statement"][0]
        assert allow["Principal"] == {"Service": "sns.amazonaws.com"}
        assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": subscription.inputs["topic"]}}


def test_every_alarm_notifies_the_ops_topic(run: ProgramRun) -> None:
    topic_arn = f"arn:aws:sns:eu-west-1:123456789012:{run.prefix}-alarms"
    for alarm in run.of_type(ALARM):
        assert alarm.inputs["alarmActions"] == [topic_arn], alarm.name
        assert alarm.outputs["name"].startswith(f"{run.prefix}-"), "the topic policy only admits the prefix"


def test_every_function_logs_to_its_own_group_with_the_stack_retention(run: ProgramRun, settings: Settings) -> None:
    groups = {g.outputs["name"]: g for g in run.of_type(LOG_GROUP)}
    for function in run.of_type(FUNCTION):
        expected = f"/aws/lambda/{function.outputs['name']}"
        assert function.inputs["loggingConfig"] == {"logGroup": expected, "logFormat": "JSON"}
        assert groups[expected].inputs["retentionInDays"] == settings.log_retention_days


def test_every_function_runs_arm64_python_with_powertools_and_tracing(run: ProgramRun, settings: Settings) -> None:
    functions = run.of_type(FUNCTION)
    # Every Lambda entry point under handlers/ runs in exactly one function, and every function runs one.
    assert sorted(function.inputs["handler"] for function in functions) == sorted(lambda_entry_points())
    # The WebSocket authorizer alone adds the JOSE layer it verifies tokens with (services/live.py).
    jose = run.named("jose-layer").outputs["arn"]
    for function in functions:
        assert function.inputs["architectures"] == ["arm64"]
        assert function.inputs["runtime"] == "python3.13"
        extra = [jose] if function.name == "live-authorizer-fn" else []
        assert function.inputs["layers"] == [settings.powertools_layer_arn, *extra]
        assert function.inputs["tracingConfig"] == {"mode": "Active"}
        assert function.inputs["environment"]["variables"]["POWERTOOLS_LOG_LEVEL"] == settings.log_level
        assert function.inputs["handler"].startswith("handlers.")


def test_every_resource_is_tagged_through_its_service_provider(run: ProgramRun, settings: Settings) -> None:
    providers = {r.name: json.loads(r.inputs["defaultTags"])["tags"] for r in run.of_type("pulumi:providers:aws")}
    assert {"ops-aws", "platform-aws", "contracts-aws"} <= set(providers)
    for name, tags in providers.items():
        assert tags == {"environment": run.stack, "project": run.project, "service": name.removesuffix("-aws")}
    used = set()
    for resource in run.custom_resources:
        assert resource.provider is not None, f"{resource.name} uses the default provider and misses the tags"
        assert resource.provider.split("::")[-2] in providers, resource.name
        used.add(resource.provider.split("::")[-2])
    assert used == set(providers), f"providers no resource uses: {sorted(set(providers) - used)}"


def test_physical_names_carry_the_stack(run: ProgramRun) -> None:
    named_types = (QUEUE, RULE, FUNCTION, "aws:dynamodb/table:Table", "aws:iam/role:Role", "aws:sns/topic:Topic")
    for typ in named_types:
        for resource in run.of_type(typ):
            assert resource.outputs["name"].startswith(f"{run.prefix}-"), resource.name


def test_the_orders_outbox_relays_the_orders_stream_in_order_until_published(
    run: ProgramRun, settings: Settings
) -> None:
    graph = Graph(run)
    [mapping] = [
        m
        for m in run.of_type(MAPPING)
        if ":dynamodb:" in m.inputs["eventSourceArn"] and str(m.inputs["functionName"]).endswith("-orders-outbox")
    ]
    orders = run.named("orders-table")
    assert orders.inputs["streamEnabled"] is True and orders.inputs["streamViewType"] == "NEW_IMAGE"
    assert mapping.inputs["eventSourceArn"] == orders.outputs["streamArn"]
    assert (
        graph.function_by_arn(mapping.inputs["functionName"]).outputs["name"] == f"{run.prefix}-orders-outbox"
    )
    assert mapping.inputs["startingPosition"] == "TRIM_HORIZON"
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.inputs["bisectBatchOnFunctionError"] is True
    assert mapping.inputs["maximumRetryAttempts"] == -1
    assert mapping.inputs["maximumRecordAgeInSeconds"] == settings.outbox.maximum_record_age_seconds
    assert mapping.inputs["filterCriteria"] == {"filters": [{"pattern": '{"eventName": ["INSERT"]}'}]}
    dlq = graph.queue_by_arn(mapping.inputs["destinationConfig"]["onFailure"]["destinationArn"])
    assert dlq.outputs["name"] == f"{run.prefix}-orders-outbox-dlq"
    [age_alarm] = [
        a
        for a in run.of_type(ALARM)
        if a.inputs["metricName"] == "IteratorAge"
        and a.inputs["dimensions"] == {"FunctionName": f"{run.prefix}-orders-outbox"}
    ]
    assert age_alarm.inputs["threshold"] == settings.outbox.alarm_after_seconds * 1000
    alarm_topic = graph.by_physical_name("aws:sns/topic:Topic", f"{run.prefix}-alarms")
    assert age_alarm.inputs["alarmActions"] == [alarm_topic.arn]
