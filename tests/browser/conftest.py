"""The storefront in a real browser: Playwright for Python driving Debian's Chromium headless shell (the same
Blink and V8 as Debian's `chromium`, without the desktop browser; what Playwright itself runs for headless
Chromium) against the local cloud.

`make browser` (part of `make install` and `make test`) installs it with apt; Playwright's own browser download
is not used. Screenshots go to the run's artifacts directory: $ARTIFACTS_DIR, default ./artifacts.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from devtools.program import ROOT
from tests import shared_cloud
from tests.e2e import servers

# The local cloud, moto's parsers and Playwright are imported where used, not here: the xdist controller loads
# this file before it starts the workers and runs no test itself.
if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright


CHROMIUM = Path("/usr/bin/chromium-headless-shell")
#: Records every CSP violation the page reports, before any of the page's own scripts run. Playwright injects
#: it through the DevTools protocol, which the page's CSP does not govern.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@dataclass
class Storefront:
    """One browser tab on the storefront, with every CSP report and script error it produced."""

    page: Page
    console_violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        reported: list[str] = self.page.evaluate("window.__cspViolations")
        return reported + self.console_violations


@dataclass(frozen=True)
class Driver:
    """Playwright's sync API and the event loop it runs in this thread.

    Between two of its calls the sync API leaves its loop marked as running in the calling thread
    (playwright/_impl/_greenlets.py, ``wait_for_future``), so ``asyncio.run`` anywhere else in the test process
    fails with "Cannot run the event loop while another loop is running". The loop is marked running only
    within ``calls()``: while a browser test (its ``context``) or a session fixture drives the browser."""

    playwright: Playwright
    loop: asyncio.AbstractEventLoop

    @contextmanager
    def calls(self) -> Iterator[None]:
        asyncio.events._set_running_loop(self.loop)
        try:
            yield
        finally:
            asyncio.events._set_running_loop(None)


@pytest.fixture(scope="session")
def driver() -> Iterator[Driver]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium-headless-shell)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (imported on use: see the note at the imports)

    started = sync_playwright().start()
    loop = asyncio.events._get_running_loop()
    assert loop is not None, "Playwright's sync API runs its calls in an event loop of this thread"
    asyncio.events._set_running_loop(None)
    running = Driver(started, loop)
    yield running
    with running.calls():
        started.stop()


@pytest.fixture(scope="session")
def browser(driver: Driver) -> Iterator[Browser]:
    # --no-sandbox: CI runs as root, and Chromium's sandbox refuses to start as root.
    with driver.calls():
        launched = driver.playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
    yield launched
    with driver.calls():
        launched.close()


#: The layer's tests keep to one worker (tests/layer_session.py), which launches Chromium once.
ONE_BROWSER = pytest.mark.xdist_group(name="browser")
LAYER = Path(__file__).parent


@pytest.hookimpl(trylast=True)  # after the e2e layer's conftest has ordered that layer's tests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The module with a cloud of its own first in this layer, the modules sharing the cloud last; the layer on
    one worker, sent out with the e2e layer's first tests (tests/shared_cloud.py): a page mostly waits on
    Chromium, and the other worker runs e2e tests meanwhile. The layer gate still counts this layer after e2e
    (the command line's order)."""
    shared_cloud.own_clouds_first(items, LAYER)
    for item in items:
        if item.path.is_relative_to(LAYER):
            item.add_marker(ONE_BROWSER)
    shared_cloud.run_beside(items, LAYER, host=LAYER.parent / "e2e")


#: The worker's shared cloud for a ``shared_cloud`` module, else a cloud of the module's own.
cloud = shared_cloud.cloud
base_url = servers.base_url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    directory = Path(os.environ.get("ARTIFACTS_DIR") or ROOT / "artifacts") / "browser"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@contextmanager
def new_profile(driver: Driver, browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile, driven only until it is closed (``Driver.calls``)."""
    with driver.calls():
        opened = browser.new_context(viewport={"width": 1280, "height": 800})
        try:
            yield opened
        finally:
            opened.close()


@pytest.fixture
def context(driver: Driver, browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile per test: no cookies, no session storage shared between customers. The test drives the
    browser while it runs; after it, the worker's thread runs no event loop of Playwright's (``Driver``)."""
    with new_profile(driver, browser) as opened:
        yield opened


def open_storefront(context: BrowserContext, base_url: str) -> Storefront:
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    tab = Storefront(page)

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            tab.console_violations.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    page.goto(f"{base_url}/")
    page.wait_for_selector("body[data-ready=true]")
    return tab


def sign_in(tab: Storefront, email: str, password: str) -> None:
    tab.page.get_by_label("Email").fill(email)
    tab.page.get_by_label("Password").fill(password)
    tab.page.get_by_role("button", name="Sign in").click()
    tab.page.wait_for_selector("#account:not([hidden])")


def client_key(base_url: str) -> str | None:
    """The API key the page sends (config.json's ``apiKey``): the storefront client's."""
    config = requests.get(f"{base_url}/config.json", timeout=30)
    config.raise_for_status()
    key = config.json()["apiKey"]
    return str(key) if key is not None else None


def local_call(base_url: str, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    """A JSON request to the local cloud's server, as the page sends it (with the storefront client's API key):
    (status, body), also for 4xx answers."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    key = client_key(base_url)
    if key is not None and not path.startswith("/_local/"):
        headers["x-api-key"] = key
    response = requests.request(method, f"{base_url}{path}", json=body, headers=headers, timeout=30)
    return response.status_code, response.json() if response.content else None


def create_customer(base_url: str, password: str) -> tuple[str, str]:
    """A confirmed customer with the given password (POST /_local/users): their email and an ID token."""
    email = f"browser.{uuid.uuid4().hex[:8]}@example.com"
    status, created = local_call(base_url, "POST", "/_local/users", {"email": email, "password": password})
    assert status == 200, created
    return email, str(created["idToken"])
