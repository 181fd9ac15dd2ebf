"""One journey per outcome on the local cloud, then a scan of everything the run left behind for the payment
token and the customer's address: every archived event, every message still in a queue or DLQ, every log
line of every function, every trace entry, every table.

The token and the address are new for each run, so nothing can match by accident, and the scan must find
the address where it belongs (the orders table, the customer topic's outbox) and the token where Billing
read it (the provider's charge), so a scan that looks in the wrong place fails instead of passing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper
from tests.e2e.conftest import settled_order

RUN = uuid.uuid4().hex[:12]
#: The simulated provider declines any token but tok_visa, so this order ends PAYMENT_FAILED: it still
#: travels Orders, Billing, Warehouse (release), Email and the projector.
DISTINCT_TOKEN = f"tok_scan_{RUN}"
APPROVING_TOKEN = "tok_visa"
EMAIL = f"scan-{RUN}@example.com"


@pytest.fixture(scope="module")
def journeys(cloud: LocalCloud) -> Iterator[dict[str, Any]]:
    """A paid and shipped order and a declined one, both from the distinctive customer address."""
    billing = cloud.function("billing").module
    charged_tokens: list[str] = []
    real_charge = billing.provider.charge

    def recording_charge(**kwargs: Any) -> Any:
        charged_tokens.append(kwargs["token"])
        return real_charge(**kwargs)

    patch = pytest.MonkeyPatch()
    patch.setattr(billing.provider, "charge", recording_charge)
    shopper = Shopper(cloud.api, customer_id=f"scan-{RUN}", email=EMAIL)
    try:
        shipped = shopper.place_order([("MUG-LOGO", 1)], APPROVING_TOKEN, idempotency_key=f"paid-{RUN}")
        declined = shopper.place_order([("MUG-LOGO", 1)], DISTINCT_TOKEN, idempotency_key=f"declined-{RUN}")
        cloud.settle()
        orders = {
            "shipped": settled_order(cloud, shopper, shipped),
            "declined": settled_order(cloud, shopper, declined),
        }
        yield {"orders": orders, "charged_tokens": charged_tokens}
    finally:
        patch.undo()


def everything_left_behind(cloud: LocalCloud) -> dict[str, str]:
    """Each place the run wrote to, as text."""
    places: dict[str, str] = {"bus archive": json.dumps(cloud.archived_events(), default=str)}
    for info in cloud.deployment.queues.values():
        places[f"queue {info.name}"] = json.dumps(cloud.queue_messages(info.name), default=str)
    for name, function in cloud.functions.items():
        places[f"logs of {name}"] = "\n".join(function.logs.lines)
    places["trace"] = json.dumps([entry.as_dict() for entry in cloud.trace.entries()], default=str)
    dynamodb = cloud.clients("dynamodb")
    for table in dynamodb.list_tables()["TableNames"]:
        places[f"table {table}"] = json.dumps(dynamodb.scan(TableName=table)["Items"], default=str)
    return places


def test_the_journeys_ran_with_the_distinctive_token_and_address(journeys: dict[str, Any]) -> None:
    assert journeys["orders"]["shipped"]["status"] == "SHIPPED"
    assert journeys["orders"]["declined"]["status"] == "PAYMENT_FAILED"
    assert sorted(journeys["charged_tokens"]) == sorted([APPROVING_TOKEN, DISTINCT_TOKEN]), "Billing read the tokens"


def test_no_payment_token_is_left_anywhere(cloud: LocalCloud, journeys: dict[str, Any]) -> None:
    places = everything_left_behind(cloud)
    assert len([p for p in places if p.startswith("logs of ")]) == len(cloud.functions) > 0
    # Not in any event, queue, DLQ, log line, trace entry or table (Billing deleted the payment intents).
    leaks = {place for place, text in places.items() if DISTINCT_TOKEN in text or APPROVING_TOKEN in text}

    assert leaks == set()


def test_the_address_is_only_where_it_is_needed(cloud: LocalCloud, journeys: dict[str, Any]) -> None:
    places = everything_left_behind(cloud)
    orders_table = next(p for p in places if p.endswith("-orders") and p.startswith("table "))
    outbox = cloud.outbox_queue()
    assert outbox is not None
    # Where it belongs: found, so the scan looks in the right places.
    assert EMAIL in places[orders_table]
    assert EMAIL in places[f"queue {outbox.name}"], "the customer topic's subscriber got the mails"

    # No log line of any function (the Email function's included) and no trace entry holds it.
    leaks = {
        place for place, text in places.items() if EMAIL in text and (place.startswith("logs of ") or place == "trace")
    }
    assert leaks == set()
