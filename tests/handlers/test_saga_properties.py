"""The saga as a property (hypothesis, on moto): one order's events, delivered in any order and any number of
times, to every handler that consumes them, always end in the same final status and the same books.

One example places one order through the real Orders API, then plays a delivery schedule that hypothesis
draws: at each step it picks any pending delivery (a consumer and an event), delivers it, and may keep it
pending so that it is delivered again later (a duplicate), or may let every Powertools idempotency record
expire first (a redelivery after 24 hours, when only the handlers' own table guards remain). Every event
a handler emits goes back into the pending deliveries of each consumer the program subscribes to it
(``services.*.CONSUMES``, the same tuples the rules are built from). A delivery that fails stays pending,
as SQS and Lambda's asynchronous retries keep it. When hypothesis's steps run out, what is still pending
is drained in arrival order.

The fulfillment workflow is a state machine, not a handler: here it is a stand-in that, on PaymentSucceeded,
ships (emits OrderShipped, once per order) when Warehouse's reservation is RESERVED, waits (stays pending)
while there is none, and gives up when the stock was not reserved, as ``services/fulfillment.py`` does.
Extend ``CONSUMERS`` and ``expected_books`` when the saga grows (FulfillmentFailed compensation, payment
intents): the property stays the same.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from moto.sqs.models import sqs_backends

from handlers.shared import wire
from handlers.shared.events import build_detail
from services import billing as billing_service
from services import email as email_service
from services import fulfillment as fulfillment_service
from services import orders as orders_service
from services import warehouse as warehouse_service
from tests.handlers.builders import api_request, claims_of, sqs_event
from tests.handlers.conftest import FakeLambdaContext, Shop
from tests.handlers.shop_state import ACCOUNT, BUS, INVOICES_BUCKET, REGION

#: Hypothesis draws at most this many delivery steps per example; the rest is drained in order.
MAX_DRAWN_STEPS = 30
#: A delivery that keeps failing (the stand-in waiting for a reservation) gives up after this many rounds.
MAX_DRAIN_ROUNDS = 200
QUANTITY = 2
PRICE = Decimal("12.50")
#: (stock, token) -> the final status the order must reach.
FINAL_STATUS = {
    ("enough", "tok_visa"): "SHIPPED",
    ("short", "tok_visa"): "CANCELLED",
    ("enough", "tok_decline"): "PAYMENT_FAILED",
    ("short", "tok_decline"): "CANCELLED",
}
INVOICE_READY = "InvoiceReady"
_ids = itertools.count()


@dataclass
class Books:
    """What the provider was asked to do, counted by the test."""

    charges: list[str] = field(default_factory=list)
    refunds: list[str] = field(default_factory=list)


@dataclass
class Delivery:
    consumer: str
    event: dict[str, Any]

    def describe(self) -> str:
        return f"{self.event['detail-type']} -> {self.consumer}"


@dataclass
class Saga:
    """The handlers of one moto account, wired as the program subscribes them."""

    shop: Shop
    context: FakeLambdaContext
    projector: ModuleType
    billing: ModuleType
    warehouse: ModuleType
    email: ModuleType
    shipped: set[str] = field(default_factory=set)
    log: list[str] = field(default_factory=list)

    @property
    def consumers(self) -> dict[str, tuple[tuple[str, ...], Callable[[dict[str, Any]], bool]]]:
        """consumer -> (detail-types it consumes, deliver(event) -> whether it succeeded)."""
        return {
            "projector": (orders_service.PROJECTED, lambda event: self._queued(self.projector, event)),
            "billing": (billing_service.CONSUMES, lambda event: self._queued(self.billing, event)),
            "warehouse": (warehouse_service.CONSUMES, lambda event: self._queued(self.warehouse, event)),
            "email": ((*email_service.CONSUMES, "Object Created"), self._invoke_email),
            "fulfillment": (fulfillment_service.CONSUMES, self._fulfil),
        }

    def _queued(self, handler: ModuleType, event: dict[str, Any]) -> bool:
        response = handler.handler(sqs_event(event), self.context)
        return not response["batchItemFailures"]

    def _invoke_email(self, event: dict[str, Any]) -> bool:
        try:
            self.email.handler(json.loads(wire.dumps(event)), self.context)
        except Exception as error:  # an asynchronous invocation that failed is retried
            self.log.append(f"email failed: {error!r}")
            return False
        return True

    def _fulfil(self, event: dict[str, Any]) -> bool:
        order_id = event["detail"]["orderId"]
        reservation = self.shop.table("reservations").get_item(Key={"orderId": order_id}, ConsistentRead=True)
        status = reservation.get("Item", {}).get("status")
        if status is None:
            return False  # the workflow's reservation wait: retried
        if status == "RESERVED" and order_id not in self.shipped:
            self.shipped.add(order_id)  # the workflow claims the order once
            detail = build_detail(
                "OrderShipped",
                order_id=order_id,
                customer_id=event["detail"]["customerId"],
                email=event["detail"]["email"],
                correlation_id=event["detail"]["metadata"]["correlationId"],
                shippingSpeed="standard",
                trackingId=f"TRK-{order_id}",
                customerStatus="new",
            )
            entry = {"EventBusName": BUS, "Source": "eventshop.fulfillment", "DetailType": "OrderShipped"}
            boto3.client("events").put_events(Entries=[{**entry, "Detail": wire.dumps(detail)}])
        return True

    def route(self, events: list[dict[str, Any]]) -> list[Delivery]:
        return [
            Delivery(consumer, event)
            for event in events
            for consumer, (consumes, _) in self.consumers.items()
            if event["detail-type"] in consumes
        ]

    def deliver(self, delivery: Delivery) -> tuple[bool, list[Delivery]]:
        """Deliver once; return whether it succeeded and the deliveries of what it emitted."""
        _, handle = self.consumers[delivery.consumer]
        succeeded = handle(delivery.event)
        self.log.append(f"{delivery.describe()}: {'ok' if succeeded else 'failed'}")
        return succeeded, self.route(emitted())


def take_messages(queue_name: str) -> list[tuple[str, dict[str, str]]]:
    """Every message in a moto queue as (body, attributes), removed from it.

    Straight from moto's queue rather than through ReceiveMessage and DeleteMessage: those two calls per
    delivery were most of the test's time, and what is read is the same.
    """
    queue = sqs_backends[ACCOUNT][REGION].get_queue(queue_name)
    with queue._messages_lock:
        taken, queue._messages = list(queue._messages), []
    return [
        (
            message.body,
            {
                name: value.get("string_value", value.get("StringValue"))
                for name, value in message.message_attributes.items()
            },
        )
        for message in taken
        for attributes in (message.message_attributes,)
    ]


def emitted() -> list[dict[str, Any]]:
    """Every envelope put on the bus since the last call (through the capture rules)."""
    return [json.loads(body) for body, _ in take_messages("capture")]


def expire_idempotency_records(shop: Shop) -> None:
    """A day later: DynamoDB's TTL removed every Powertools record; only the tables' own guards remain."""
    table = shop.table("idempotency")
    for item in table.scan()["Items"]:
        table.delete_item(Key={"id": item["id"]})


@pytest.fixture
def saga(
    shop: Shop,
    api: ModuleType,
    projector: ModuleType,
    billing: ModuleType,
    warehouse: ModuleType,
    email: ModuleType,
    context: FakeLambdaContext,
) -> Saga:
    # Invoices reach Email as S3's Object Created events, as on AWS (moto sends them to every bus).
    s3 = boto3.client("s3")
    s3.put_bucket_notification_configuration(
        Bucket=INVOICES_BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    events = boto3.client("events")
    pattern = {"source": ["aws.s3"], "detail-type": ["Object Created"]}
    events.put_rule(Name="capture-invoices", EventBusName=BUS, EventPattern=json.dumps(pattern))
    capture_arn = shop.sqs.get_queue_attributes(QueueUrl=shop.capture_queue_url, AttributeNames=["QueueArn"])
    target = {"Id": "capture", "Arn": capture_arn["Attributes"]["QueueArn"]}
    events.put_targets(Rule="capture-invoices", EventBusName=BUS, Targets=[target])
    return Saga(shop, context, projector, billing, warehouse, email)


def place_order(saga: Saga, api: ModuleType, stock: str, token: str) -> tuple[str, str, list[Delivery]]:
    """A new product and an order for it through the API; returns (order id, sku, the first deliveries)."""
    n = next(_ids)
    sku = f"SKU-P{n}"
    saga.shop.seed_product(sku, f"Product {n}", str(PRICE), QUANTITY if stock == "enough" else QUANTITY - 1)
    take_messages("capture"), take_messages("outbox")  # start from empty queues
    body = {"items": [{"sku": sku, "quantity": QUANTITY}], "paymentToken": token}
    customer = claims_of(f"cust-{n}", "ada@example.com")
    request = api_request("POST", "/orders", body=body, headers={"Idempotency-Key": f"saga-{n}"}, claims=customer)
    response = api.handler(request, saga.context)
    assert response["statusCode"] == 202, response
    order_id = json.loads(response["body"])["orderId"]
    for run_relay in saga.shop.before_reading_the_bus:
        run_relay()  # the orders outbox publishes OrderPlaced from the table's stream
    return order_id, sku, saga.route(emitted())


def mails_by_kind(outbox: list[tuple[str, dict[str, str]]], order_id: str) -> Counter[str]:
    return Counter(attributes["detailType"] for body, attributes in outbox if order_id in body)


@pytest.fixture
def books(saga: Saga, monkeypatch: pytest.MonkeyPatch) -> Books:
    """Counts what Billing asks the payment provider to do (approved charges and refunds, by order)."""
    counted = Books()
    provider = saga.billing.provider
    real_charge, real_refund = provider.charge, provider.refund

    def charge(**kwargs: Any) -> Any:
        result = real_charge(**kwargs)
        if result.approved:
            counted.charges.append(kwargs["idempotency_key"])
        return result

    def refund(**kwargs: Any) -> Any:
        counted.refunds.append(kwargs["idempotency_key"])
        return real_refund(**kwargs)

    monkeypatch.setattr(provider, "charge", charge)
    monkeypatch.setattr(provider, "refund", refund)
    return counted


@dataclass
class Played:
    """What one example's deliveries produced."""

    pending: list[Delivery]
    outbox: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    emitted: Counter[str] = field(default_factory=Counter)


