"""Importing a handler creates no AWS client or resource: a cold start pays for a client only when a call needs it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.forked_probes import Finished, Probe, run_forked

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
#: Importing boto3 is most of a fresh probe's work, so it is the prelude of one interpreter that forks a probe per
#: handler (tests/forked_probes.py): each imports its handler from exactly the state a fresh probe had.
REFUSE_CLIENTS = """
import sys, boto3.session
def refuse(self, service_name, *args, **kwargs):
    raise AssertionError(f"{service_name} client made at import")
boto3.session.Session.client = refuse
boto3.session.Session.resource = refuse
"""
IMPORT = "import importlib, sys; importlib.import_module(sys.argv[1])"


@pytest.fixture(scope="module")
def imports() -> dict[str, Finished]:
    """Each handler module's import, in a fresh interpreter's state: its exit status and stderr."""
    probes = [Probe(module, IMPORT, argv=[module]) for module in HANDLER_MODULES]
    return run_forked(REFUSE_CLIENTS, probes, cwd=ROOT, environment={**os.environ, **ENVIRONMENT})


@pytest.mark.parametrize("module", HANDLER_MODULES)
def test_importing_a_handler_creates_no_client(imports: dict[str, Finished], module: str) -> None:
    assert imports[module].returncode == 0, imports[module].stderr[-2000:]
