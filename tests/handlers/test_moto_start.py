"""moto's ``requests`` registrations made on first use (tests/handlers/moto_start.py, installed by the handler tests'
``aws`` fixture): the same responses moto's own start registers, in the same order, answering ``requests`` as
moto's do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws
from moto.core import models
from moto.core.custom_responses_mock import reset_responses_mock
from responses import CallList

from tests.handlers import moto_start
from tests.handlers.shop_state import REGION


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def installed() -> Iterator[None]:
    with moto_start.installed():
        yield


def _described(response: Any) -> tuple[Any, ...]:
    """A registration as plain values: its class and every attribute (a pattern by its text and flags)."""
    return (type(response), tuple((name, _plain(value)) for name, value in sorted(vars(response).items())))


def _plain(value: Any) -> Any:
    if isinstance(value, re.Pattern):
        return ("pattern", value.pattern, value.flags)
    if isinstance(value, CallList):
        return ("calls", list(value))
    return value


def _registrations() -> list[tuple[Any, ...]]:
    with mock_aws():
        return [_described(response) for response in models.responses_mock.registered()]


def test_the_registrations_are_moto_owns_in_the_same_order(installed: None) -> None:
    lazy = _registrations()
    moto_start.uninstall()
    own = _registrations()
    assert len(own) == 1288
    assert lazy == own


def test_nothing_is_registered_until_used_and_requests_are_answered_as_moto_answers_them(
    installed: None, credentials: None
) -> None:
    with mock_aws():
        registry = models.responses_mock.get_registry()
        assert isinstance(registry, moto_start.LazyMotoRegistry)
        boto3.client("s3").create_bucket(Bucket="eventshop-lazy")
        assert not registry.made, "botocore's calls reach moto without the registrations"
        listing = requests.get("https://s3.amazonaws.com/", timeout=5)
        assert registry.made
        assert listing.status_code == 200
        assert "<Name>eventshop-lazy</Name>" in listing.text
        unknown = requests.get(f"https://no-such-service.{REGION}.amazonaws.com/x", timeout=5)
        assert (unknown.status_code, unknown.text) == (400, "The method is not implemented")
        assert registry.registered[0].call_count == 0
        assert sum(response.call_count for response in registry.registered) == 2, "each call recorded once"
    with mock_aws():
        assert not models.responses_mock.get_registry().made, "each start has registrations of its own"


def test_a_start_that_does_not_reset_runs_motos_own_code(installed: None) -> None:
    reset_responses_mock(models.responses_mock)  # as moto's reset leaves it: no registrations
    mock = mock_aws()
    mock.start(reset=False)
    try:
        assert not isinstance(models.responses_mock.get_registry(), moto_start.LazyMotoRegistry)
        assert len(models.responses_mock.registered()) == 1288
    finally:
        mock.stop()


def test_another_release_keeps_motos_own_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_start, "RESPONSES_VERSION", "0.0.0")
    moto_start.install()
    assert not moto_start.applies()
    assert models.MockAWS._enable_patching is not moto_start._enable_patching
    with mock_aws():
        assert type(models.responses_mock.get_registry()).__name__ == "CustomRegistry"
    moto_start.uninstall()


def test_a_handler_tests_moto_makes_them_on_first_use(aws: None) -> None:
    assert isinstance(models.responses_mock.get_registry(), moto_start.LazyMotoRegistry)
    assert models.MockAWS._enable_patching is moto_start._enable_patching
