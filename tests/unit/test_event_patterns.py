"""The preview-time check of event patterns against the catalogue and the contracts."""

from __future__ import annotations

from typing import Any

import pytest

from components import Subscription
from services.event_patterns import pattern_problems
from services.events import EVENT_TYPES, EventType, SubscriptionError, checked, load_schema, subscriptions


def problems(pattern: dict[str, Any]) -> list[str]:
    return pattern_problems(pattern, EVENT_TYPES, load_schema)


def test_every_catalogued_detail_type_from_its_source_matches_its_contract() -> None:
    for name, event in EVENT_TYPES.items():
        assert problems({"source": [event.source], "detail-type": [name]}) == [], name


def test_a_pattern_naming_no_detail_type_would_take_everything_and_is_refused() -> None:
    assert problems({"source": ["eventshop.billing"]}) == [
        "names no detail-type, so it would take every event of ['eventshop.billing']"
    ]


def test_a_detail_type_from_the_wrong_source_matches_no_contract() -> None:
    assert problems({"source": ["eventshop.billing"], "detail-type": ["OrderShipped"]}) == [
        "matches no contract: OrderShipped comes from eventshop.fulfillment, not eventshop.billing"
    ]


def test_content_filters_and_values_known_only_at_deployment_are_accepted() -> None:
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [object()]}, "object": {"key": [{"prefix": "invoices/"}], "size": [10]}},
    }

    assert problems(pattern) == []


TIERS = {
    "Tiered": EventType("Tiered", "eventshop.tiers", "Tiers"),
    "Untiered": EventType("Untiered", "eventshop.tiers", "Tiers"),
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "Tiered": {"properties": {"status": {"type": "string", "enum": ["new", "returning", "vip"]}}},
    "Untiered": {"properties": {"orderId": {"type": "string"}}},
}


def tiered(*names: str, detail: dict[str, Any]) -> list[str]:
    return pattern_problems({"detail-type": list(names), "detail": detail}, TIERS, SCHEMAS.__getitem__)


def test_a_value_outside_the_contracts_enum_never_matches() -> None:
    assert tiered("Tiered", detail={"status": ["gold", "platinum"]}) == [
        "matches no contract: Tiered: detail.status is one of ['new', 'returning', 'vip'] in the contract, "
        "so ['gold', 'platinum'] never matches"
    ]
    assert tiered("Tiered", detail={"status": ["gold", "vip"]}) == []


def test_a_filter_one_matched_contract_allows_is_enough() -> None:
    assert tiered("Tiered", "Untiered", detail={"status": ["vip"]}) == []
    assert tiered("Tiered", "Untiered", detail={"tier": ["vip"]}) == [
        "matches no contract: Tiered: detail.tier is not in the contract (it has status)",
        "matches no contract: Untiered: detail.tier is not in the contract (it has orderId)",
    ]


def test_the_program_refuses_a_subscription_naming_the_subscriber_and_every_reason() -> None:
    with pytest.raises(SubscriptionError) as error:
        subscriptions("OrderShipped", "ParcelLost", subscriber="handlers.loyalty.app.handler")

    assert str(error.value).startswith("handlers.loyalty.app.handler's subscription 'unknown' can never receive")
    assert "nobody produces 'ParcelLost'" in str(error.value)
    with pytest.raises(SubscriptionError, match="'invoices' can never receive an event"):
        checked(Subscription(key="invoices", pattern={"source": ["aws.s3"], "detail-type": ["Object Deleted"]}), "x")
