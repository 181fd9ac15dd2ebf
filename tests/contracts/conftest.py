"""Contract tests reuse the handler tests' moto shop; the whole-program runs of both stacks (``runs``) come
from tests/conftest.py."""

from __future__ import annotations

from tests.handlers.conftest import api, aws, billing, context, outbox, relay, shop, warehouse

__all__ = ["api", "aws", "billing", "context", "outbox", "relay", "shop", "warehouse"]
