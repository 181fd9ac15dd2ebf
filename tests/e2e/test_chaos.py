"""Chaos scenarios: a few orders under injected faults, then every promise the shop makes is checked.

Each scenario sets a fault set (``cloud.set_faults``), places its orders, runs the cloud to rest on the
local clock (retries, visibility timeouts and pauses play in no wall time), clears the faults, lets the
alarms evaluate, and checks ``localcloud.invariants`` (final statuses, payments, stock, one mail per
order and kind, dead letters only where poisoned and paged, every call granted).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.invariants import Invariants
from localcloud.shop import BILLING_OUTCOMES, DECLINE, Shopper, history_events
from tests.e2e import servers
from tests.e2e.servers import call

#: Approved, declined and sold-out orders: every branch of the saga (payment, refund, release).
ORDERS: tuple[tuple[tuple[tuple[str, int], ...], str], ...] = (
    ((("MUG-LOGO", 1),), "tok_visa"),
    ((("STICKER-PACK", 2),), DECLINE),
    ((("VINYL-SOLDOUT", 1), ("MUG-LOGO", 1)), "tok_visa"),
)
#: One alarm period past the run, so every alarm has evaluated what the run left behind.
ALARM_PERIOD_SECONDS = 61

base_url = servers.base_url


@pytest.fixture(autouse=True)
def no_faults_left(cloud: LocalCloud) -> Iterator[None]:
    yield
    cloud.faults.clear()


def run_scenario(
    cloud: LocalCloud,
    shopper: Shopper,
    faults: Sequence[Mapping[str, Any]],
    *,
    seed: int = 8,
    poison: Mapping[str, int] | None = None,
    meanwhile: Callable[[list[str]], None] | None = None,
    redrive: bool = False,
) -> tuple[list[str], list[str]]:
    """Place ``ORDERS`` (plus ``poison``: queue -> malformed messages) under ``faults``, run ``meanwhile`` on
    the accepted ids, run the cloud to rest; return the accepted order ids and every broken promise."""
    invariants = Invariants(cloud)
    cloud.set_faults({"seed": seed, "faults": list(faults)})
    accepted = [shopper.place_order(items, token, customer_id=f"chaos-{seed}") for items, token in ORDERS]
    poisoned: dict[str, int] = {}
    for queue, count in (poison or {}).items():
        info = cloud.deployment.queue_by_name(queue)
        for index in range(count):
            cloud.clients("sqs").send_message(QueueUrl=info.url, MessageBody=f"not an event {index}")
        poisoned[str(info.dead_letter_arn).rsplit(":", 1)[-1]] = count
    if meanwhile is not None:
        meanwhile(accepted)
    cloud.settle(max_rounds=40)
    cloud.faults.clear()
    cloud.settle()
    # Step Functions waits follow the local clock, so a settled cloud has no execution left running.
    assert running_executions(cloud) == [], "an execution still runs after the cloud settled"
    cloud.advance(ALARM_PERIOD_SECONDS)
    if redrive:
        _, unpaged = invariants.redrive_dead_letters()
        cloud.settle()
        return accepted, [*unpaged, *invariants.check(accepted, poisoned)]
    return accepted, invariants.check(accepted, poisoned)


def running_executions(cloud: LocalCloud) -> list[str]:
    client = cloud.clients("stepfunctions")
    return [
        execution["executionArn"]
        for machine in client.list_state_machines()["stateMachines"]
        for execution in client.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
        if execution["status"] == "RUNNING"
    ]


def test_throttled_put_events_in_every_handler_lose_nothing(cloud: LocalCloud, shopper: Shopper) -> None:
    throttles = [
        {"kind": "error", "service": "events", "operation": "PutEvents", "error": "ThrottlingException",
         "probability": 0.3, "function": function}
        for function in ("billing", "warehouse", "email")
    ]  # fmt: skip

    before = len(cloud.faults.injected)

    # At 30% after the SDK's retries, a message can fail maxReceiveCount times in a row and dead-letter (about
    # one seed in three): nothing is lost if its queue paged and a redrive once the throttling stops completes it.
    _, problems = run_scenario(cloud, shopper, throttles, seed=3, redrive=True)

    assert problems == []
    throttled = [entry for entry in cloud.faults.injected[before:] if entry[0] == "error"]
    assert throttled, "the scenario throttled some PutEvents calls"
    assert cloud.faults.active.faults == ()


def test_billing_crashing_twice_charges_each_order_once(cloud: LocalCloud, shopper: Shopper) -> None:
    accepted, problems = run_scenario(cloud, shopper, [{"kind": "crash", "function": "billing", "times": 2}])

    assert problems == []
    crashes = [e for e in cloud.trace.entries(kind="error") if "InjectedCrashError" in e.message]
    assert len(crashes) >= 2, "both crashes reached the poller as failed invocations"
    assert all(len(Invariants(cloud).ledger.charges.get(order_id, ())) <= 1 for order_id in accepted)


def test_every_delivery_arriving_twice_has_one_effect(cloud: LocalCloud, shopper: Shopper) -> None:
    before = len(cloud.faults.injected)

    _, problems = run_scenario(cloud, shopper, [{"kind": "duplicate", "probability": 1.0}])

    assert problems == []
    duplicated = {function for kind, function, _ in cloud.faults.injected[before:] if kind == "duplicate"}
    assert {cloud.function("billing").spec.name, cloud.function("email").spec.name} <= duplicated


def test_a_warehouse_an_hour_late_still_ships_and_pages_on_its_backlog(cloud: LocalCloud, shopper: Shopper) -> None:
    backlog = cloud.alarms.for_queue("eventshop-dev-warehouse-queue", "ApproximateAgeOfOldestMessage")
    assert backlog, "the warehouse queue has an age alarm"
    states_late: list[str] = []

    def an_hour_passes(accepted: list[str]) -> None:
        # Billing answers at once, so the fulfillment workflow is waiting for the warehouse when the hour starts.
        cloud.wait_until(
            lambda: all(BILLING_OUTCOMES & set(history_events(shopper.order(o) or {})) for o in accepted),
            what="billing answered every order",
        )
        cloud.clock.advance(3599)  # the warehouse still paused: its messages wait and age an hour
        states_late.extend(alarm.state for alarm in backlog)

    _, problems = run_scenario(
        cloud, shopper, [{"kind": "pause", "function": "warehouse", "seconds": 3600}], meanwhile=an_hour_passes
    )

    assert problems == []
    assert states_late == ["ALARM"] * len(backlog), "the hour-old backlog paged while the warehouse was late"


def test_a_poisoned_message_lands_in_its_dead_letter_queue_and_pages(cloud: LocalCloud, shopper: Shopper) -> None:
    published_before = len(cloud.alarms.published)

    _, problems = run_scenario(cloud, shopper, [], poison={"eventshop-dev-billing-queue": 1})

    assert problems == []
    pages = [p for p in cloud.alarms.published[published_before:] if p["message"]["NewStateValue"] == "ALARM"]
    assert [p["message"]["AlarmName"] for p in pages] == ["eventshop-dev-billing-dlq-alarm"]
    assert pages[0]["topic"].endswith(":eventshop-dev-alarms")
    assert pages[0]["subject"] == 'ALARM: "eventshop-dev-billing-dlq-alarm" in eu-west-1'


def test_the_invariants_name_a_poisoned_queue_nobody_expected(cloud: LocalCloud, shopper: Shopper) -> None:
    invariants = Invariants(cloud)
    info = cloud.deployment.queue_by_name("eventshop-dev-warehouse-queue")
    cloud.clients("sqs").send_message(QueueUrl=info.url, MessageBody=json.dumps({"unexpected": True}))
    cloud.settle()
    # CloudWatch evaluates the DLQ's alarm once a minute: whether the last retry's move to the DLQ was followed
    # by an evaluation within the settle depended on how long the cloud took to boot (real time on its clock).
    cloud.advance(60)

    problems = invariants.check([])

    named = [p for p in problems if p.startswith("eventshop-dev-warehouse-dlq holds 1")]
    assert named == [
        "eventshop-dev-warehouse-dlq holds 1 new messages, the run poisoned 0 (dead-lettered: '{\"unexpected\": true}')"
    ]


def test_the_fault_endpoints_replace_list_and_clear_the_active_set(base_url: str) -> None:
    crash = {"kind": "crash", "function": "billing", "times": 2}
    status, body = call(base_url, "POST", "/_local/faults", {"seed": 4, "faults": [crash]})
    assert status == 200
    assert body["faults"] == [{**crash, "function": "eventshop-dev-billing", "remaining": 2}]
    assert call(base_url, "GET", "/_local/faults")[1]["seed"] == 4

    status, body = call(base_url, "POST", "/_local/faults", {"faults": [{"kind": "nap"}, {**crash, "time": 1}]})
    assert status == 400
    assert "faults[0].kind: unknown kind 'nap'" in body["message"]
    assert "faults[1]: unknown field 'time' for kind 'crash'" in body["message"]
    assert call(base_url, "GET", "/_local/faults")[1]["seed"] == 4, "a refused set leaves the active one"

    assert call(base_url, "DELETE", "/_local/faults") == (200, {"seed": 0, "faults": [], "injected": 0})
    assert call(base_url, "GET", "/_local/faults")[1]["faults"] == []


def test_the_alarms_endpoint_lists_states_and_changes(base_url: str) -> None:
    status, body = call(base_url, "GET", "/_local/alarms")

    assert status == 200
    by_name = {alarm["name"]: alarm for alarm in body["alarms"]}
    assert by_name["eventshop-dev-billing-dlq-alarm"]["evaluated"] is True
    assert by_name["eventshop-dev-billing-dlq-alarm"]["state"] in ("OK", "ALARM")
    assert all(set(change) == {"alarm", "old", "new", "at", "reason"} for change in body["history"])


def test_a_wait_for_idle_returns_once_the_cloud_is_idle_and_at_its_bound_names_what_keeps_it_busy(
    cloud: LocalCloud,
) -> None:
    """``run_mix`` looks at its orders again as soon as the cloud is idle (``idle_within``), not on a fixed beat."""
    cloud.settle()
    with cloud.busy():
        assert cloud.idle_within(0.02) is False
        with pytest.raises(TimeoutError, match=r"still busy after 0.02s: 1 deliveries or invocations running"):
            cloud.wait_idle(timeout=0.02)
    assert cloud.idle_within(30) is True


def test_the_cloud_is_not_idle_while_a_poller_holds_a_batch_it_has_not_processed(
    cloud: LocalCloud, shopper: Shopper
) -> None:
    """A batch handed out by SQS and not yet run: nothing is visible and nothing counts as busy, yet work is owed
    (under load a poller can stall there, and ``settle`` must not stop)."""
    poller = cloud.poller("billing")
    with cloud.pollers_paused():
        order_id = shopper.place_order([("MUG-LOGO", 1)], customer_id="held")
        cloud.wait_until(lambda: bool(cloud.queue_messages(poller.queue.name)), what="the order reached billing")
        held = poller._receive(0, through_gate=False)
    assert [message["MessageId"] for message in held]

    def everything_else_done() -> bool:
        queues_empty = all(not cloud.queue_messages(p.queue.name) for p in cloud.pollers if p is not poller)
        return queues_empty and cloud.runtime.work.count == 0 and cloud.invoker.queued == 0

    cloud.wait_until(everything_else_done, what="every other consumer finished")
    assert not cloud.idle()
    poller._process(held)
    cloud.settle()

    assert cloud.idle()
    assert (shopper.order(order_id) or {}).get("status") == "SHIPPED"


def test_a_redrive_returns_dead_letters_to_the_queue_that_dead_lettered_them(cloud: LocalCloud) -> None:
    source = cloud.deployment.queue_by_name("eventshop-dev-warehouse-queue")
    dead = "eventshop-dev-warehouse-dlq"
    already = len(cloud.queue_messages(dead))
    traced = {"trace": {"DataType": "String", "StringValue": "it's kept"}}
    cloud.clients("sqs").send_message(
        QueueUrl=source.url, MessageBody="not an event: redrive me", MessageAttributes=traced
    )
    cloud.settle()
    assert len(cloud.queue_messages(dead)) == already + 1

    with cloud.pollers_paused("warehouse"):
        moved = cloud.redrive(dead)
        returned = {m["body"]: m["attributes"] for m in cloud.queue_messages(source.name)}

    assert moved == already + 1
    assert returned["not an event: redrive me"] == {"trace": "it's kept"}
    cloud.settle()  # still poison: it dead-letters again, and nothing else is lost on the way
    assert len(cloud.queue_messages(dead)) == already + 1


def test_a_redrive_refuses_a_queue_that_is_no_queues_dead_letter_target(cloud: LocalCloud) -> None:
    with pytest.raises(ValueError, match="eventshop-dev-warehouse-queue is the redrive target of 0 queues"):
        cloud.redrive("eventshop-dev-warehouse-queue")
