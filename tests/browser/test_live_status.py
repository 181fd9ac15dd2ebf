"""The page's live order status on its own: a WebSocket server speaking the contract (customers.md: one
`{"type": "orderStatus", "orderId", "status", "updatedAt"}` text message per change) and the order routes
answered by the test, so the page's own logic is proven whatever serves them: late and out-of-order pushes,
reconnecting after the server drops the connection, and signing out."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import websockets
from playwright.sync_api import BrowserContext, Route, expect
from websockets.asyncio.server import Server, ServerConnection

from localcloud.cloud import LocalCloud
from tests.browser.conftest import Storefront, create_customer, open_storefront, sign_in

#: The test's own WebSocket server is named in the cloud's endpoints only while the test runs (``live``), and
#: the order routes are answered by the test, not the cloud (tests/shared_cloud.py).
pytestmark = pytest.mark.shared_cloud

CHOSEN = "Correct-Horse-9!"  # the password each new customer chooses
PLACED_AT = "2026-01-01T10:00:00Z"
#: The page's first reconnect delay before jitter (storefront/live.js, RECONNECT_FIRST_MS).
FIRST_RECONNECT_MS = 1000
#: Where a test stops the page's clock: ahead of the time it has run to since the page loaded (it starts at now).
CLOCK_AHEAD_SECONDS = 5


@dataclass
class LiveServer:
    """A WebSocket server on 127.0.0.1 that records each connection's token and pushes what the test says."""

    loop: asyncio.AbstractEventLoop
    url: str = ""
    tokens: list[str] = field(default_factory=list)
    open: set[ServerConnection] = field(default_factory=set)
    server: Server | None = None

    async def _handle(self, connection: ServerConnection) -> None:
        query = urllib.parse.parse_qs(
            urllib.parse.urlsplit(connection.request.path if connection.request else "").query
        )
        self.tokens.append(query.get("token", [""])[0])
        self.open.add(connection)
        try:
            async for _ in connection:
                pass
        finally:
            self.open.discard(connection)

    def push(self, order_id: str, status: str, updated_at: str) -> None:
        message = json.dumps({"type": "orderStatus", "orderId": order_id, "status": status, "updatedAt": updated_at})
        for connection in list(self.open):
            asyncio.run_coroutine_threadsafe(connection.send(message), self.loop).result(timeout=10)

    def drop_all(self) -> None:
        for connection in list(self.open):
            asyncio.run_coroutine_threadsafe(connection.close(), self.loop).result(timeout=10)


