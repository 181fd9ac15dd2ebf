"""The browser layer leaves the test process able to run event loops of its own: Playwright's sync API marks its
loop as running in the worker's thread only while a browser test drives it (tests/browser/conftest.py,
``Driver``). Otherwise a test of another layer on the same worker, after a browser test, could not run an event
loop (a Pulumi program run, ``asyncio.run``): "Cannot run the event loop while another loop is running"."""

from __future__ import annotations

import asyncio

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import Driver, new_profile

#: Uses no cloud, and changes nothing another module sees (tests/shared_cloud.py).
pytestmark = pytest.mark.shared_cloud


async def answer() -> int:
    await asyncio.sleep(0)
    return 42


def run_a_loop_of_its_own() -> int:
    """What a Pulumi program run does: a new loop run to completion in this thread (``asyncio.run`` would also
    unset the thread's current loop, which later tests of the process may rely on)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(answer())
    finally:
        loop.close()


def test_once_the_browser_is_launched_the_worker_runs_event_loops_of_its_own(driver: Driver, browser: Browser) -> None:
    assert asyncio.events._get_running_loop() is None
    assert run_a_loop_of_its_own() == 42


def test_after_a_profile_was_driven_the_worker_runs_event_loops_of_its_own_and_the_browser_still_answers(
    driver: Driver, browser: Browser
) -> None:
    with new_profile(driver, browser) as profile:
        page = profile.new_page()
        page.set_content("<p>ready</p>")
        assert page.text_content("p") == "ready"
    assert run_a_loop_of_its_own() == 42
    with new_profile(driver, browser) as profile:
        assert profile.new_page().evaluate("1 + 1") == 2
    assert run_a_loop_of_its_own() == 42
