"""The idempotency store reuses boto3's default session: a cold start parses botocore's data once."""

from __future__ import annotations

import functools
from typing import Any

import boto3
import pytest

from handlers.shared import clients
from handlers.shared.runtime import EVENT_ID_PATH, idempotency_store


def test_the_idempotency_store_starts_no_session_of_its_own(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDEMPOTENCY_TABLE", "eventshop-test-idempotency")
    boto3.client("events")  # the handler's own clients come first and make the default session
    started: list[Any] = []
    original = boto3.session.Session.__init__

    def counting(self: boto3.session.Session, *args: Any, **kwargs: Any) -> None:
        started.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(boto3.session.Session, "__init__", counting)
    persistence, config = idempotency_store()
    persistence.configure(config, "handlers.test.function")
    assert started == []
    assert persistence.table_name == "eventshop-test-idempotency"
    assert persistence.client.meta.service_model.service_name == "dynamodb"
    assert persistence.client.meta.region_name == boto3.DEFAULT_SESSION.region_name
    assert config.event_key_jmespath == EVENT_ID_PATH


def test_the_idempotency_store_creates_no_client_until_first_use(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDEMPOTENCY_TABLE", "eventshop-test-idempotency")
    monkeypatch.setattr(clients, "_client", functools.cache(clients._client.__wrapped__))  # an empty container
    created: list[str] = []
    original = boto3.client

    def counting(service: str, *args: Any, **kwargs: Any) -> Any:
        created.append(service)
        return original(service, *args, **kwargs)

    monkeypatch.setattr(boto3, "client", counting)
    persistence, config = idempotency_store()  # what a handler module does at import
    assert created == []
    persistence.configure(config, "handlers.test.function")
    persistence.configure(config, "handlers.test.function")
    assert created == ["dynamodb"]  # once per container
    assert persistence.table_name == "eventshop-test-idempotency"
