"""A mixed run, then the books: every delivered message processed or dead-lettered, every AWS call
each function made covered by the role policy the program gave it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from websockets.sync.client import connect

from localcloud import iam
from localcloud.cloud import LocalCloud
from localcloud.shop import DECLINE, Shopper, is_settled


@pytest.fixture(scope="module")
def mixed_run(cloud: LocalCloud, shopper: Shopper) -> dict[str, str]:
    """Approved, declined, sold-out and limited-stock orders, a cart item, and one order whose billing
    record always fails, while a signed-in customer holds a live status connection."""
    live = contextlib.ExitStack()
    signed_in = cloud.identity.create_user({"email": "mixed-run@example.com"})
    live.enter_context(connect(f"{cloud.serve_websocket(port=0)}?token={signed_in.id_token}"))
    warehouse: Any = cloud.function("warehouse").module
    handlers: dict[str, Callable[..., Any]] = dict(warehouse.HANDLERS)
    original = handlers["OrderPlaced"]
    placed = {
        "approved": shopper.place_order([("MUG-LOGO", 1)]),
        "declined": shopper.place_order([("TSHIRT-BLACK-M", 1)], token=DECLINE),
        "sold-out": shopper.place_order([("VINYL-SOLDOUT", 1)]),
    }
    for index in range(4):
        placed[f"poster-{index}"] = shopper.place_order([("POSTER-LIMITED", 1)], customer_id=f"poster-{index}")
    shopper.add_to_cart("cart-mixed", "MUG-LOGO")
    with cloud.pollers_paused():
        doomed = shopper.place_order([("STICKER-PACK", 1)], customer_id="doomed")

        def failing(*, event: Any) -> Any:
            if event.order_id == doomed:
                raise RuntimeError("warehouse is on fire")
            return original(event=event)

        patch = pytest.MonkeyPatch()
        patch.setattr(warehouse, "HANDLERS", {**handlers, "OrderPlaced": failing})
    try:
        cloud.settle()
    finally:
        patch.undo()
    live.close()
    server = cloud.websocket
    cloud.wait_until(lambda: server is not None and not server.open, what="the live connection's $disconnect")
    cloud.wait_idle()
    placed["doomed"] = doomed
    return placed


def test_every_order_but_the_dead_lettered_one_settles(
    cloud: LocalCloud, shopper: Shopper, mixed_run: dict[str, str]
) -> None:
    def unsettled() -> list[str]:
        return [key for key, order_id in mixed_run.items() if not is_settled(shopper.order(order_id))]

    # settle() ran the clock over every parked wait: the doomed order's OrderPlaced is in Warehouse's DLQ, so
    # its paid order was never reserved; at the fulfillment deadline it was refunded and cancelled.
    assert unsettled() == []
    statuses = {key: (shopper.order(order_id) or {}) for key, order_id in mixed_run.items()}
    assert statuses["doomed"]["status"] == "CANCELLED"
    assert "FulfillmentFailed" in [entry["event"] for entry in statuses["doomed"]["history"]]
    assert statuses["approved"]["status"] == "SHIPPED"
    assert statuses["declined"]["status"] == "PAYMENT_FAILED"
    assert statuses["sold-out"]["status"] == "CANCELLED"
    posters = sorted(statuses[f"poster-{i}"]["status"] for i in range(4))
    assert posters.count("CANCELLED") == 1, f"3 posters in stock, 4 ordered: {posters}"
    inventory = cloud.clients("dynamodb").get_item(
        TableName="eventshop-dev-inventory", Key={"sku": {"S": "POSTER-LIMITED"}}
    )
    assert inventory["Item"]["available"] == {"N": "0"}


def test_every_message_delivered_to_a_queue_was_processed_or_dead_lettered(
    cloud: LocalCloud, mixed_run: dict[str, str]
) -> None:
    dead = cloud.dead_letters()
    for poller in cloud.pollers:
        queue = poller.queue
        delivered = cloud.expected_deliveries(queue.arn)
        dead_lettered = len(dead.get(queue.name.removesuffix("-queue") + "-dlq", []))
        assert delivered > 0, queue.name
        assert (queue.name, cloud.bus_deliveries_processed(poller) + dead_lettered) == (queue.name, delivered)
        assert cloud.queue_messages(queue.name) == []
    assert len(dead["eventshop-dev-warehouse-dlq"]) == 1


def test_every_event_delivered_to_the_email_function_was_handled_or_dead_lettered(
    cloud: LocalCloud, mixed_run: dict[str, str]
) -> None:
    email = cloud.function("email").spec
    outcomes = cloud.async_outcomes[email.name]

    assert outcomes.get("succeeded", 0) + outcomes.get("failed", 0) == cloud.expected_deliveries(email.arn)
    assert outcomes.get("failed", 0) == len(cloud.dead_letters()["eventshop-dev-email-dlq"]) == 0


def test_every_aws_call_a_function_made_is_granted_by_its_role(cloud: LocalCloud, mixed_run: dict[str, str]) -> None:
    principals = {call.principal for call in cloud.recorder.calls}

    # The WebSocket authorizer makes no AWS call: it reads the user pool's public keys over HTTPS.
    assert set(cloud.functions) - {cloud.function("live-authorizer").spec.name} <= principals, (
        "every function made calls"
    )
    assert "eventshop-dev-orders-api-cart-events" in principals, "the cart integration's role made calls"
    assert [str(missing) for missing in cloud.missing_grants()] == []


def test_calls_are_recorded_with_their_exact_resources(cloud: LocalCloud, mixed_run: dict[str, str]) -> None:
    region_account = "eu-west-1:123456789012"
    calls = {(c.principal, c.action, c.resource, c.context) for c in cloud.recorder.calls}

    assert (
        "eventshop-dev-warehouse",
        "dynamodb:UpdateItem",
        f"arn:aws:dynamodb:{region_account}:table/eventshop-dev-inventory",
        (),
    ) in calls
    assert (
        "eventshop-dev-billing",
        "events:PutEvents",
        f"arn:aws:events:{region_account}:event-bus/eventshop-dev",
        (("events:source", "eventshop.billing"),),
    ) in calls
    assert not [call for call in calls if call[0] == "eventshop-dev-email" and call[1] == "events:PutEvents"], (
        "Email puts nothing on the bus: no on-success destination repeats a customer's address there"
    )
    assert (
        "eventshop-dev-billing",
        "sqs:DeleteMessage",
        f"arn:aws:sqs:{region_account}:eventshop-dev-billing-queue",
        (),
    ) in calls, "the poller deletes with the function's role"


def test_a_missing_grant_names_the_function_action_and_resource(cloud: LocalCloud, mixed_run: dict[str, str]) -> None:
    policies = cloud.deployment.policies_by_principal()
    billing = cloud.function("billing").spec.name
    policies[billing] = [s for s in policies[billing] if "events:PutEvents" not in s.actions]

    missing = [str(m) for m in iam.check_calls(cloud.recorder.calls, policies)]

    assert missing == [
        f"{billing} called events:PutEvents on arn:aws:events:eu-west-1:123456789012:event-bus/eventshop-dev "
        "without a grant (events:source=eventshop.billing)"
    ]


def test_a_grant_for_another_event_source_does_not_cover_the_call() -> None:
    statement = iam.parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["events:PutEvents"],
                    "Resource": ["arn:aws:events:*:*:event-bus/shop"],
                    "Condition": {"StringEquals": {"events:source": ["eventshop.orders"]}},
                }
            ]
        }
    )
    call = iam.AwsCall("fn", "events:PutEvents", "arn:aws:events:eu-west-1:1:event-bus/shop", (("events:source", "x"),))

    assert [str(m) for m in iam.check_calls([call], {"fn": statement})] == [
        "fn called events:PutEvents on arn:aws:events:eu-west-1:1:event-bus/shop without a grant (events:source=x)"
    ]
    assert (
        iam.check_calls(
            [call], {"fn": iam.parse_policy({"Statement": {"Effect": "Allow", "Action": "events:*", "Resource": "*"}})}
        )
        == []
    )
