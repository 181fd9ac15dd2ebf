"""dev and prod differ where a team would expect, and only through their stack files."""

from __future__ import annotations

import json

from devtools.program import ROOT, ProgramRun
from tests.unit.graph import LOG_GROUP, MAPPING, SUBSCRIPTION, TABLE, Graph


def test_prod_keeps_logs_and_events_longer_than_dev(runs: dict[str, ProgramRun]) -> None:
    retention = {s: {g.inputs["retentionInDays"] for g in runs[s].of_type(LOG_GROUP)} for s in runs}
    assert retention == {"dev": {7}, "prod": {90}}
    archive = {s: runs[s].named("events-archive").inputs["retentionDays"] for s in runs}
    assert archive == {"dev": 7, "prod": 90}


def test_prod_tables_have_recovery_and_deletion_protection_and_dev_tables_do_not(
    runs: dict[str, ProgramRun],
) -> None:
    assert {t.name for t in runs["dev"].of_type(TABLE)} == {t.name for t in runs["prod"].of_type(TABLE)}
    for stack, enabled in (("dev", False), ("prod", True)):
        tables = runs[stack].of_type(TABLE)
        # Every service's tables, both stacks alike (derived, not counted by hand).
        assert tables and {t.name for t in tables} == {t.name for t in runs["dev"].of_type(TABLE)}
        for table in tables:
            assert table.inputs["pointInTimeRecovery"] == {"enabled": enabled}, table.name
            assert table.inputs["deletionProtectionEnabled"] is enabled, table.name
            assert table.inputs["serverSideEncryption"] == {"enabled": True}
            assert table.inputs["billingMode"] == "PAY_PER_REQUEST"


def test_only_dev_seeds_the_catalog_and_inventory(runs: dict[str, ProgramRun]) -> None:
    catalog = json.loads(Graph(runs["dev"]).run.named("catalog-item-MUG-LOGO").inputs["item"])
    assert catalog == {
        "sku": {"S": "MUG-LOGO"},
        "name": {"S": "Eventshop mug"},
        "price": {"N": "9.5"},
        "currency": {"S": "EUR"},
    }
    stock = json.loads(runs["dev"].named("inventory-item-VINYL-SOLDOUT").inputs["item"])
    assert stock == {"sku": {"S": "VINYL-SOLDOUT"}, "available": {"N": "0"}}
    # Each product of the seed catalog is one catalog item and one inventory item.
    products = json.loads((ROOT / "services" / "catalog.json").read_text())
    assert len(runs["dev"].of_type("aws:dynamodb/tableItem:TableItem")) == 2 * len(products)
    assert runs["prod"].of_type("aws:dynamodb/tableItem:TableItem") == []


def test_prod_consumers_scale_further_and_batch_longer(runs: dict[str, ProgramRun]) -> None:
    queued = {s: [m for m in runs[s].of_type(MAPPING) if ":sqs:" in m.inputs["eventSourceArn"]] for s in runs}
    concurrency = {s: {m.inputs["scalingConfig"]["maximumConcurrency"] for m in queued[s]} for s in runs}
    window = {s: {m.inputs["maximumBatchingWindowInSeconds"] for m in queued[s]} for s in runs}
    assert concurrency == {"dev": {2}, "prod": {20}}
    assert window == {"dev": {0}, "prod": {2}}


def test_prod_throttles_the_api_higher(runs: dict[str, ProgramRun]) -> None:
    settings = {s: runs[s].named("orders-api-throttling").inputs["settings"] for s in runs}
    assert settings["dev"]["throttlingRateLimit"] == 20 and settings["dev"]["throttlingBurstLimit"] == 40
    assert settings["prod"]["throttlingRateLimit"] == 200 and settings["prod"]["throttlingBurstLimit"] == 400


def test_customer_messages_go_to_an_outbox_in_dev_and_to_real_subscribers_in_prod(
    runs: dict[str, ProgramRun],
) -> None:
    def customer_subscriptions(stack: str) -> list[tuple[str, str]]:
        return sorted(
            (s.inputs["protocol"], s.inputs["endpoint"])
            for s in runs[stack].of_type(SUBSCRIPTION)
            if s.name.startswith("customer-notifications-")
        )

    assert customer_subscriptions("dev") == [
        ("sqs", "arn:aws:sqs:eu-west-1:123456789012:eventshop-dev-customer-notifications-outbox")
    ]
    assert customer_subscriptions("prod") == [("https", "https://notifications.example.com/eventshop/hooks")]


def test_alarms_go_to_each_stacks_on_call_address(runs: dict[str, ProgramRun]) -> None:
    oncall = {s: runs[s].named("alarms-sub-on-call").inputs for s in runs}
    assert oncall["dev"]["endpoint"] == "eventshop-dev-alarms@example.com"
    assert oncall["prod"]["endpoint"] == "eventshop-oncall@example.com"
    assert {o["protocol"] for o in oncall.values()} == {"email"}


def test_dev_logs_debug_and_prod_info(runs: dict[str, ProgramRun]) -> None:
    levels = {
        s: {
            f.inputs["environment"]["variables"]["POWERTOOLS_LOG_LEVEL"]
            for f in runs[s].of_type("aws:lambda/function:Function")
        }
        for s in runs
    }
    assert levels == {"dev": {"DEBUG"}, "prod": {"INFO"}}
