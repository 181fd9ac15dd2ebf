"""The latency budget takes its hops from the trace of a real order, and prices them with each stack's settings."""

from __future__ import annotations

import statistics
from collections.abc import Iterator

import pytest

from devtools.latency import (
    PUBLISHED,
    JourneyNotFoundError,
    batching_windows,
    confirmation_mail,
    durations_ms,
    price,
    shipped,
)
from devtools.program import run_program
from localcloud.cloud import LocalCloud
from localcloud.demo import run_mix
from localcloud.metering import Meter

#: The Standard workflow's happy path (states entered once each).
HAPPY_PATH_STATES = 11


@pytest.fixture(scope="module")
def traced() -> Iterator[tuple[LocalCloud, dict[str, str], Meter]]:
    meter = Meter()
    with meter.recording(), LocalCloud.boot("dev") as cloud:
        meter.watch(cloud.functions.values())
        result = run_mix(cloud, 3)  # approved, approved, declined
        assert result.ok, result
        yield cloud, result.orders, meter


def order_of(orders: dict[str, str], kind: str) -> str:
    return next(order for order, found in orders.items() if found == kind)


def test_the_mail_journey_is_the_api_the_bus_the_email_function_and_sns(
    traced: tuple[LocalCloud, dict[str, str], Meter],
) -> None:
    cloud, orders, _ = traced

    journey = confirmation_mail(cloud, order_of(orders, "approved"))

    assert [(hop.kind, hop.function) for hop in journey.hops] == [
        ("apigateway", None),
        ("lambda", "eventshop-dev-orders-api"),
        ("ddb-stream", None),
        ("lambda", "eventshop-dev-orders-outbox"),
        ("eventbridge", None),
        ("lambda", "eventshop-dev-email"),
        ("sns", None),
    ]


def test_the_shipped_journey_goes_through_billing_the_workflow_and_the_projector(
    traced: tuple[LocalCloud, dict[str, str], Meter],
) -> None:
    cloud, orders, _ = traced

    journey = shipped(cloud, order_of(orders, "approved"))

    assert [hop.kind for hop in journey.hops] == [
        "apigateway",
        "lambda",
        "ddb-stream",
        "lambda",
        "eventbridge",
        "window",
        "sqs-esm",
        "lambda",
        "eventbridge",
        "sfn-state",
        "eventbridge",
        "window",
        "sqs-esm",
        "lambda",
    ]
    assert [hop.function for hop in journey.hops if hop.kind == "lambda"] == [
        "eventshop-dev-orders-api",
        "eventshop-dev-orders-outbox",
        "eventshop-dev-billing",
        "eventshop-dev-order-status",
    ]
    [states] = [hop.count for hop in journey.hops if hop.kind == "sfn-state"]
    assert states == HAPPY_PATH_STATES + journey.retries
    assert journey.retries == 0  # the reservation wait is one task-token state


def test_a_declined_order_has_no_shipped_journey_and_says_which_hop_is_missing(
    traced: tuple[LocalCloud, dict[str, str], Meter],
) -> None:
    cloud, orders, _ = traced

    with pytest.raises(JourneyNotFoundError, match="PaymentSucceeded delivery to the workflow"):
        shipped(cloud, order_of(orders, "declined"))


def test_the_budget_sums_published_hops_local_durations_and_each_stacks_batching_window(
    traced: tuple[LocalCloud, dict[str, str], Meter],
) -> None:
    cloud, orders, meter = traced
    journey = shipped(cloud, order_of(orders, "approved"))
    durations = durations_ms(meter)

    dev = price(journey, "dev", durations, batching_windows(cloud.deployment.run))
    prod = price(journey, "prod", durations, batching_windows(run_program("prod")))

    states = next(hop.count for hop in journey.hops if hop.kind == "sfn-state")
    published = sum(PUBLISHED[h.kind].p50_ms * h.count for h in journey.hops if h.kind in PUBLISHED)
    functions = (
        "eventshop-dev-orders-api",
        "eventshop-dev-orders-outbox",
        "eventshop-dev-billing",
        "eventshop-dev-order-status",
    )
    assert published == pytest.approx(10 + 125 + 148 + 16.2 + 148 + 99.1 * states + 148 + 16.2)
    assert dev.p50_ms == pytest.approx(published + sum(statistics.median(durations[f]) for f in functions))
    assert prod.p50_ms - dev.p50_ms == pytest.approx(2 * 2000)  # prod waits up to 2 s to fill each batch
    assert dev.p99_ms >= dev.p50_ms