@pytest.fixture
def live(cloud: LocalCloud) -> Iterator[LiveServer]:
    loop = asyncio.new_event_loop()
    server = LiveServer(loop)

    async def start() -> None:
        server.server = await websockets.serve(server._handle, "127.0.0.1", 0)
        server.url = f"ws://127.0.0.1:{next(iter(server.server.sockets)).getsockname()[1]}"

    # Playwright's sync API runs an event loop in this thread: the server gets a loop of its own, in a thread.
    thread = threading.Thread(target=loop.run_forever, name="test-live-server", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    previous = cloud.endpoints.get("websocket")
    cloud.endpoints["websocket"] = server.url
    yield server
    if previous is None:
        cloud.endpoints.pop("websocket", None)
    else:
        cloud.endpoints["websocket"] = previous
    assert server.server is not None
    server.server.close()
    asyncio.run_coroutine_threadsafe(server.server.wait_closed(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


@dataclass
class OrderRoutes:
    """Answers the page's order calls as the API contract says, and records the orders placed."""

    placed: list[dict[str, Any]] = field(default_factory=list)
    #: What GET /orders/{orderId} answers: the order's current status and when it changed.
    current: tuple[str, str] = ("PLACED", PLACED_AT)
    before_answering_post: Any = None

    def handle(self, route: Route) -> None:
        request = route.request
        path = urllib.parse.urlsplit(request.url).path
        if request.method == "POST" and path.startswith("/carts/"):
            route.fulfill(status=202, json={"message": "Item added"})
        elif request.method == "POST" and path == "/orders":
            self.placed.append(json.loads(request.post_data or "{}") | {"key": request.headers.get("idempotency-key")})
            if self.before_answering_post:
                self.before_answering_post()
            route.fulfill(status=202, json={"orderId": "o-1", "status": "PLACED"})
        elif request.method == "GET" and path.startswith("/orders/"):
            order_id = path.rsplit("/", 1)[1]
            status, at = self.current
            history = [{"status": "PLACED", "at": PLACED_AT, "event": "OrderPlaced"}]
            history += [] if status == "PLACED" else [{"status": status, "at": at, "event": "StockReserved"}]
            route.fulfill(status=200, json={"orderId": order_id, "status": status, "history": history})
        elif request.method == "GET" and path == "/orders":
            orders = [
                {"orderId": order_id, "status": "PLACED", "total": 9.5, "currency": "EUR", "createdAt": PLACED_AT}
                for order_id in (["o-1"] if self.placed else []) + ["o-2"]
            ]
            route.fulfill(status=200, json={"orders": orders, "nextCursor": None})
        else:
            route.continue_()


def signed_in_with_order_routes(context: BrowserContext, base_url: str, routes: OrderRoutes) -> tuple[Storefront, str]:
    email, _ = create_customer(base_url, CHOSEN)
    context.route("**/orders**", routes.handle)
    context.route("**/carts/**", routes.handle)
    tab = open_storefront(context, base_url)
    sign_in(tab, email, CHOSEN)
    expect(tab.page.locator("#live-state")).to_have_text("Live updates: connected.")
    return tab, email


def place_one_mug(tab: Storefront) -> None:
    tab.page.get_by_role("button", name="Add Eventshop mug to cart").click()
    expect(tab.page.locator("#cart li")).to_have_count(1)
    tab.page.get_by_role("button", name="Place order").click()


def history_status(tab: Storefront, order_id: str) -> Any:
    return tab.page.locator(f"#history-rows tr[data-order-id='{order_id}'] td").last


def test_pushed_changes_show_live_and_a_late_older_one_never_wins(
    context: BrowserContext, base_url: str, live: LiveServer
) -> None:
    routes = OrderRoutes()
    # A change pushed while the POST is still being answered must not be lost.
    routes.before_answering_post = lambda: live.push("o-1", "PAID", "2026-01-01T10:00:01Z")
    tab, _ = signed_in_with_order_routes(context, base_url, routes)
    status = tab.page.get_by_role("status")

    place_one_mug(tab)
    expect(status).to_have_text("Order o-1: PAID")
    live.push("o-1", "SHIPPED", "2026-01-01T10:00:09Z")
    expect(status).to_have_text("Order o-1: SHIPPED (final)")
    expect(history_status(tab, "o-1")).to_have_text("SHIPPED")
    live.push("o-1", "PAID", "2026-01-01T10:00:01Z")  # a duplicate arriving late
    live.push("o-2", "PAID", "2026-01-01T10:00:10Z")  # pushes are handled in order: once o-2 shows, o-1's was seen
    expect(history_status(tab, "o-2")).to_have_text("PAID")

    assert status.text_content() == "Order o-1: SHIPPED (final)"
    assert history_status(tab, "o-1").text_content() == "SHIPPED"
    [order] = routes.placed
    assert order["items"] == [{"sku": "MUG-LOGO", "quantity": 1}] and order["paymentToken"] == "tok_visa"
    assert order["key"] and "customerId" not in order and "email" not in order
    assert tab.violations() == [] and tab.errors == []


def test_the_page_reconnects_with_its_token_and_reads_the_order_again(
    context: BrowserContext, base_url: str, live: LiveServer
) -> None:
    routes = OrderRoutes()
    # The page's timers run on a clock the test moves: its reconnect backoff is checked, and waited out in no time.
    context.clock.install()
    tab, _ = signed_in_with_order_routes(context, base_url, routes)
    place_one_mug(tab)
    expect(tab.page.get_by_role("status")).to_have_text("Order o-1: PLACED")
    tab.page.clock.pause_at(time.time() + CLOCK_AHEAD_SECONDS)

    routes.current = ("RESERVED", "2026-01-01T10:00:05Z")  # a change nobody will be connected to hear
    live.drop_all()

    live_state = tab.page.locator("#live-state")
    expect(live_state).to_contain_text("reconnecting")
    # The first delay is a second with up to half of it taken off as jitter: no reconnect before half a second.
    tab.page.clock.run_for(FIRST_RECONNECT_MS // 2 - 1)
    assert "reconnecting" in str(live_state.text_content()) and len(live.tokens) == 1
    tab.page.clock.run_for(FIRST_RECONNECT_MS // 2 + 1)
    expect(live_state).to_have_text("Live updates: connected.")
    expect(tab.page.get_by_role("status")).to_have_text("Order o-1: RESERVED")
    assert len(live.tokens) == 2 and live.tokens[0] == live.tokens[1] != ""


def test_signing_out_closes_the_connection_for_good(context: BrowserContext, base_url: str, live: LiveServer) -> None:
    tab, _ = signed_in_with_order_routes(context, base_url, OrderRoutes())

    tab.page.get_by_role("button", name="Sign out").click()

    expect(tab.page.locator("#live-state")).to_have_text("Live updates: signed out.")
    assert tab.page.evaluate("sessionStorage.length") == 0
    assert len(live.tokens) == 1
