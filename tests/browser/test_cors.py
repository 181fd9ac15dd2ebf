"""The storefront page from another origin than the API, as deployed (CloudFront and execute-api): the page
at ``http://localhost:<port>`` calls the API at ``http://127.0.0.1:<port>``, and Chromium enforces CORS.
The local storefront's origin stands in for the distribution's (localcloud/cors.py)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext

from localcloud.cloud import LocalCloud
from tests.browser.conftest import local_call, open_storefront

#: The storefront origin a test changes is restored after it (``page_origin``) (tests/shared_cloud.py).
pytestmark = pytest.mark.shared_cloud


@pytest.fixture
def page_origin(cloud: LocalCloud, base_url: str) -> Iterator[str]:
    """``http://localhost:<port>``: the same server, another origin than the API's ``127.0.0.1``."""
    port = urllib.parse.urlsplit(base_url).port
    origin = f"http://localhost:{port}"
    served = cloud.endpoints["storefront"]
    yield origin
    cloud.endpoints["storefront"] = served


def test_the_page_from_another_origin_lists_the_catalog_through_cors(
    cloud: LocalCloud, context: BrowserContext, base_url: str, page_origin: str
) -> None:
    cloud.endpoints["storefront"] = f"{page_origin}/"
    tab = open_storefront(context, page_origin)

    assert tab.page.evaluate("window.location.origin") == page_origin
    assert tab.page.evaluate("fetch('config.json').then((r) => r.json()).then((c) => c.apiUrl)") == base_url
    _, products = local_call(base_url, "GET", "/products")
    names = tab.page.locator("#products .product-name").all_text_contents()
    assert sorted(names) == sorted(product["name"] for product in products)
    assert tab.violations() == [] and tab.errors == []


def test_the_page_from_an_origin_the_api_does_not_allow_cannot_read_the_catalog(
    cloud: LocalCloud, context: BrowserContext, base_url: str, page_origin: str
) -> None:
    """The API still allows the 127.0.0.1 storefront: Chromium refuses the answers to the localhost page."""
    assert cloud.endpoints["storefront"] == f"{base_url}/"
    tab = open_storefront(context, page_origin)

    assert tab.page.locator("#products .product-name").count() == 0
    assert "could not be loaded" in tab.page.locator("#products-state").inner_text()
