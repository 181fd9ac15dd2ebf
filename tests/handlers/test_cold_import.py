"""Importing a handler creates no AWS client or resource: a cold start pays for a client only when a call needs it."""

from __future__ import annotations

import json
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
#: Importing boto3 is most of a fresh interpreter's work here, so one interpreter imports it and patches it, then
#: forks a child per handler: each child imports its handler from exactly the state a fresh probe had, and reports
#: its own exit status and stderr.
PROBE = """
import importlib, json, os, sys, traceback, boto3.session
def refuse(self, service_name, *args, **kwargs):
    raise AssertionError(f"{service_name} client made at import")
boto3.session.Session.client = refuse
boto3.session.Session.resource = refuse
reports = {}
for module in sys.argv[1:]:
    sys.stdout.flush()
    sys.stderr.flush()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        os.dup2(writer, 2)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        sys.argv = [sys.argv[0], module]
        try:
            importlib.import_module(module)
            status = 0
        except BaseException:
            traceback.print_exc()
            status = 1
        sys.stderr.flush()
        os._exit(status)
    os.close(writer)
    with os.fdopen(reader, errors="replace") as errors:
        stderr = errors.read()
    reports[module] = {"returncode": os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), "stderr": stderr}
print(json.dumps(reports))
"""


@pytest.fixture(scope="module")
def imports() -> dict[str, dict[str, object]]:
    """Each handler module's import, in a fresh interpreter's state: its exit status and stderr."""
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed probe
        [sys.executable, "-c", PROBE, *HANDLER_MODULES],
        cwd=ROOT,
        env={**os.environ, **ENVIRONMENT},
        capture_output=True,
        text=True,
        check=True,
    )
    reports: dict[str, dict[str, object]] = json.loads(result.stdout.strip().splitlines()[-1])
    return reports


@pytest.mark.parametrize("module", HANDLER_MODULES)
def test_importing_a_handler_creates_no_client(imports: dict[str, dict[str, object]], module: str) -> None:
    report = imports[module]
    assert report["returncode"] == 0, str(report["stderr"])[-2000:]
