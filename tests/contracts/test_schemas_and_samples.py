"""Every detail-type has one draft-04 schema and one sample envelope, and the two agree."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import jsonschema
import pytest

from handlers.shared import correlation
from handlers.shared.event_contracts import (
    EVENT_CONTRACTS,
    SAMPLES,
    EventContractError,
    contract_name,
    load_schema,
    sample_path,
    validate_detail,
)
from handlers.shared.events import EventPublisher, OutgoingEvent
from services.events import EVENT_TYPES

DETAIL_TYPES = sorted(EVENT_TYPES)
DRAFT_04 = "http://json-schema.org/draft-04/schema#"
ENVELOPE_KEYS = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}


def sample(detail_type: str) -> dict[str, Any]:
    envelope: dict[str, Any] = json.loads(sample_path(detail_type).read_text())
    return envelope


def test_every_catalogued_detail_type_has_exactly_one_schema_and_one_sample() -> None:
    expected = {f"{contract_name(name)}.json" for name in EVENT_TYPES}

    assert {path.name for path in EVENT_CONTRACTS.glob("*.json")} == expected
    assert {path.name for path in SAMPLES.glob("*.json")} == expected
    assert contract_name("Object Created") == "ObjectCreated"




@pytest.mark.parametrize("detail_type", DETAIL_TYPES)
def test_schema_is_draft_04_and_titled_after_its_detail_type(detail_type: str) -> None:
    schema = load_schema(detail_type)

    jsonschema.Draft4Validator.check_schema(schema)
    assert (schema["$schema"], schema["title"], schema["type"]) == (DRAFT_04, detail_type, "object")
    assert schema["additionalProperties"] is True


@pytest.mark.parametrize("detail_type", DETAIL_TYPES)
def test_sample_is_a_full_envelope_of_its_detail_type_and_source(detail_type: str) -> None:
    envelope = sample(detail_type)

    assert set(envelope) == ENVELOPE_KEYS
    assert (envelope["detail-type"], envelope["source"]) == (detail_type, EVENT_TYPES[detail_type].source)


@pytest.mark.parametrize("detail_type", DETAIL_TYPES)
def test_sample_detail_validates_against_its_schema(detail_type: str) -> None:
    detail = sample(detail_type)["detail"]

    validate_detail(detail_type, detail)
    jsonschema.Draft4Validator(load_schema(detail_type), format_checker=jsonschema.FormatChecker()).validate(detail)


@pytest.mark.parametrize("detail_type", sorted(set(EVENT_TYPES) - {"Object Created"}))
def test_every_shop_event_requires_the_metadata_block(detail_type: str) -> None:
    schema = load_schema(detail_type)
    metadata = schema["properties"]["metadata"]

    assert "metadata" in schema["required"]
    assert metadata["required"] == ["eventId", "correlationId", "schemaVersion", "occurredAt"]
    assert metadata["properties"]["schemaVersion"]["enum"] == ["1"]
    assert ("orderId" in schema["required"]) != (detail_type in {"ItemAddedToCart", "CartReminderDue"})


def test_object_created_requires_only_what_email_reads() -> None:
    schema = load_schema("Object Created")

    assert schema["required"] == ["bucket", "object"]
    assert schema["properties"]["bucket"]["required"] == ["name"]
    assert schema["properties"]["object"]["required"] == ["key"]


def test_a_missing_required_field_is_named_with_its_detail_type() -> None:
    detail = sample("PaymentSucceeded")["detail"]
    del detail["paymentId"]

    with pytest.raises(EventContractError, match=r"PaymentSucceeded detail breaks its contract PaymentSucceeded\.json"):
        validate_detail("PaymentSucceeded", detail)
    with pytest.raises(EventContractError, match=r"paymentId"):
        validate_detail("PaymentSucceeded", detail)


def test_a_wrongly_typed_nested_field_is_named_by_its_path() -> None:
    detail = sample("OrderPlaced")["detail"]
    detail["items"][0]["quantity"] = "2"

    with pytest.raises(EventContractError, match=r"at detail\.items\[0\]\.quantity: .*must be integer"):
        validate_detail("OrderPlaced", detail)


def test_money_may_be_a_decimal_but_not_a_string() -> None:
    detail = sample("PaymentFailed")["detail"]
    validate_detail("PaymentFailed", {**detail, "amount": Decimal("25.00")})

    with pytest.raises(EventContractError, match=r"at detail\.amount: .*must be number"):
        validate_detail("PaymentFailed", {**detail, "amount": "25.00"})


def test_an_unknown_detail_type_has_no_contract() -> None:
    with pytest.raises(EventContractError, match="OrderTeleported has no event contract"):
        validate_detail("OrderTeleported", {})


class RecordingEvents:
    def __init__(self) -> None:
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request["Entries"])
        return {"FailedEntryCount": 0, "Entries": [{"EventId": f"e-{n}"} for n, _ in enumerate(request["Entries"])]}


def test_publisher_puts_nothing_when_any_detail_breaks_its_contract() -> None:
    client = RecordingEvents()
    publisher = EventPublisher(client, "bus-1", "eventshop.billing")
    good = sample("PaymentSucceeded")["detail"]
    bad = {**sample("PaymentFailed")["detail"], "reason": ""}

    with pytest.raises(EventContractError, match=r"PaymentFailed detail breaks its contract .* at detail\.reason"):
        publisher.publish(OutgoingEvent("PaymentSucceeded", good), OutgoingEvent("PaymentFailed", bad))

    assert client.calls == []
    assert publisher.publish(OutgoingEvent("PaymentSucceeded", good)) == ["e-0"]


def test_the_api_accepts_exactly_the_correlation_ids_every_event_contract_accepts() -> None:
    """A header the API lets through must never break an event contract after the order is saved."""
    ours = [path for path in sorted(EVENT_CONTRACTS.glob("*.json")) if path.stem != "ObjectCreated"]  # S3's own
    assert ours
    for path in ours:
        rule = json.loads(path.read_text())["properties"]["metadata"]["properties"]["correlationId"]
        assert rule["maxLength"] == correlation.MAX_LENGTH, path.name


def test_an_order_placed_carrying_a_payment_token_breaks_its_contract() -> None:
    """The token must never ride OrderPlaced (five consumers, the archive, the DLQs): the producer refuses it."""
    detail = sample("OrderPlaced")["detail"]
    validate_detail("OrderPlaced", detail)

    with pytest.raises(EventContractError, match="OrderPlaced detail breaks its contract"):
        validate_detail("OrderPlaced", {**detail, "paymentToken": "tok_visa"})
