"""The eventshop event envelope: parsing incoming events, building details, putting events on the bus.

Every event is an EventBridge envelope whose ``detail`` carries ``orderId``, ``customerId``, ``email``
and a ``metadata`` block ``{eventId, correlationId, schemaVersion, occurredAt}``. The event id is
deterministic (uuid5 of ``"{orderId}:{detailType}"``), so a redelivered input makes the same event id
downstream and every consumer can deduplicate on it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from handlers.shared import clients, wire
from handlers.shared.event_contracts import catalogued_sources, validate_detail

SCHEMA_VERSION = "1"
#: Namespace of every id eventshop derives with uuid5 (event ids, idempotent order ids).
NAMESPACE = uuid.UUID("1f2c8111-5594-47fb-8888-d26e1a680afe")
#: Which source may publish which detail-type (the catalogue's); a mismatch is a malformed (or spoofed) event.
SOURCES: Mapping[str, str] = MappingProxyType(catalogued_sources())
#: PutEvents accepts at most this many entries per call.
MAX_ENTRIES_PER_PUT = 10


class MalformedEventError(ValueError):
    """An incoming event does not have the eventshop envelope; the message names every missing part."""


class UnsupportedEventError(ValueError):
    """A well-formed event reached a consumer that has no handler for its detail-type."""


class EventPublishError(RuntimeError):
    """EventBridge did not accept every entry of a PutEvents call."""


def event_id(order_id: str, detail_type: str) -> str:
    """The deterministic id of the ``detail_type`` event about ``order_id``."""
    return str(uuid.uuid5(NAMESPACE, f"{order_id}:{detail_type}"))


def utc_now() -> str:
    """The current time as an ISO-8601 UTC timestamp with milliseconds (``2024-01-01T12:00:00.000Z``)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class OrderEvent:
    """A validated incoming event."""

    detail_type: str
    source: str
    detail: dict[str, Any]

    @property
    def order_id(self) -> str:
        if not self.detail.get("orderId"):
            raise MalformedEventError(f"Malformed {self.detail_type} event {self.event_id}: missing detail.orderId")
        return str(self.detail["orderId"])

    @property
    def cart_id(self) -> str | None:
        return str(self.detail["cartId"]) if self.detail.get("cartId") else None

    @property
    def event_id(self) -> str:
        return str(self.detail["metadata"]["eventId"])

    @property
    def correlation_id(self) -> str:
        """The correlation id, or the event id when the producer did not set one."""
        return str(self.detail["metadata"].get("correlationId") or self.event_id)

    def require(self, *paths: str) -> OrderEvent:
        """Return ``self`` if every dotted detail path is present, else raise naming all missing ones."""
        missing = [f"missing detail.{path}" for path in paths if _lookup(self.detail, path) is None]
        if missing:
            raise MalformedEventError(f"Malformed {self.detail_type} event {self.event_id}: {'; '.join(missing)}")
        return self


@dataclass(frozen=True)
class OutgoingEvent:
    """An event to put on the bus (the source is the publisher's)."""

    detail_type: str
    detail: Mapping[str, Any]


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or value.get(part) in (None, ""):
            return None
        value = value[part]
    return value


def parse_event(raw: Mapping[str, Any], required: Sequence[str] = ()) -> OrderEvent:
    """Validate an EventBridge envelope and return it as an ``OrderEvent``.

    ``required`` names further detail fields (dotted paths, e.g. ``"items"``) the caller needs.
    Raises ``MalformedEventError`` naming every missing or wrong part at once.
    """
    if not isinstance(raw, Mapping):
        raise MalformedEventError(f"Malformed event: expected a JSON object, got {type(raw).__name__}")
    event = EventBridgeEvent(dict(raw))
    problems: list[str] = []
    detail_type = event.get("detail-type")
    source = event.get("source")
    detail = event.get("detail")
    if not isinstance(detail_type, str) or not detail_type:
        problems.append("missing detail-type")
    if not isinstance(source, str) or not source:
        problems.append("missing source")
    if isinstance(detail_type, str) and isinstance(source, str) and detail_type in SOURCES:
        expected = SOURCES[detail_type]
        if source != expected:
            problems.append(f"{detail_type} must come from {expected}, not {source}")
    if not isinstance(detail, Mapping):
        problems.append("missing detail")
    else:
        # Order events are about an order; cart events (ItemAddedToCart, CartReminderDue) about a cart.
        if _lookup(detail, "orderId") is None and _lookup(detail, "cartId") is None:
            problems.append("missing detail.orderId (or detail.cartId for a cart event)")
        for path in ("metadata.eventId", *required):
            if _lookup(detail, path) is None:
                problems.append(f"missing detail.{path}")
    if problems:
        raise MalformedEventError(f"Malformed event (id {event.get('id')}): {'; '.join(problems)}")
    return OrderEvent(detail_type=event.detail_type, source=event.source, detail=dict(event.detail))


