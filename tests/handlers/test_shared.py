"""The shared pieces: wire format, envelope parsing, the PutEvents helper and the API contracts."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import boto3
import fastjsonschema
import jsonschema
import pytest

from handlers.shared import wire
from handlers.shared.events import (
    EventPublisher,
    EventPublishError,
    MalformedEventError,
    OutgoingEvent,
    event_id,
    parse_event,
)
from handlers.shared.validation import CONTRACTS, BodyValidator, load_contract
from tests.handlers.builders import lifecycle_event, order_placed
from tests.handlers.conftest import Shop


def test_money_goes_on_the_wire_with_two_decimals_and_comes_back_exact() -> None:
    text = wire.dumps({"total": Decimal("12.5"), "quantity": 3, "tags": ["a"], "ok": True, "none": None})

    assert text == '{"total":12.50,"quantity":3,"tags":["a"],"ok":true,"none":null}'
    assert wire.loads(text)["total"] == Decimal("12.50")
    assert wire.dumps(Decimal("0.005")) == "0.01"


def test_event_ids_are_deterministic_per_order_and_type() -> None:
    assert event_id("o-1", "OrderPlaced") == event_id("o-1", "OrderPlaced")
    assert event_id("o-1", "OrderPlaced") != event_id("o-1", "PaymentSucceeded")
    assert event_id("o-1", "OrderPlaced") != event_id("o-2", "OrderPlaced")


def test_parse_event_names_every_missing_part() -> None:
    with pytest.raises(MalformedEventError) as raised:
        parse_event({"id": "evt-1", "source": "eventshop.orders", "detail": {"metadata": {}}})

    assert str(raised.value) == (
        "Malformed event (id evt-1): missing detail-type; missing detail.orderId (or detail.cartId for a cart event); "
        "missing detail.metadata.eventId"
    )


def test_parse_event_accepts_a_well_formed_envelope() -> None:
    event = parse_event(order_placed("o-9"), required=("items", "total"))

    assert (event.detail_type, event.order_id, event.correlation_id) == ("OrderPlaced", "o-9", "corr-o-9")
    assert event.event_id == event_id("o-9", "OrderPlaced")


def payment_detail(detail_type: str, order_id: str, **fields: Any) -> dict[str, Any]:
    envelope = lifecycle_event(detail_type, order_id, amount=Decimal("25.00"), currency="EUR", **fields)
    detail: dict[str, Any] = envelope["detail"]
    return detail


class PartiallyFailingEvents:
    """An EventBridge client answering like PutEvents does when one entry is throttled."""

    def __init__(self) -> None:
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request["Entries"])
        return {
            "FailedEntryCount": 1,
            "Entries": [
                {"EventId": "e-1"},
                {"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"},
            ],
        }


def test_publisher_raises_naming_each_failed_entry() -> None:
    client = PartiallyFailingEvents()
    publisher = EventPublisher(client, "bus-1", "eventshop.billing")

    with pytest.raises(EventPublishError) as raised:
        publisher.publish(
            OutgoingEvent("PaymentSucceeded", payment_detail("PaymentSucceeded", "o-1", paymentId="pay-1")),
            OutgoingEvent("PaymentFailed", payment_detail("PaymentFailed", "o-2", reason="card_declined")),
        )

    assert str(raised.value) == (
        "PutEvents to bus bus-1 failed for 1 of 2 entries: "
        "PaymentFailed for order o-2: ThrottlingException (Rate exceeded)"
    )
    assert [entry["Source"] for entry in client.calls[0]] == ["eventshop.billing"] * 2


def test_publisher_puts_events_on_the_bus_with_the_wire_format(shop: Shop) -> None:
    publisher = EventPublisher(boto3.client("events"), "eventshop-test", "eventshop.orders")

    ids = publisher.publish(*[OutgoingEvent("OrderPlaced", order_placed(f"o-{n}")["detail"]) for n in range(12)])

    assert len(ids) == 12
    emitted = shop.emitted()
    assert sorted(event["detail"]["orderId"] for event in emitted) == sorted(f"o-{n}" for n in range(12))


# The API's request contracts are closed (additionalProperties false); event contracts are tested in tests/contracts.
@pytest.mark.parametrize("path", sorted(p.relative_to(CONTRACTS).as_posix() for p in CONTRACTS.glob("api/*.json")))
def test_contracts_are_valid_draft_04_and_agree_with_the_field_validator(path: str) -> None:
    schema = load_contract(path)
    jsonschema.Draft4Validator.check_schema(schema)
    whole = fastjsonschema.compile(schema)
    validator = BodyValidator(schema)
    bad: dict[str, Any] = {"unexpected": 1}

    with pytest.raises(fastjsonschema.JsonSchemaValueException):
        whole(bad)
    assert {error.field for error in validator.errors(bad)} >= {"unexpected", *schema["required"]}


def test_valid_bodies_pass_both_validators() -> None:
    examples = {
        "api/place_order.json": {"items": [{"sku": "SKU-1", "quantity": 1}], "paymentToken": "tok_visa"},
        "api/add_cart_item.json": {"sku": "SKU-1", "quantity": 2},
    }
    for path, body in examples.items():
        schema = load_contract(path)
        fastjsonschema.compile(schema)(json.loads(json.dumps(body)))
        jsonschema.Draft4Validator(schema).validate(body)
        assert BodyValidator(schema).errors(body) == []


def test_a_cart_event_is_about_a_cart_not_an_order() -> None:
    event = parse_event(
        {
            "id": "evt-2",
            "detail-type": "ItemAddedToCart",
            "source": "eventshop.carts",
            "detail": {"cartId": "cart-9", "customerId": "c", "metadata": {"eventId": "e-2"}},
        }
    )
    assert event.cart_id == "cart-9"
    with pytest.raises(MalformedEventError, match=r"ItemAddedToCart event e-2: missing detail\.orderId"):
        _ = event.order_id
