"""Importing a handler creates no AWS client or resource: a cold start pays for a client only when a call needs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLER_MODULES = (
    "handlers.billing.app",
    "handlers.email.app",
    "handlers.fulfillment.app",
    "handlers.orders.api",
    "handlers.orders.outbox",
    "handlers.orders.projector",
    "handlers.reminders.app",
    "handlers.warehouse.app",
)
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "DELAY_MINUTES": "60",
    **{
        name: f"eventshop-test-{name.lower()}"
        for name in (
            "ALLOWED_ORIGIN",
            "CARTS_TABLE",
            "CATALOG_TABLE",
            "CUSTOMER_TOPIC_ARN",
            "EVENT_BUS_ARN",
            "EVENT_BUS_NAME",
            "EVENT_SOURCE",
            "IDEMPOTENCY_TABLE",
            "INVENTORY_TABLE",
            "INVOICES_BUCKET",
            "ORDERS_BY_CUSTOMER_INDEX",
            "ORDERS_TABLE",
            "PAYMENTS_TABLE",
            "PAYMENT_INTENTS_TABLE",
            "RESERVATIONS_TABLE",
            "SCHEDULER_DLQ_ARN",
            "SCHEDULER_ROLE_ARN",
            "SCHEDULE_GROUP",
            "SENT_TABLE",
            "SHIPMENTS_TABLE",
        )
    },
}
#: Fails the import on any client or resource made, by boto3's helpers or by any session (Powertools makes its own).
PROBE = """
import sys, boto3.session
def refuse(self, service_name, *args, **kwargs):
    raise AssertionError(f"{service_name} client made at import")
boto3.session.Session.client = refuse
boto3.session.Session.resource = refuse
import importlib; importlib.import_module(sys.argv[1])
"""


@pytest.mark.parametrize("module", HANDLER_MODULES)
def test_importing_a_handler_creates_no_client(module: str) -> None:
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed probe
        [sys.executable, "-c", PROBE, module],
        cwd=ROOT,
        env={**os.environ, **ENVIRONMENT},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