def run_once(saga: Saga, played: Played, delivery: Delivery) -> bool:
    succeeded, produced = saga.deliver(delivery)
    for event in {id(d.event): d.event for d in produced}.values():
        played.emitted[event["detail-type"]] += 1
    played.pending.extend(produced)
    played.outbox.extend(take_messages("outbox"))
    return succeeded


def play(saga: Saga, played: Played, data: st.DataObject) -> None:
    """Hypothesis's steps, then what is still pending in arrival order; failed deliveries stay pending."""
    pending = played.pending
    for _ in range(MAX_DRAWN_STEPS):
        if not pending:
            break
        index = data.draw(st.integers(0, len(pending) - 1), label="deliver")
        action = data.draw(st.sampled_from(["once", "again later", "after a day"]), label="how")
        if action == "after a day":
            expire_idempotency_records(saga.shop)
            saga.log.append("-- idempotency records expired --")
        delivery = pending[index] if action == "again later" else pending.pop(index)
        if not run_once(saga, played, delivery) and action != "again later":
            pending.append(delivery)
    for _ in range(MAX_DRAIN_ROUNDS):
        if not pending:
            break
        delivery = pending.pop(0)
        if not run_once(saga, played, delivery):
            pending.append(delivery)
    assert not pending, f"deliveries never succeeded: {[d.describe() for d in pending]}\n" + "\n".join(saga.log)


