"""``python -m localcloud demo``: a mix of orders through the whole choreography, then the books.

The mix: approved orders (``tok_visa``), declined payments (``tok_decline``) and sold-out items
(``VINYL-SOLDOUT``), plus cart items put straight on the bus by the API's mapping template, whose
reminders fire when the local clock passes them. "Settled" is defined in ``localcloud.shop``.

The run fails (exit status 1) when an order does not settle in time, when an accepted message is
neither processed nor in a dead-letter queue, or when a function made an AWS call its role does not grant.
"""

from __future__ import annotations

import json
import resource
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from devtools.program import load_stack_config
from localcloud import direct
from localcloud.cloud import LocalCloud
from localcloud.invariants import Invariants
from localcloud.shop import APPROVE, DECLINE, Shopper, is_settled, outcome
from settings import settings_from_config

#: (kind, items, payment token) in the proportions the demo cycles through (7 approved, 2 declined, 1 sold out).
MIX: tuple[tuple[str, tuple[tuple[str, int], ...], str], ...] = (
    ("approved", (("MUG-LOGO", 1), ("STICKER-PACK", 2)), APPROVE),
    ("approved", (("TSHIRT-BLACK-M", 1),), APPROVE),
    ("declined", (("HOODIE-GREY-L", 1),), DECLINE),
    ("approved", (("STICKER-PACK", 1),), APPROVE),
    ("sold out", (("VINYL-SOLDOUT", 1), ("MUG-LOGO", 1)), APPROVE),
    ("approved", (("MUG-LOGO", 2),), APPROVE),
    ("approved", (("HOODIE-GREY-L", 1), ("STICKER-PACK", 1)), APPROVE),
    ("declined", (("MUG-LOGO", 1),), DECLINE),
    ("approved", (("TSHIRT-BLACK-M", 2),), APPROVE),
    ("approved", (("STICKER-PACK", 3),), APPROVE),
)
EXPECTED = {"approved": "SHIPPED", "declined": "PAYMENT_FAILED", "sold out": "CANCELLED"}
CARTS_EVERY = 5
#: The longest wait for the cloud to turn idle between two looks at the orders (and two progress reports).
PROGRESS_SECONDS = 0.25


@dataclass
class RunResult:
    """What one run of the mix did, and every reason it failed."""

    orders: dict[str, str] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    missing_grants: list[str] = field(default_factory=list)
    notifications: int = 0
    dead_lettered: int = 0
    carts: int = 0
    reminders: int = 0
    boot_seconds: float = 0.0
    accept_seconds: float = 0.0
    settle_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.unsettled or self.lost or self.missing_grants or self.unexpected)

    @property
    def orders_per_second(self) -> float:
        return len(self.orders) / self.settle_seconds if self.settle_seconds else 0.0


def remind_abandoned_carts(cloud: LocalCloud, result: RunResult) -> None:
    """Nobody bought the demo's carts: once the clock passes the stack's reminder delay, each gets one reminder."""
    delay = settings_from_config(cloud.stack, load_stack_config(cloud.stack)).reminders.delay_minutes
    cloud.advance(delay * 60 + 60)
    result.reminders = sum(
        1 for message in cloud.outbox() if message["attributes"].get("detailType") == "CartReminderDue"
    )
    if result.reminders != result.carts:
        result.unexpected.append(f"{result.carts} abandoned carts got {result.reminders} reminders")