def parse_sqs_record(record: SQSRecord, required: Sequence[str] = ()) -> OrderEvent:
    """Parse an SQS record whose body is an EventBridge envelope (money stays ``Decimal``)."""
    try:
        body = wire.loads(record.body)
    except ValueError as error:
        raise MalformedEventError(f"Malformed event: SQS message {record.message_id} is not JSON") from error
    return parse_event(body, required)


def build_detail(
    detail_type: str,
    *,
    order_id: str,
    customer_id: str,
    email: str,
    correlation_id: str,
    **fields: Any,
) -> dict[str, Any]:
    """A detail with the common fields and a metadata block whose event id is deterministic."""
    return {
        "orderId": order_id,
        "customerId": customer_id,
        "email": email,
        **fields,
        "metadata": {
            "eventId": event_id(order_id, detail_type),
            "correlationId": correlation_id,
            "schemaVersion": SCHEMA_VERSION,
            "occurredAt": utc_now(),
        },
    }


class EventPublisher:
    """Puts events on one bus under one source and never loses one silently."""

    def __init__(self, client: Any, bus_name: str, source: str) -> None:
        self._given_client = client
        self.bus_name = bus_name
        self.source = source

    @classmethod
    def with_lazy_client(cls, bus_name: str, source: str) -> EventPublisher:
        """A publisher on the container's EventBridge client (``handlers.shared.clients``), made on first publish."""
        return cls(None, bus_name, source)

    @property
    def _client(self) -> Any:
        return self._given_client if self._given_client is not None else clients.client("events")

    def publish(self, *events: OutgoingEvent) -> list[str]:
        """Put ``events`` on the bus; return their EventBridge ids.

        Raises ``EventPublishError`` naming each failed entry's detail-type, order and error code
        when EventBridge reports ``FailedEntryCount`` > 0 (the caller fails, so the input is retried).
        Every detail is checked against its detail-type's contract first: ``EventContractError`` names the
        detail-type and the bad field, and nothing of the call is put.
        """
        for event in events:
            validate_detail(event.detail_type, event.detail)
        ids: list[str] = []
        for start in range(0, len(events), MAX_ENTRIES_PER_PUT):
            chunk = events[start : start + MAX_ENTRIES_PER_PUT]
            response = self._client.put_events(Entries=[self._entry(event) for event in chunk])
            entries: list[dict[str, Any]] = response.get("Entries", [])
            if response.get("FailedEntryCount", 0) or len(entries) != len(chunk):
                raise EventPublishError(self._failure_message(chunk, entries))
            ids.extend(str(entry["EventId"]) for entry in entries)
        return ids

    def _entry(self, event: OutgoingEvent) -> dict[str, Any]:
        return {
            "EventBusName": self.bus_name,
            "Source": self.source,
            "DetailType": event.detail_type,
            "Detail": wire.dumps(event.detail),
        }

    def _failure_message(self, chunk: Sequence[OutgoingEvent], entries: Sequence[Mapping[str, Any]]) -> str:
        failures = []
        for index, event in enumerate(chunk):
            entry = entries[index] if index < len(entries) else {"ErrorCode": "NoEntryReturned"}
            if entry.get("ErrorCode"):
                failures.append(
                    f"{event.detail_type} for order {event.detail.get('orderId')}: "
                    f"{entry['ErrorCode']} ({entry.get('ErrorMessage', 'no message')})"
                )
        return f"PutEvents to bus {self.bus_name} failed for {len(failures)} of {len(chunk)} entries: " + (
            "; ".join(failures)
        )


Result = TypeVar("Result")


def dispatch(event: OrderEvent, handlers: Mapping[str, Callable[..., Result]], consumer: str) -> Result:
    """Runs the handler registered for the event's detail-type; an unexpected type is an error, not a no-op."""
    handle = handlers.get(event.detail_type)
    if handle is None:
        raise UnsupportedEventError(f"{consumer} does not handle {event.detail_type} events")
    return handle(event=event)
