"""Tracing that costs nothing when it is off.

Powertools' ``Tracer()`` imports the X-Ray SDK whether or not tracing is enabled, and the SDK's recorder
builds two X-Ray clients on import: about as much as importing boto3 itself, on every cold start.
Powertools shares one configuration among all its ``Tracer`` instances and keeps a provider it was
given, so when tracing is disabled (``POWERTOOLS_TRACE_DISABLED``), ``prime()`` hands it a provider that
records nothing before any handler module creates its ``Tracer()``; that ``Tracer()`` then reuses it and
the X-Ray SDK is never imported. With tracing enabled nothing changes: Powertools loads X-Ray as before.
"""

# The silent segment and provider implement Powertools' interfaces and ignore every argument on purpose.
# ruff: noqa: ARG002

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

#: Powertools' switch (``aws_lambda_powertools.shared.constants.TRACER_DISABLED_ENV``).
TRACE_DISABLED_ENV = "POWERTOOLS_TRACE_DISABLED"


class SilentSegment(BaseSegment):
    """A (sub)segment that records nothing."""

    def close(self, end_time: int | None = None) -> None:
        return None

    def add_subsegment(self, subsegment: Any) -> None:
        return None

    def remove_subsegment(self, subsegment: Any) -> None:
        return None

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        return None


class SilentProvider(BaseProvider):
    """A tracing provider for when tracing is disabled: every segment is a ``SilentSegment``."""

    @contextlib.contextmanager
    def in_subsegment(self, name: Any = None, **kwargs: Any) -> Iterator[BaseSegment]:
        yield SilentSegment()

    @contextlib.asynccontextmanager
    async def in_subsegment_async(self, name: Any = None, **kwargs: Any) -> AsyncIterator[BaseSegment]:
        yield SilentSegment()

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def patch(self, modules: Sequence[str]) -> None:
        return None

    def patch_all(self) -> None:
        return None


def tracing_disabled() -> bool:
    return bool(resolve_truthy_env_var_choice(env=os.getenv(TRACE_DISABLED_ENV, "false")))


def prime() -> None:
    """When tracing is disabled, give Powertools' shared Tracer configuration the silent provider."""
    if tracing_disabled():
        Tracer(provider=SilentProvider(), disabled=True, auto_patch=False)