def peak_rss_mb() -> float:
    """The process's peak resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settled_orders(cloud: LocalCloud, order_ids: set[str]) -> dict[str, dict[str, Any]]:
    """The settled orders among ``order_ids``, read straight from the orders table in moto (the run's own
    status reads are no customer's calls: ``localcloud.direct``)."""
    table = next(
        r.outputs["name"]
        for r in cloud.deployment.run.of_type("aws:dynamodb/table:Table")
        if str(r.outputs["name"]).endswith("-orders")
    )
    items = direct.get_items(cloud.account, cloud.region, str(table), sorted(order_ids))
    return {str(item["orderId"]): item for item in items if is_settled(item)}


def check_books(cloud: LocalCloud, result: RunResult) -> None:
    """Every message the bus owed a consumer was processed or dead-lettered; every call was granted."""
    dead = cloud.dead_letters()
    result.dead_lettered = sum(len(messages) for messages in dead.values())
    for poller in cloud.pollers:
        owed = cloud.expected_deliveries(poller.queue.arn)
        dlq = len(dead.get(poller.queue.name.removesuffix("-queue") + "-dlq", []))
        processed = cloud.bus_deliveries_processed(poller)
        if processed + dlq != owed:
            result.lost.append(f"{poller.queue.name}: owed {owed}, processed {processed}, dead {dlq}")
    for name, spec in cloud.deployment.functions.items():
        owed = cloud.expected_deliveries(spec.arn)
        if not owed:
            continue
        outcomes = cloud.async_outcomes.get(name, {})
        handled = outcomes.get("succeeded", 0) + outcomes.get("failed", 0)
        if handled != owed:
            result.lost.append(f"{name}: owed {owed} async events, handled {handled}")
    result.missing_grants = [str(missing) for missing in cloud.missing_grants()]


def run_mix(
    cloud: LocalCloud,
    count: int,
    timeout: float = 120.0,
    on_progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Place ``count`` orders, wait until all settle (running parked retries on the clock), check the books."""
    result = RunResult(boot_seconds=cloud.boot_seconds)
    shopper = Shopper(cloud.api, customer_id="demo", email="demo@example.com")
    started = time.perf_counter()
    cpu_started = time.process_time()
    expected: dict[str, str] = {}
    for index in range(count):
        kind, items, token = MIX[index % len(MIX)]
        order_id = shopper.place_order(items, token, customer_id=f"demo-{index % 37}")
        result.orders[order_id] = kind
        expected[order_id] = EXPECTED[kind]
        if index % CARTS_EVERY == 0:
            shopper.add_to_cart(f"demo-cart-{index}", "MUG-LOGO")
            result.carts += 1
        if on_progress is not None and index % 10 == 0:
            on_progress(index + 1, 0)
    result.accept_seconds = time.perf_counter() - started
    pending = set(result.orders)
    settled: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    quiet = 0
    while pending and time.monotonic() < deadline:
        settled.update(settled_orders(cloud, pending))
        pending -= set(settled)
        if on_progress is not None:
            on_progress(count, len(settled))
        if not pending:
            break
        due = cloud.clock.next_due()
        idle = cloud.idle()
        if idle and due is not None:
            cloud.clock.advance(max(0.0, due - cloud.clock.now()) + 0.001)
        # Idle with nothing parked on the clock, twice in a row: nothing more can happen, stop waiting.
        quiet = quiet + 1 if idle and due is None else 0
        if quiet >= 2:
            break
        # On until the cloud is idle (the next look finds what settled meanwhile), at most a progress interval.
        cloud.idle_within(PROGRESS_SECONDS)
    result.settle_seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu_started
    result.unsettled = sorted(pending)
    for order_id, order in settled.items():
        got = outcome(order)
        result.outcomes[got] += 1
        if got != expected[order_id]:
            result.unexpected.append(f"{order_id} ({result.orders[order_id]}): {got}, expected {expected[order_id]}")
    cloud.wait_idle()
    if result.carts:
        remind_abandoned_carts(cloud, result)
    result.notifications = len(cloud.outbox())
    check_books(cloud, result)
    result.peak_rss_mb = peak_rss_mb()
    return result


def summary_table(result: RunResult, title: str) -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for status in ("SHIPPED", "PAID+RESERVED", "PAYMENT_FAILED", "CANCELLED"):
        table.add_row(f"orders {status}", str(result.outcomes.get(status, 0)))
    table.add_row("orders not settled", str(len(result.unsettled)), style="red" if result.unsettled else None)
    table.add_row("cart items put on the bus", str(result.carts))
    table.add_row("cart reminders sent", str(result.reminders))
    table.add_row("notifications sent (outbox)", str(result.notifications))
    table.add_row("messages dead-lettered", str(result.dead_lettered), style="red" if result.dead_lettered else None)
    table.add_row("messages lost", str(len(result.lost)), style="red" if result.lost else None)
    table.add_row(
        "calls without a grant", str(len(result.missing_grants)), style="red" if result.missing_grants else None
    )
    table.add_row("boot (deploy into moto)", f"{result.boot_seconds:.1f} s")
    table.add_row("all orders accepted in", f"{result.accept_seconds:.1f} s")
    table.add_row("all orders settled in", f"{result.settle_seconds:.1f} s")
    table.add_row("orders/s (end to end)", f"{result.orders_per_second:.1f}")
    # On a shared machine wall time varies with the neighbours; CPU time per order does not.
    table.add_row("CPU time (all threads)", f"{result.cpu_seconds:.1f} s")
    per_order = result.cpu_seconds / len(result.orders) * 1000 if result.orders else 0.0
    table.add_row("CPU per order", f"{per_order:.0f} ms")
    table.add_row("peak memory", f"{result.peak_rss_mb:.0f} MiB")
    return table


def demo(
    stack: str, orders: int, console: Console, timeout: float = 120.0, faults: dict[str, Any] | None = None
) -> int:
    console.print(f"[bold]eventshop local cloud[/bold]: deploying stack [cyan]{stack}[/cyan] into moto ...")
    with LocalCloud.boot(stack) as cloud:
        console.print(
            f"deployed {len(cloud.deployment.run.custom_resources)} resources and "
            f"{len(cloud.functions)} functions in {cloud.boot_seconds:.1f} s"
        )
        if cloud.unprovisioned:
            types = sorted({r.typ for r in cloud.unprovisioned})
            console.print(f"[yellow]recorded but not provisioned in moto:[/yellow] {', '.join(types)}")
        console.print("[dim]settled = SHIPPED, PAYMENT_FAILED or CANCELLED (see localcloud/shop.py)[/dim]")
        invariants = Invariants(cloud) if faults is not None else None
        if faults is not None:
            console.print(f"[yellow]faults:[/yellow] {json.dumps(cloud.set_faults(faults).as_dict())}")
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            placed = progress.add_task("placed ", total=orders)
            settled = progress.add_task("settled", total=orders)

            def on_progress(done_placing: int, done_settling: int) -> None:
                progress.update(placed, completed=done_placing)
                progress.update(settled, completed=done_settling)

            result = run_mix(cloud, orders, timeout, on_progress)
        if invariants is not None:  # under faults, the shop's promises too (localcloud/invariants.py)
            result.unexpected += [f"broken promise: {problem}" for problem in invariants.check(set(result.orders))]
        console.print(summary_table(result, f"{orders} orders on the local cloud ({stack})"))
        for problem in [*result.unexpected, *result.lost, *result.missing_grants]:
            console.print(f"[red]- {problem}[/red]")
        if result.unsettled:
            console.print(f"[red]{len(result.unsettled)} orders did not settle in {timeout:.0f} s[/red]")
    return 0 if result.ok else 1
