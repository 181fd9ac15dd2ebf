"""The local API over real HTTP on 127.0.0.1, and the /_local endpoints."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.server import serve_in_background
from localcloud.shop import Shopper
from tests.e2e.conftest import settled_order


@pytest.fixture(scope="module")
def base_url(cloud: LocalCloud) -> Iterator[str]:
    server, url = serve_in_background(cloud, port=0)
    yield url
    server.shutdown()
    server.server_close()


def call(base_url: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    host, port = urllib.parse.urlsplit(base_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def test_an_order_placed_over_http_can_be_followed_through_the_local_endpoints(
    cloud: LocalCloud, shopper: Shopper, base_url: str
) -> None:
    status, placed = call(
        base_url,
        "POST",
        "/orders",
        {
            "customerId": "http-1",
            "email": "http@example.com",
            "items": [{"sku": "MUG-LOGO", "quantity": 1}],
            "paymentToken": "tok_visa",
        },
    )
    assert (status, placed["status"]) == (202, "PLACED")
    order_id = placed["orderId"]
    settled_order(cloud, shopper, order_id)

    status, order = call(base_url, "GET", f"/orders/{order_id}")
    assert status == 200
    assert order["orderId"] == order_id

    _, trace = call(base_url, "GET", f"/_local/trace?orderId={order_id}")
    kinds = {entry["kind"] for entry in trace["entries"]}
    assert {"http", "invoke", "result", "deliver"} <= kinds
    assert "destination" not in kinds, "no on-success destination repeats the order's payload"
    assert all(entry["order_id"] == order_id for entry in trace["entries"])

    _, outbox = call(base_url, "GET", "/_local/outbox")
    assert any(order_id in message["body"] for message in outbox["messages"])

    _, dlq = call(base_url, "GET", "/_local/dlq")
    assert set(dlq["queues"]) == {
        "eventshop-dev-billing-dlq",
        "eventshop-dev-warehouse-dlq",
        "eventshop-dev-order-status-dlq",
        "eventshop-dev-email-dlq",
        "eventshop-dev-invoices-forward-dlq",
        "eventshop-dev-fulfillment-dlq",
        "eventshop-dev-reminders-dlq",
        "eventshop-dev-email-reminders-dlq",
        "eventshop-dev-orders-outbox-dlq",
    }


def test_bad_body_over_http_is_a_400(base_url: str) -> None:
    status, body = call(base_url, "POST", "/orders", {"customerId": "x"})

    assert status == 400
    assert body["message"] == "Invalid request body"


def test_the_clock_advances_through_the_local_endpoint(cloud: LocalCloud, base_url: str) -> None:
    before = cloud.clock.offset

    status, answer = call(base_url, "POST", "/_local/clock/advance", {"seconds": 90})

    assert status == 200
    assert answer["offsetSeconds"] == pytest.approx(before + 90)


def test_the_clock_refuses_to_go_back(base_url: str) -> None:
    status, answer = call(base_url, "POST", "/_local/clock/advance", {"seconds": -1})

    assert status == 400
    assert "forward" in answer["message"]
