"""The cart route on the local cloud: API Gateway's PutEvents integration, its checks and its errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.api_services import select_integration_response
from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper
from tests.e2e.conftest import events_about, messages_about
from tests.e2e.test_cart_reminders import DELAY_SECONDS

#: Isolated by their own order, customer and cart ids (tests/e2e/conftest.py).
pytestmark = pytest.mark.shared_cloud

ITEM = {"sku": "MUG-LOGO", "quantity": 1}


def cart_events(cloud: LocalCloud) -> list[dict[str, Any]]:
    return [event for event in cloud.archived_events() if event.get("detail-type") == "ItemAddedToCart"]


def test_an_address_with_an_apostrophe_gets_its_cart_reminder(cloud: LocalCloud) -> None:
    email = "o'brien@example.com"
    customer = Shopper(cloud.api, email=email)

    response = cloud.api.request("POST", "/carts/cart-obrien/items", body=ITEM, headers=customer.auth_headers())

    assert (response.status, response.json()) == (202, {"message": "message received"})
    cloud.wait_idle()
    [added] = events_about(cloud, "cart-obrien", "ItemAddedToCart")
    assert (added["detail"]["customerId"], added["detail"]["email"]) == (customer.customer().customer_id, email)
    cloud.advance(DELAY_SECONDS + 60)
    [due] = events_about(cloud, "cart-obrien", "CartReminderDue")
    assert due["detail"]["email"] == email
    [message] = messages_about(cloud.outbox(), "cart-obrien")
    assert message["attributes"]["detailType"] == "CartReminderDue"


def test_hostile_claim_values_reach_the_bus_exactly_as_verified(cloud: LocalCloud) -> None:
    email = "o'brien+{x}/y=z?w^_`|~#$%&*@example.com"  # every ASCII character the contracts allow
    headers = {**Shopper(cloud.api, email=email).auth_headers(), "X-Correlation-Id": "c-1"}

    response = cloud.api.request("POST", "/carts/cart-hostile-body/items", body=ITEM, headers=headers)

    assert response.status == 202
    cloud.wait_idle()
    [added] = events_about(cloud, "cart-hostile-body", "ItemAddedToCart")
    assert added["detail"]["email"] == email
    assert added["detail"]["quantity"] == 1
    assert added["detail"]["metadata"]["correlationId"] == "c-1"


@pytest.mark.parametrize(
    ("cart_id", "headers", "named"),
    [
        ("cart%22x", {}, ["cartId"]),
        ("c" * 65, {}, ["cartId"]),
        ("cart-ok", {"X-Correlation-Id": 'x"},"quantity":-7,"metadata":{"eventId":"forged"}}'}, ["X-Correlation-Id"]),
        ("cart-ok", {"X-Correlation-Id": "x" * 129}, ["X-Correlation-Id"]),
        ("cart-ok", {"X-Correlation-Id": "back\\slash"}, ["X-Correlation-Id"]),
        ("cart-ok", {"X-Correlation-Id": "café"}, ["X-Correlation-Id"]),
        ("bad%20cart", {"X-Correlation-Id": "tab\there"}, ["cartId", "X-Correlation-Id"]),
    ],
)
def test_a_bad_cart_id_or_correlation_id_answers_400_naming_it_and_nothing_reaches_the_bus(
    cloud: LocalCloud, shopper: Shopper, cart_id: str, headers: dict[str, str], named: list[str]
) -> None:
    cloud.wait_idle()
    before = len(cart_events(cloud))

    response = cloud.api.request(
        "POST", f"/carts/{cart_id}/items", body=ITEM, headers={**headers, **shopper.auth_headers()}
    )

    assert response.status == 400
    assert response.headers["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["message"] == "Invalid request parameters"
    assert [error.split(":")[0] for error in answer["errors"]] == named
    cloud.wait_idle()
    assert len(cart_events(cloud)) == before


def entry_refused(**_: Any) -> dict[str, Any]:
    """EventBridge's 200 that refused the entry (PutEvents reports failures per entry)."""
    return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}]}


def raising(code: str, status: int) -> Callable[..., dict[str, Any]]:
    """PutEvents failing with an AWS error, as botocore raises it."""

    def put_events(**_: Any) -> dict[str, Any]:
        error = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
        raise ClientError(error, "PutEvents")

    return put_events


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (entry_refused, 503),
        (raising("ThrottlingException", 400), 503),
        (raising("InternalException", 500), 503),
        (raising("AccessDeniedException", 400), 500),
    ],
    ids=["failed-entry", "throttled", "eventbridge-5xx", "access-denied"],
)
def test_an_item_eventbridge_did_not_take_is_never_answered_202(
    cloud: LocalCloud,
    shopper: Shopper,
    monkeypatch: pytest.MonkeyPatch,
    failure: Callable[..., dict[str, Any]],
    status: int,
) -> None:
    cloud.wait_idle()
    headers = shopper.auth_headers()
    monkeypatch.setattr(cloud.clients("events"), "put_events", failure)

    response = cloud.api.request("POST", "/carts/cart-lost/items", body=ITEM, headers=headers)

    assert response.status == status
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.json()) == {"message"}
    assert response.json()["message"] != "message received"


def test_the_integration_response_is_chosen_by_the_services_status_as_on_api_gateway() -> None:
    default = {"statusCode": "202"}
    client_error = {"statusCode": "400", "selectionPattern": r"4\d{2}"}

    # A lone default response takes every status: how EventBridge's errors used to become 202.
    assert select_integration_response([default], 400) is default
    assert select_integration_response([default, client_error], 400) is client_error
    assert select_integration_response([default, client_error], 200) is default
    assert select_integration_response([client_error], 500) is None  # API Gateway answers 500 then
