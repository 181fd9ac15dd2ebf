"""An order's journey through the whole choreography: API, bus, queues, handlers, projector, email."""

from __future__ import annotations

import json
import uuid

import pytest

from localcloud.cloud import LocalCloud
from localcloud.shop import DECLINE, Shopper, history_events
from tests.e2e.conftest import events_about, messages_about, settled_order

#: Isolated by their own order, customer and cart ids (tests/e2e/conftest.py).
pytestmark = pytest.mark.shared_cloud


def test_approved_order_is_paid_reserved_shipped_and_the_customer_is_told(cloud: LocalCloud, shopper: Shopper) -> None:
    # A customer of its own: on the shared cloud, the default one may have ordered already (then "returning").
    customer = f"journey-{uuid.uuid4().hex[:8]}"
    order_id = shopper.place_order([("MUG-LOGO", 2), ("STICKER-PACK", 1)], customer_id=customer)

    order = settled_order(cloud, shopper, order_id)

    assert order["status"] == "SHIPPED"
    assert history_events(order)[0] == "OrderPlaced"
    assert sorted(history_events(order)[1:]) == ["OrderShipped", "PaymentSucceeded", "StockReserved"]
    assert str(order["total"]) == "22.0"
    [shipped] = events_about(cloud, order_id, "OrderShipped")
    assert shipped["source"] == "eventshop.fulfillment"
    assert shipped["detail"]["customerStatus"] == "new"
    assert shipped["detail"]["shippingSpeed"] == "standard"
    emails = messages_about(cloud.outbox(), order_id)
    assert sorted(message["attributes"]["detailType"] for message in emails) == [
        "InvoiceReady",
        "OrderPlaced",
        "OrderShipped",
        "PaymentSucceeded",
    ]
    assert all(message["attributes"]["email"] == shopper.email_of(customer) for message in emails)
    invoice = cloud.clients("s3").get_object(Bucket="eventshop-dev-invoices", Key=f"invoices/{order_id}.json")
    document = json.loads(invoice["Body"].read())
    assert (document["orderId"], document["amount"], document["email"]) == (
        order_id,
        "22.00",
        shopper.email_of(customer),
    )


def test_declined_payment_ends_in_payment_failed(cloud: LocalCloud, shopper: Shopper) -> None:
    # Billing and Warehouse race for OrderPlaced. When the charge is declined before Warehouse reserves, nothing is
    # ever held (tests/handlers/test_compensation.py); this journey is the other order, held so: the stock is
    # reserved before the charge is declined, and the saga must release it.
    with cloud.pollers_paused("billing"):
        order_id = shopper.place_order([("TSHIRT-BLACK-M", 1)], token=DECLINE)
        cloud.wait_until(lambda: bool(events_about(cloud, order_id, "StockReserved")), what="the reservation")

    order = settled_order(cloud, shopper, order_id)

    assert order["status"] == "PAYMENT_FAILED"
    assert "PaymentFailed" in history_events(order)
    emails = messages_about(cloud.outbox(), order_id)
    assert sorted(message["attributes"]["detailType"] for message in emails) == ["OrderPlaced", "PaymentFailed"]
    # The saga releases the reservation made for the declined order: no stock stays held.
    (released,) = events_about(cloud, order_id, "StockReleased")
    assert released["detail"]["items"] == [{"sku": "TSHIRT-BLACK-M", "quantity": 1}]
    reservation = cloud.clients("dynamodb").get_item(
        TableName="eventshop-dev-reservations", Key={"orderId": {"S": order_id}}
    )["Item"]
    assert reservation["status"]["S"] in ("RELEASED", "PAYMENT_FAILED")


def test_sold_out_item_charged_first_cancels_the_order_and_is_refunded(cloud: LocalCloud, shopper: Shopper) -> None:
    # Billing and Warehouse race for OrderPlaced. When Warehouse answers first, Billing never charges (a
    # CANCELLED marker: tests/handlers/test_compensation.py); this journey is the other order, held so: the
    # charge lands before Warehouse reports the item sold out, and the payment must be refunded.
    with cloud.pollers_paused("warehouse"):
        order_id = shopper.place_order([("VINYL-SOLDOUT", 1)])
        cloud.wait_until(lambda: bool(events_about(cloud, order_id, "PaymentSucceeded")), what="the charge")

    order = settled_order(cloud, shopper, order_id)

    assert order["status"] == "CANCELLED"
    assert {"OutOfStock", "PaymentSucceeded"} <= set(history_events(order))
    (out_of_stock,) = events_about(cloud, order_id, "OutOfStock")
    assert out_of_stock["detail"]["unavailable"] == ["VINYL-SOLDOUT"]
    emails = messages_about(cloud.outbox(), order_id)
    assert "OutOfStock" in {message["attributes"]["detailType"] for message in emails}
    # The captured payment is refunded once, and the customer is told.
    (refunded,) = events_about(cloud, order_id, "PaymentRefunded")
    assert refunded["detail"]["reason"] == "out_of_stock"
    payment = cloud.clients("dynamodb").get_item(TableName="eventshop-dev-payments", Key={"orderId": {"S": order_id}})
    assert payment["Item"]["status"]["S"] == "REFUNDED"
    reservation = cloud.clients("dynamodb").get_item(
        TableName="eventshop-dev-reservations", Key={"orderId": {"S": order_id}}
    )["Item"]
    assert reservation["status"]["S"] == "OUT_OF_STOCK", "no stock is held for a cancelled order"
    assert "PaymentRefunded" in {message["attributes"]["detailType"] for message in emails}


