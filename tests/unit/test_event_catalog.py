"""docs/events.md is the program's event catalog, not a page that drifted."""

from __future__ import annotations

from devtools.event_catalog import PAGE, consumers, render
from devtools.program import ProgramRun, RecordedResource
from services.events import EVENT_TYPES, UNCONSUMED


def test_the_event_catalog_page_is_generated_from_the_dev_stack(runs: dict[str, ProgramRun]) -> None:
    assert PAGE.read_text() == render(runs["dev"]), "docs/events.md is stale: run `make diagram`"


def test_consumers_come_from_the_rules_targets_and_their_service(runs: dict[str, ProgramRun]) -> None:
    found = consumers(runs["dev"])

    assert found["OrderPlaced"] == [
        "billing: `billing-queue` (SQS)",
        "email: `email` (Lambda)",
        "orders: `order-status-queue` (SQS)",
        "reminders: `reminders-queue` (SQS)",
        "warehouse: `warehouse-queue` (SQS)",
    ]
    assert set(found) | set(UNCONSUMED) == set(EVENT_TYPES)


def test_each_detail_type_row_links_its_schema_and_sample_and_names_required_fields(
    runs: dict[str, ProgramRun],
) -> None:
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in render(runs["dev"]).splitlines()}

    assert set(EVENT_TYPES) <= set(rows)
    assert "[ObjectCreated.json](../handlers/shared/contracts/events/ObjectCreated.json)" in rows["Object Created"]
    assert "[sample](../handlers/shared/contracts/events/samples/ObjectCreated.json)" in rows["Object Created"]
    assert "`bucket.{name}`, `object.{key}`" in rows["Object Created"]
    assert "`items[].{sku, quantity}`" in rows["StockReserved"]
    for detail_type, reason in UNCONSUMED.items():
        assert f"none yet: {reason}" in rows[detail_type]
    assert "orders: `order-status-queue` (SQS)" in rows["StockReleased"]
    assert rows["PaymentRefunded"].startswith("| PaymentRefunded | `eventshop.billing` | Billing | email:")


def test_the_page_links_the_asyncapi_document(runs: dict[str, ProgramRun]) -> None:
    assert "[asyncapi.yaml](asyncapi.yaml)" in render(runs["dev"])


def test_a_rule_without_a_target_is_shown_as_such() -> None:
    rule = RecordedResource(
        typ="aws:cloudwatch/eventRule:EventRule",
        name="billing-rule-orders",
        inputs={"eventPattern": '{"source": ["eventshop.orders"], "detail-type": ["OrderPlaced"]}'},
        outputs={"name": "eventshop-dev-billing-orders", "arn": "arn:aws:events:eu-west-1:1:rule/x"},
        id="x",
        provider="urn:pulumi:dev::eventshop::pulumi:providers:aws::billing-aws::id",
    )

    assert consumers(ProgramRun("dev", [rule])) == {"OrderPlaced": ["billing: (no target)"]}