def check_money(saga: Saga, books: Books, order_id: str, scenario: tuple[str, str], trace: str) -> bool:
    """Charged at most once; refunded exactly when charged and not shipped. Returns whether it was charged."""
    assert len(books.charges) <= 1 and len(books.refunds) <= 1, trace
    payment = saga.shop.table("payments").get_item(Key={"orderId": order_id})["Item"]
    charged = payment["status"] in ("CAPTURED", "REFUNDED")
    assert len(books.charges) == int(charged), trace
    assert books.refunds == (books.charges if FINAL_STATUS[scenario] != "SHIPPED" else []), trace
    possible_payment_statuses = {
        ("enough", "tok_visa"): {"CAPTURED"},
        ("short", "tok_visa"): {"REFUNDED", "CANCELLED"},  # refunded, or never charged
        ("enough", "tok_decline"): {"DECLINED"},
        ("short", "tok_decline"): {"DECLINED", "CANCELLED"},
    }[scenario]
    assert payment["status"] in possible_payment_statuses, trace
    return charged


def check_mail(played: Played, order_id: str, status: str, charged: bool, refunds: int, trace: str) -> None:
    """Exactly one mail per kind of event that happened to the order, and the ones every outcome needs."""
    mails = mails_by_kind(played.outbox, order_id)
    assert max(mails.values()) == 1, f"{mails}\n{trace}"
    mailed_kinds = set(email_service.CONSUMES) & set(played.emitted)
    assert set(mails) - {INVOICE_READY} == mailed_kinds | {"OrderPlaced"}, f"{mails} vs {played.emitted}\n{trace}"
    assert mails[INVOICE_READY] == int(charged), trace
    required = {
        "SHIPPED": {"OrderPlaced", "PaymentSucceeded", "OrderShipped", INVOICE_READY},
        "CANCELLED": {"OrderPlaced", "OutOfStock"},
        "PAYMENT_FAILED": {"OrderPlaced", "PaymentFailed"},
    }[status]
    assert required <= set(mails), f"{mails}\n{trace}"
    assert mails["PaymentRefunded"] == refunds, trace