def test_malformed_body_is_refused_at_the_edge_and_nothing_reaches_the_bus(cloud: LocalCloud, shopper: Shopper) -> None:
    cloud.wait_idle()
    events_before = len(cloud.archived_events())
    function_runs_before = cloud.function("orders-api").invocations

    response = cloud.api.request(
        "POST",
        "/orders",
        body={"customerId": "c-1", "items": [{"sku": "MUG-LOGO", "quantity": 0}]},
        headers=shopper.auth_headers(),
    )

    assert response.status == 400
    body = response.json()
    assert body["message"] == "Invalid request body"
    problems = " ".join(body["errors"])
    for field in ("'customerId' was unexpected", "'paymentToken' is a required property", "items[0].quantity"):
        assert field in problems
    cloud.wait_idle()
    assert len(cloud.archived_events()) == events_before
    assert cloud.function("orders-api").invocations == function_runs_before


def test_body_that_is_not_json_is_a_400(cloud: LocalCloud, shopper: Shopper) -> None:
    response = cloud.api.request("POST", "/orders", body="{not json", headers=shopper.auth_headers())

    assert response.status == 400
    assert "Invalid JSON" in response.json()["errors"][0]


def test_unknown_sku_is_a_400_naming_it(cloud: LocalCloud, shopper: Shopper) -> None:
    response = shopper.place_order_response([("NO-SUCH-SKU", 1)])

    assert response.status == 400
    assert "NO-SUCH-SKU" in response.body


def test_unknown_order_is_a_404(shopper: Shopper) -> None:
    assert shopper.order("00000000-0000-0000-0000-000000000000") is None


def test_unknown_path_answers_like_api_gateway(cloud: LocalCloud) -> None:
    response = cloud.api.request("GET", "/nowhere")

    assert response.status == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_stage_prefixed_paths_reach_the_same_routes(cloud: LocalCloud) -> None:
    response = cloud.api.request("GET", "/v1/products", headers=Shopper(cloud.api).client_headers())

    assert response.status == 200
    assert {product["sku"] for product in response.json()} >= {"MUG-LOGO", "VINYL-SOLDOUT"}
    assert {p["sku"]: p["inStock"] for p in response.json()}["VINYL-SOLDOUT"] is False


def test_retrying_with_the_same_idempotency_key_places_one_order(cloud: LocalCloud, shopper: Shopper) -> None:
    first = shopper.place_order([("HOODIE-GREY-L", 1)], idempotency_key="retry-me-1")
    second = shopper.place_order([("HOODIE-GREY-L", 1)], idempotency_key="retry-me-1")

    assert first == second
    settled_order(cloud, shopper, first)
    assert len(events_about(cloud, first, "OrderPlaced")) == 1


def test_cart_item_goes_straight_to_the_bus_through_the_mapping_template(cloud: LocalCloud, shopper: Shopper) -> None:
    response = shopper.add_to_cart("cart-42", "MUG-LOGO", 3)

    assert response.status == 202
    assert response.json() == {"message": "message received"}
    (event,) = events_about(cloud, "cart-42", "ItemAddedToCart")
    assert event["source"] == "eventshop.carts"
    detail = event["detail"]
    assert (detail["customerId"], detail["email"], detail["sku"], detail["quantity"]) == (
        shopper.customer().customer_id,
        shopper.email,
        "MUG-LOGO",
        3,
    )
    assert detail["metadata"]["schemaVersion"] == "1"
    assert detail["metadata"]["eventId"] == response.headers["x-amzn-RequestId"]


@pytest.mark.parametrize(
    "body", [{"customerId": "c", "sku": "MUG-LOGO", "quantity": 1}, {"email": "e@example.com", "sku": "MUG-LOGO"}, {}]
)
def test_cart_item_with_a_bad_body_is_refused(cloud: LocalCloud, shopper: Shopper, body: dict[str, object]) -> None:
    events_before = len(cloud.archived_events())

    response = cloud.api.request("POST", "/carts/cart-43/items", body=body, headers=shopper.auth_headers())

    assert response.status == 400
    problems = " ".join(response.json()["errors"])
    for named in ("customerId", "email"):  # the token says who and where: naming them is refused, by name
        assert (f"'{named}' was unexpected" in problems) == (named in body)
    assert len(cloud.archived_events()) == events_before
