"""The local API over real HTTP on 127.0.0.1, and the /_local endpoints."""

from __future__ import annotations

import json
import socket
import urllib.parse
from http.server import ThreadingHTTPServer

import pytest

from devtools import openapi
from localcloud.cloud import LocalCloud
from localcloud.server import SHUTDOWN_POLL_SECONDS, serve_in_background
from localcloud.shop import Shopper
from tests.e2e import servers
from tests.e2e.conftest import settled_order
from tests.e2e.servers import call

#: Isolated by their own order, customer and cart ids (tests/e2e/conftest.py).
pytestmark = pytest.mark.shared_cloud

base_url = servers.base_url


def test_an_order_placed_over_http_can_be_followed_through_the_local_endpoints(
    cloud: LocalCloud, shopper: Shopper, base_url: str
) -> None:
    # The Bearer form, as many HTTP clients send it; the raw token works the same (tests/e2e/test_authorizer.py).
    signed_in = {**shopper.client_headers(), "Authorization": f"Bearer {shopper.customer().id_token}"}
    status, placed = call(
        base_url,
        "POST",
        "/orders",
        {"items": [{"sku": "MUG-LOGO", "quantity": 1}], "paymentToken": "tok_visa"},
        signed_in,
    )
    assert (status, placed["status"]) == (202, "PLACED")
    order_id = placed["orderId"]
    settled_order(cloud, shopper, order_id)

    status, order = call(base_url, "GET", f"/orders/{order_id}", headers=signed_in)
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
    # Every dead-letter queue the program declares (redrive, rule targets, async and stream failures), by name.
    assert set(dlq["queues"]) == {info.name for info in cloud.deployment.dead_letter_queues()}
    assert {"eventshop-dev-billing-dlq", "eventshop-dev-orders-outbox-dlq", "eventshop-dev-live-notifier-dlq"} <= set(
        dlq["queues"]
    )


def test_bad_body_over_http_is_a_400_naming_the_field_the_token_gives(base_url: str, shopper: Shopper) -> None:
    status, body = call(base_url, "POST", "/orders", {"customerId": "x"}, shopper.auth_headers())

    assert status == 400
    assert body["message"] == "Invalid request body"
    assert any("customerId" in error for error in body["errors"])


def test_the_clock_advances_through_the_local_endpoint(cloud: LocalCloud, base_url: str) -> None:
    before = cloud.clock.offset

    status, answer = call(base_url, "POST", "/_local/clock/advance", {"seconds": 90})

    assert status == 200
    assert answer["offsetSeconds"] == pytest.approx(before + 90)


def test_the_clock_refuses_to_go_back(base_url: str) -> None:
    status, answer = call(base_url, "POST", "/_local/clock/advance", {"seconds": -1})

    assert status == 400
    assert "forward" in answer["message"]


def raw_exchange(base_url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are over a socket; the status, headers and body of the answer."""
    host, port = urllib.parse.urlsplit(base_url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize("path", ["/orders", "/carts/cart-1/items", "/products"])
def test_a_body_that_is_not_utf8_answers_400_json(base_url: str, shopper: Shopper, path: str) -> None:
    body = b'{"sku": "\xff\xfe caf\xe9"}'
    signed_in = "".join(f"{name}: {value}\r\n" for name, value in shopper.auth_headers().items())
    request = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{signed_in}"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body

    status, headers, answer = raw_exchange(base_url, request)

    assert headers["content-type"] == "application/json"
    if path == "/products":  # GET-only: the method is not defined there
        assert (status, json.loads(answer)) == (403, {"message": "Missing Authentication Token"})
        return
    assert status == 400
    document = json.loads(answer)
    assert document["message"] == "Invalid request body"
    assert "not valid UTF-8" in document["errors"][0]


def test_a_local_endpoint_answers_a_body_that_is_not_utf8_with_400_json(base_url: str) -> None:
    body = b'{"seconds": "\xff"}'
    request = (
        f"POST /_local/clock/advance HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body

    status, headers, answer = raw_exchange(base_url, request)

    assert (status, headers["content-type"]) == (400, "application/json")
    assert "UTF-8" in json.loads(answer)["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("TRACE", "/orders"),
        ("OPTIONS", "/"),  # the root has no routes, so no preflight
        ("PROPFIND", "/products"),
        ("get", "/products"),
        ("DELETE", "/orders/abc"),
        ("PUT", "/carts/cart-1/items"),
        ("BREW", "/"),
        ("GET", "/no/such/path"),
        ("GET", "/_local/no-such-endpoint"),
    ],
)
def test_every_method_the_api_does_not_define_answers_403_json_as_api_gateway_does(
    base_url: str, method: str, path: str
) -> None:
    request = f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()

    status, headers, answer = raw_exchange(base_url, request)

    assert (status, headers["content-type"]) == (403, "application/json")
    assert json.loads(answer) == {"message": "Missing Authentication Token"}


def test_connect_answers_403_json(base_url: str) -> None:
    status, headers, answer = raw_exchange(base_url, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n")

    assert (status, headers["content-type"]) == (403, "application/json")
    assert json.loads(answer) == {"message": "Missing Authentication Token"}


def test_head_answers_the_status_and_headers_without_a_body(base_url: str) -> None:
    status, headers, answer = raw_exchange(base_url, b"HEAD /products HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    assert (status, headers["content-type"], answer) == (403, "application/json", b"")


@pytest.mark.parametrize("request_line", [b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET / HTTP/1.1 extra\r\n\r\n"])
def test_a_malformed_request_answers_json_not_html(base_url: str, request_line: bytes) -> None:
    status, headers, answer = raw_exchange(base_url, request_line)

    assert 400 <= status < 600
    assert headers["content-type"] == "application/json"
    assert "message" in json.loads(answer)


def test_the_openapi_document_is_served_as_committed(base_url: str) -> None:
    status, document = call(base_url, "GET", "/_local/openapi.json")

    assert status == 200
    assert document == json.loads(openapi.DOCUMENT.read_text())


def test_a_background_server_looks_for_shutdown_often_so_stopping_it_does_not_wait_half_a_second(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every module serving the cloud stops its server (tests/e2e/servers.py); http.server's own poll interval
    would make each ``shutdown()`` wait up to half a second."""
    intervals: list[float] = []
    serve_forever = ThreadingHTTPServer.serve_forever

    def recording(self: ThreadingHTTPServer, poll_interval: float = 0.5) -> None:
        intervals.append(poll_interval)
        serve_forever(self, poll_interval)

    monkeypatch.setattr(ThreadingHTTPServer, "serve_forever", recording)
    served = cloud.endpoints.copy()
    server, url = serve_in_background(cloud, port=0)
    try:
        assert call(url, "GET", "/_local/endpoints")[0] == 200
    finally:
        server.shutdown()
        server.server_close()
        cloud.endpoints.clear()
        cloud.endpoints.update(served)

    assert intervals == [SHUTDOWN_POLL_SECONDS] and SHUTDOWN_POLL_SECONDS <= 0.05