@settings(
    # Bounded (about half a second of CPU an example) and the same examples on every run. No shrinking: a
    # failure's message already lists every delivery of the example in order, and shrinking takes minutes.
    max_examples=12,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    stock=st.sampled_from(["enough", "short"]),
    token=st.sampled_from(["tok_visa", "tok_decline"]),
    data=st.data(),
)
def test_any_order_and_any_duplicates_of_one_orders_events_give_the_same_outcome_and_books(
    saga: Saga, api: ModuleType, books: Books, stock: str, token: str, data: st.DataObject
) -> None:
    for record in (books.charges, books.refunds, saga.log):
        record.clear()
    order_id, sku, first = place_order(saga, api, stock, token)
    played = Played(pending=first)

    play(saga, played, data)

    trace = "\n".join(saga.log)
    order = saga.shop.table("orders").get_item(Key={"orderId": order_id})["Item"]
    status = FINAL_STATUS[(stock, token)]
    assert order["status"] == status, trace
    history = Counter(entry["event"] for entry in order["history"])
    assert max(history.values()) == 1, f"an event was applied twice: {history}\n{trace}"
    charged = check_money(saga, books, order_id, (stock, token), trace)
    # Stock: initial = available + held; held only by a shipped order.
    initial = QUANTITY if stock == "enough" else QUANTITY - 1
    assert saga.shop.available(sku) == initial - (QUANTITY if status == "SHIPPED" else 0), trace
    check_mail(played, order_id, status, charged, len(books.refunds), trace)
