"""The cost model's arithmetic: AWS's billing rules per unit, the price table, the fixed costs, the baseline check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from devtools.cost import StackCost, baseline_of, fixed_table, over_baseline, units_table
from devtools.cost_model import (
    PriceTableError,
    Usage,
    fixed_monthly,
    kms_encrypted_buckets,
    load_prices,
    per_million_orders,
    subscriptions_by_topic,
)
from devtools.cost_units import dynamodb_units, global_indexes, index_write_units, state_machine_log_bytes
from devtools.program import ROOT, ProgramRun, RecordedResource
from localcloud.metering import MeteredCall, chunks_of_64kb, dynamodb_item_size, put_events_entry_size


def call(operation: str, params: dict[str, Any], response: dict[str, Any] | None = None) -> MeteredCall:
    return MeteredCall("fn", "dynamodb", operation, params, response or {})


def item_of(size: int) -> dict[str, Any]:
    """An item of exactly ``size`` bytes as DynamoDB counts them (name `k` + a string)."""
    return {"k": {"S": "x" * (size - 1)}}


def test_64_kb_chunks_start_at_one_and_count_each_started_chunk() -> None:
    assert [chunks_of_64kb(size) for size in (0, 1, 65_536, 65_537, 3 * 65_536)] == [1, 1, 1, 2, 3]


def test_a_put_events_entry_is_sized_from_source_detail_type_detail_and_resources() -> None:
    entry = {"Source": "abc", "DetailType": "de", "Detail": "{}", "Resources": ["r1"], "EventBusName": "ignored"}

    assert put_events_entry_size(entry) == 3 + 2 + 2 + 2
    assert put_events_entry_size({**entry, "Time": "2026-01-01T00:00:00Z"}) == 9 + 14


def test_dynamodb_item_sizes_follow_the_documented_rules() -> None:
    assert dynamodb_item_size({"name": {"S": "héllo"}}) == 4 + 6
    assert dynamodb_item_size({"n": {"N": "12345"}}) == 1 + 4  # (5 digits + 1) / 2 + 1
    assert dynamodb_item_size({"flag": {"BOOL": True}}) == 4 + 1
    assert dynamodb_item_size({"m": {"M": {"a": {"S": "bc"}}}}) == 1 + 3 + (1 + 1 + 2)


def test_dynamodb_reads_are_4_kb_units_halved_when_eventually_consistent() -> None:
    big = item_of(5000)

    assert dynamodb_units(call("GetItem", {"ConsistentRead": True}, {"Item": big})) == (2.0, 0.0)
    assert dynamodb_units(call("GetItem", {}, {"Item": big})) == (1.0, 0.0)
    assert dynamodb_units(call("GetItem", {}, {})) == (0.5, 0.0)  # a miss still reads
    assert dynamodb_units(call("Query", {}, {"Items": [item_of(3000), item_of(3000)]})) == (1.0, 0.0)
    assert dynamodb_units(call("TransactGetItems", {}, {"Responses": [{"Item": big}]})) == (4.0, 0.0)


def test_dynamodb_writes_are_1_kb_units_doubled_in_a_transaction() -> None:
    assert dynamodb_units(call("PutItem", {"Item": item_of(1500)})) == (0.0, 2.0)
    assert dynamodb_units(call("UpdateItem", {"Key": item_of(10)}, {"Attributes": item_of(2100)})) == (0.0, 3.0)
    transaction = {"TransactItems": [{"Put": {"Item": item_of(100)}}, {"Update": {"Key": item_of(10)}}]}
    assert dynamodb_units(call("TransactWriteItems", transaction)) == (0.0, 4.0)
    batch = {"RequestItems": {"t": [{"PutRequest": {"Item": item_of(2000)}}, {"DeleteRequest": {"Key": item_of(5)}}]}}
    assert dynamodb_units(call("BatchWriteItem", batch)) == (0.0, 3.0)
    assert dynamodb_units(call("DescribeTable", {})) == (0.0, 0.0)


def test_every_price_cites_its_pricing_page_and_the_table_is_dated(tmp_path: Path) -> None:
    prices = load_prices()
    document = json.loads((ROOT / "devtools" / "prices.json").read_text())

    assert document["region"] == "us-east-1"
    assert document["taken"]
    assert prices["states.standard_transitions_per_thousand"].unit_usd == pytest.approx(0.000025)
    assert prices["lambda.arm64_gb_second"].per == 1.0
    broken = tmp_path / "prices.json"
    broken.write_text(json.dumps({"prices": {"x.per_million": {"usd": 1}}}))
    with pytest.raises(PriceTableError, match=r"x\.per_million cites no pricing page"):
        load_prices(broken)


def test_a_usage_without_a_price_names_what_is_missing() -> None:
    with pytest.raises(PriceTableError, match=r"no price 'nope'.*Lambda: runs"):
        Usage("Lambda", "runs", 1, "nope").usd(load_prices())


def test_dollars_per_million_orders_add_up_per_service() -> None:
    lines = [
        Usage("Step Functions", "transitions", 30, "states.standard_transitions_per_thousand"),
        Usage("Lambda", "invocations", 20, "lambda.requests_per_million"),
        Usage("Lambda", "invocations again", 20, "lambda.requests_per_million"),
        Usage("Lambda", "GB-seconds", 1, "lambda.arm64_gb_second", gated=False),
    ]

    found = per_million_orders(lines, 2, load_prices())
    checked = per_million_orders(lines, 2, load_prices(), gated_only=True)

    assert found == {"Step Functions": pytest.approx(375.0), "Lambda": pytest.approx(4.0 + 6.6667)}
    assert checked == {"Step Functions": pytest.approx(375.0), "Lambda": pytest.approx(4.0)}


def test_fixed_costs_come_from_the_programs_alarms_keys_and_mappings(runs: dict[str, ProgramRun]) -> None:
    run = runs["prod"]
    fixed = {line.what.split(" (")[0]: line for line in fixed_monthly(run)}

    assert fixed["alarm metrics"].quantity == len(run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"))
    assert fixed["customer managed keys"].quantity == len(run.of_type("aws:kms/key:Key"))
    # Only queue mappings long-poll; a stream mapping (the orders outbox) bills no receives.
    all_mappings = run.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    mappings = len([m for m in all_mappings if ":sqs:" in m.inputs["eventSourceArn"]])
    assert fixed["empty long-poll receives"].quantity == mappings * 5 * 30 * 86_400 / 20


def _cost(stack: str, total_by_service: dict[str, float]) -> StackCost:
    unchecked = {"Lambda": 1000.0}  # a timing-dependent estimate, however large, is not checked
    return StackCost(stack, 10, [], [], total_by_service | unchecked, {"KMS": 2.0}, total_by_service)


def test_the_baseline_check_fails_only_past_ten_percent_growth() -> None:
    baseline = baseline_of([_cost("dev", {"Step Functions": 300.0, "Lambda": 100.0})])

    assert over_baseline([_cost("dev", {"Step Functions": 300.0, "Lambda": 139.0})], baseline) == []
    assert over_baseline([_cost("dev", {"Step Functions": 200.0, "Lambda": 100.0})], baseline) == []
    [problem] = over_baseline([_cost("dev", {"Step Functions": 300.0, "Lambda": 141.0})], baseline)
    assert "dev: $441.00 per million orders is more than 10% over the baseline $400.00" in problem
    assert "'Lambda': '$100.00 -> $141.00'" in problem
    assert over_baseline([_cost("prod", {"Lambda": 1.0})], baseline) == [
        "prod: not in cost-baseline.json; run `make cost-baseline`"
    ]


def test_the_committed_baseline_covers_both_stacks() -> None:
    baseline = json.loads((ROOT / "docs" / "cost-baseline.json").read_text())

    assert set(baseline["stacks"]) == {"dev", "prod"}
    for stack in baseline["stacks"].values():
        assert stack["total_per_million_orders"] == pytest.approx(sum(stack["per_million_orders"].values()), abs=0.1)
        checked = stack["checked_per_million_orders"]
        assert stack["checked_total_per_million_orders"] == pytest.approx(sum(checked.values()), abs=0.1)
        assert stack["checked_total_per_million_orders"] <= stack["total_per_million_orders"]


def test_sns_deliveries_are_priced_from_the_real_stacks_subscriptions(runs: dict[str, ProgramRun]) -> None:
    prod, dev = subscriptions_by_topic(runs["prod"]), subscriptions_by_topic(runs["dev"])

    assert prod["eventshop-prod-customer-notifications"] == {"https": 1}
    assert dev["eventshop-dev-customer-notifications"] == {"sqs": 1}
    assert prod["eventshop-prod-alarms"] == {"email": 1}


def test_a_bucket_encrypted_with_kms_without_a_bucket_key_costs_a_kms_request_per_object(
    runs: dict[str, ProgramRun],
) -> None:
    def encryption(algorithm: str, bucket_key: bool) -> RecordedResource:
        rule = {"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm}, "bucketKeyEnabled": bucket_key}
        return RecordedResource(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "enc", {"bucket": "b", "rules": [rule]}, {}, "b", None,
        )

    assert kms_encrypted_buckets(ProgramRun("x", [encryption("aws:kms", False)])) == {"b"}
    assert kms_encrypted_buckets(ProgramRun("x", [encryption("aws:kms", True)])) == set()
    assert kms_encrypted_buckets(ProgramRun("x", [encryption("AES256", False)])) == set()
    for run in runs.values():
        assert kms_encrypted_buckets(run) <= {b.outputs["bucket"] for b in run.of_type("aws:s3/bucket:Bucket")}


def test_state_machine_logs_follow_the_logging_level() -> None:
    history = [
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "A", "input": "x" * 100}},
        {"type": "ExecutionFailed", "executionFailedEventDetails": {"error": "E"}},
    ]

    everything = state_machine_log_bytes(history, {"level": "ALL", "includeExecutionData": True})
    without_data = state_machine_log_bytes(history, {"level": "ALL", "includeExecutionData": False})
    errors = state_machine_log_bytes(history, {"level": "ERROR", "includeExecutionData": False})

    assert everything > without_data > errors > 0
    assert state_machine_log_bytes(history, {"level": "OFF"}) == 0


def test_a_web_acl_and_a_distribution_are_fixed_costs_when_the_program_has_them() -> None:
    acl = RecordedResource("aws:wafv2/webAcl:WebAcl", "acl", {"rules": [{}, {}]}, {}, "acl", None)
    distribution = RecordedResource("aws:cloudfront/distribution:Distribution", "cdn", {}, {}, "cdn", None)

    fixed = {(line.service, line.what): line for line in fixed_monthly(ProgramRun("x", [acl, distribution]))}

    assert fixed[("WAF", "web ACLs")].usd(load_prices()) == 5.0
    assert fixed[("WAF", "rules")].usd(load_prices()) == 2.0
    assert fixed[("CloudFront", "distributions")].quantity == 1


def test_the_tables_show_a_line_only_one_stack_has_and_each_stacks_own_retention() -> None:
    dev = StackCost(
        "dev", 10, [Usage("CloudWatch", "log GB-months stored (7 days kept)", 1, "logs.stored_gb_month")],
        [], {}, {}, {},
    )
    prod = StackCost(
        "prod", 10,
        [
            Usage("WAF", "requests inspected", 10, "wafv2.requests_per_million"),
            Usage("CloudWatch", "log GB-months stored (90 days kept)", 2, "logs.stored_gb_month"),
        ],
        [Usage("WAF", "web ACLs", 1, "wafv2.web_acl_month")], {}, {"WAF": 5.0}, {},
    )
    console = Console(record=True, width=200)

    console.print(units_table([dev, prod]))
    console.print(fixed_table([dev, prod]))
    text = console.export_text()

    assert "0.1 (7 days kept)" in text
    assert "0.2 (90 days kept)" in text
    assert "requests inspected" in text
    assert "1 = $5.00" in text


def test_writes_to_a_table_with_global_indexes_also_pay_for_each_index(runs: dict[str, ProgramRun]) -> None:
    indexes_of = global_indexes(runs["dev"])
    assert indexes_of == {"eventshop-dev-orders": 1, "eventshop-dev-connections": 1}, "each has one: byCustomer"
    orders, other = "eventshop-dev-orders", "eventshop-dev-payments"

    assert index_write_units(call("UpdateItem", {"TableName": orders, "Key": {}}), indexes_of) == 1
    assert index_write_units(call("PutItem", {"TableName": other, "Item": {}}), indexes_of) == 0
    transaction = {"TransactItems": [{"Put": {"TableName": orders}}, {"Put": {"TableName": other}}]}
    assert index_write_units(call("TransactWriteItems", transaction), indexes_of) == 2
    assert index_write_units(call("GetItem", {"TableName": orders}), indexes_of) == 0
