"""Contract tests reuse the handler tests' moto shop and the unit tests' whole-program runs of both stacks."""

from __future__ import annotations

from tests.handlers.conftest import api, aws, billing, context, outbox, relay, shop, warehouse
from tests.unit.conftest import runs

__all__ = ["api", "aws", "billing", "context", "outbox", "relay", "runs", "shop", "warehouse"]
