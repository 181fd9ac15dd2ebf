"""Counts the AWS calls a handler makes, by ``service:Operation``, so tests can hold a handler to the calls its
work needs (each call is latency and money in AWS, and CPU in the local cloud)."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import botocore.client
import pytest


@contextlib.contextmanager
def counting_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Every botocore call made while the block runs, as ``{"dynamodb:PutItem": 1, ...}``."""
    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counted(client: botocore.client.BaseClient, operation_name: str, api_params: Any) -> Any:
        calls[f"{client.meta.service_model.endpoint_prefix}:{operation_name}"] += 1
        return original(client, operation_name, api_params)

    with monkeypatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", counted)
        yield calls
