"""The one place handlers get AWS clients from: each created on first use, then kept for the container's life.

Importing a handler creates no client (a client costs 30-50 ms of a cold start, a resource more), and a
handler's clients are the same objects wherever it asks for them, so code that swaps in moto (tests) or
patches a client needs no module reload. A function's environment is read at import (it is fixed for a
container's life), but a client is only made when a call needs it.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3


def _region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


@functools.cache
def _client(service: str, region: str | None) -> Any:
    return boto3.client(service, region_name=region)


def client(service: str) -> Any:
    """The container's client of ``service`` (one per service and region)."""
    return _client(service, _region())


@functools.cache
def _dynamodb_resource(region: str | None) -> Any:
    return boto3.resource("dynamodb", region_name=region)


def dynamodb_resource() -> Any:
    """The container's DynamoDB service resource (its tables and batch calls deserialize DynamoDB types)."""
    return _dynamodb_resource(_region())


@functools.cache
def _table(name: str, region: str | None) -> Any:
    return _dynamodb_resource(region).Table(name)


def table(name: str) -> Any:
    """The DynamoDB resource ``Table`` called ``name`` (the resource API, for its types)."""
    return _table(name, _region())


@functools.cache
def _client_at(service: str, endpoint_url: str, region: str | None) -> Any:
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region)


def client_at(service: str, endpoint_url: str) -> Any:
    """The container's client of ``service`` at a given endpoint (an API's connection management URL)."""
    return _client_at(service, endpoint_url, _region())
