"""The storefront page in Chromium on the local cloud: the catalog, signing in and out, and its CSP holding."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext

from localcloud.cloud import LocalCloud
from tests.browser.conftest import create_customer, local_call, open_storefront, sign_in

#: Isolated by a new customer per test; the page only reads the catalog (tests/shared_cloud.py).
pytestmark = pytest.mark.shared_cloud

CHOSEN = "Correct-Horse-9!"  # the password each new customer chooses
#: Resolves true once two violations are recorded: at once, or on the violation event that makes them two (the
#: recording listener was added first, so it has run by then); false if they are not two within the bound.
WHEN_TWO_VIOLATIONS = """(boundMs) => new Promise((resolve) => {
  const check = () => window.__cspViolations.length >= 2 && resolve(true);
  document.addEventListener("securitypolicyviolation", check);
  setTimeout(() => resolve(false), boundMs);
  check();
})"""
VIOLATIONS_BOUND_MS = 10_000


def new_customer(base_url: str) -> str:
    return create_customer(base_url, CHOSEN)[0]


def test_the_catalog_is_listed_from_get_products(context: BrowserContext, base_url: str, artifacts: Path) -> None:
    tab = open_storefront(context, base_url)
    tab.page.screenshot(path=str(artifacts / "storefront.png"), full_page=True)

    _, products = local_call(base_url, "GET", "/products")
    names = tab.page.locator("#products .product-name").all_text_contents()
    assert sorted(names) == sorted(product["name"] for product in products)
    sold_out = {product["name"] for product in products if product["inStock"] is False}
    for name in sold_out:
        assert tab.page.get_by_role("button", name=f"{name} is sold out").is_disabled()
    assert tab.violations() == [] and tab.errors == []


def test_a_customer_signs_in_through_the_page_and_the_token_stays_in_the_session(
    context: BrowserContext, base_url: str, artifacts: Path
) -> None:
    email = new_customer(base_url)
    tab = open_storefront(context, base_url)

    sign_in(tab, email, CHOSEN)

    assert tab.page.locator("#account-email").text_content() == email
    assert tab.page.get_by_label("Password").input_value() == ""
    storage = tab.page.evaluate("({local: localStorage.length, token: sessionStorage.getItem('eventshop.idToken')})")
    assert storage["local"] == 0, "the ID token must never reach localStorage"
    assert storage["token"] and storage["token"].count(".") == 2
    tab.page.screenshot(path=str(artifacts / "storefront-signed-in.png"), full_page=True)
    assert (artifacts / "storefront-signed-in.png").stat().st_size > 0
    assert tab.violations() == [] and tab.errors == []


def test_a_wrong_password_is_refused_with_a_message_and_no_session(context: BrowserContext, base_url: str) -> None:
    email = new_customer(base_url)
    tab = open_storefront(context, base_url)

    tab.page.get_by_label("Email").fill(email)
    tab.page.get_by_label("Password").fill("Wrong-Horse-9!")
    tab.page.get_by_role("button", name="Sign in").click()

    alert = tab.page.get_by_role("alert")
    alert.wait_for()
    assert alert.text_content() == "Incorrect email or password."
    assert tab.page.evaluate("sessionStorage.getItem('eventshop.idToken')") is None
    assert tab.page.locator("#account").is_hidden()


def test_signing_out_forgets_the_token(context: BrowserContext, base_url: str) -> None:
    email = new_customer(base_url)
    tab = open_storefront(context, base_url)
    sign_in(tab, email, CHOSEN)

    tab.page.get_by_role("button", name="Sign out").click()

    assert tab.page.evaluate("sessionStorage.getItem('eventshop.idToken')") is None
    assert tab.page.get_by_role("button", name="Sign in").is_visible()
    tab.page.reload()
    tab.page.wait_for_selector("body[data-ready=true]")
    assert tab.page.locator("#account").is_hidden()


def test_the_page_uses_no_inline_code_and_its_csp_blocks_what_an_attacker_would_inject(
    context: BrowserContext, base_url: str, cloud: LocalCloud
) -> None:
    tab = open_storefront(context, base_url)
    assert tab.violations() == []

    tab.page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__injected = true";
          document.body.append(script);
          const probe = document.createElement("img");
          probe.src = "https://attacker.example/pixel.png";
          document.body.append(probe);
        }"""
    )
    # The page's CSP forbids eval, so no wait_for_function: a promise in the page resolves once both are reported.
    reported = tab.page.evaluate(WHEN_TWO_VIOLATIONS, VIOLATIONS_BOUND_MS)
    assert reported, f"two CSP violations were not reported within {VIOLATIONS_BOUND_MS} ms: {tab.violations()}"

    assert tab.page.evaluate("window.__injected") is None
    assert sorted(v.split(" blocked ")[0] for v in tab.page.evaluate("window.__cspViolations")) == [
        "img-src",
        "script-src-elem",
    ]
    assert cloud.endpoints["storefront"] == f"{base_url}/"
