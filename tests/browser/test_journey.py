"""The whole journey in the browser: sign in, order, watch PLACED become SHIPPED live, find it in the history;
another customer sees none of it.

The local cloud here also serves its WebSocket API, so the page's live updates come from the program's own
handlers; the test moves the order along by settling the cloud (waiting until idle, advancing its clock over
parked retries), never by sleeping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from localcloud.cloud import LocalCloud
from tests import shared_cloud
from tests.browser.conftest import create_customer, local_call, open_storefront, sign_in

CHOSEN = "Correct-Horse-9!"  # the password each new customer chooses
#: Every text the status line shows, in order, recorded in the page as it changes.
RECORD_STATUSES = """() => {
  window.__statuses = [];
  window.__sameDocument = true;
  const line = document.getElementById("order-status");
  const record = () => window.__statuses.push(line.textContent);
  new MutationObserver(record).observe(line, {childList: true, characterData: true, subtree: true});
}"""


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """The local cloud with its WebSocket API served, so config.json names a live-status URL: a cloud of the
    module's own, as the other modules' pages must not connect to it."""
    with shared_cloud.own_cloud() as booted:
        booted.serve_websocket()
        yield booted


def test_an_order_goes_from_placed_to_shipped_live_and_only_its_owner_sees_it(
    browser: Browser, context: BrowserContext, cloud: LocalCloud, base_url: str, artifacts: Path
) -> None:
    email, _ = create_customer(base_url, CHOSEN)
    other_email, other_token = create_customer(base_url, CHOSEN)

    tab = open_storefront(context, base_url)
    sign_in(tab, email, CHOSEN)
    page = tab.page
    expect(page.locator("#live-state")).to_have_text("Live updates: connected.")
    page.evaluate(RECORD_STATUSES)
    page.get_by_role("button", name="Add Eventshop mug to cart").click()
    expect(page.locator("#cart li")).to_have_text([re.compile(r"^1 . Eventshop mug$")])
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^Order \S+: "))
    placed = re.match(r"Order (\S+): PLACED", page.evaluate("window.__statuses[0]"))
    assert placed, page.evaluate("window.__statuses")
    order_id = placed.group(1)

    cloud.settle()
    expect(page.get_by_role("status")).to_have_text(f"Order {order_id}: SHIPPED (final)")

    statuses = page.evaluate("window.__statuses")
    assert statuses[0] == f"Order {order_id}: PLACED"
    assert statuses[-1] == f"Order {order_id}: SHIPPED (final)"
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    row = page.locator(f"#history-rows tr[data-order-id='{order_id}']")
    expect(row.locator("td").last).to_have_text("SHIPPED")
    page.screenshot(path=str(artifacts / "storefront-journey.png"), full_page=True)
    assert tab.violations() == [] and tab.errors == []

    other_context = browser.new_context()
    try:
        other = open_storefront(other_context, base_url)
        sign_in(other, other_email, CHOSEN)
        expect(other.page.locator("#history-state")).not_to_have_text("Sign in to see your orders.")
        assert other.page.locator(f"#history-rows tr[data-order-id='{order_id}']").count() == 0
        assert local_call(base_url, "GET", f"/orders/{order_id}", token=other_token)[0] == 404
    finally:
        other_context.close()
