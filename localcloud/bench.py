"""``python -m localcloud bench``: the local cloud's figures for ``make bench``.

Boot (deploying the program into moto: wall and CPU seconds), then N orders (500 by default) end to end:
how fast the API accepts them, how long until every one has settled, orders per second, CPU per order,
the process's peak memory, and the AWS API calls per order, split into the handlers' calls (made as a
function or a state machine's role, as IAM-by-use attributes them) and the local cloud's own.

``--calls`` adds every principal's calls per order, operation by operation (the table prints only the most
frequent four of each side): what to read a handler's code against.

``--scale 100,500,2000`` boots a fresh cloud per size and prints one row per size instead: CPU per order
should stay flat as the run grows.

The boot replays the program's recorded deployment when there is one for this very program (``deploy_cache``);
the table names the path it took ("cached" or "cold"), and ``--cold`` makes it evaluate the program.

``--record`` adds the figures to ``make bench``'s goals table (devtools/bench_record.py): the boot under the path
it took, and, from 500 orders up, throughput, CPU per order and peak memory; a scale run records how flat CPU
per order stayed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from devtools import bench_record
from localcloud.call_counter import CallCounter
from localcloud.cloud import LocalCloud
from localcloud.demo import RunResult, run_mix, summary_table

#: The issue's aim: 500 orders final within 60 s on two cores.
TARGET_SECONDS_FOR_500 = 60.0


@dataclass
class BenchRun:
    result: RunResult
    boot_cpu_seconds: float
    calls: CallCounter
    #: "cold" (the program evaluated) or "cached" (a recorded deployment replayed).
    boot_path: str

    @property
    def orders(self) -> int:
        return len(self.result.orders)

    def per_order(self, count: float) -> float:
        return count / self.orders if self.orders else 0.0


def measure(
    stack: str, orders: int, timeout: float, faults: dict[str, Any] | None = None, cold: bool = False
) -> BenchRun:
    """Boot a fresh cloud (evaluating the program when ``cold``) and run ``orders`` orders, counting CPU and AWS
    calls from the first order on."""
    cpu = time.process_time()
    with LocalCloud.boot(stack, reuse_deployment=not cold) as cloud:
        boot_cpu = time.process_time() - cpu
        if faults is not None:
            cloud.set_faults(faults)
        calls = CallCounter()
        with calls.counting():
            result = run_mix(cloud, orders, timeout)
    return BenchRun(result, boot_cpu, calls, cloud.boot_path)


def _add_figures(table: Table, run: BenchRun) -> None:
    table.add_row("boot CPU", f"{run.boot_cpu_seconds:.1f} s")
    table.add_row("boot path", run.boot_path)
    table.add_row("AWS calls per order: handlers", f"{run.per_order(run.calls.by_handlers):.1f}")
    table.add_row("AWS calls per order: local cloud", f"{run.per_order(run.calls.by_local_cloud):.1f}")
    for label, cloud_side in (("handlers", False), ("local cloud", True)):
        top = ", ".join(f"{op} {run.per_order(n):.1f}" for op, n in run.calls.top(cloud_side, 4))
        table.add_row(f"  most per order ({label})", top)


#: The issue's throughput, CPU and memory goals are for a run sustained over this many orders.
GOAL_ORDERS = 500


def figures(run: BenchRun) -> dict[str, float]:
    """What ``run`` measured towards the speed goals: only figures from a fault-free run count."""
    measured = {f"boot_{run.boot_path}_seconds": run.result.boot_seconds}
    if run.orders >= GOAL_ORDERS:
        measured["orders_per_second"] = run.result.orders_per_second
        measured["cpu_ms_per_order"] = run.per_order(run.result.cpu_seconds) * 1000
        measured["peak_mib"] = run.result.peak_rss_mb
        measured["info_handler_calls_per_order"] = run.per_order(run.calls.by_handlers)
        measured["info_cloud_calls_per_order"] = run.per_order(run.calls.by_local_cloud)
    return measured


def calls_table(run: BenchRun) -> Table:
    """Calls per order by principal (a function, ``states``, the local cloud) and operation, every one."""
    table = Table(title=f"AWS calls per order ({run.orders} orders)")
    table.add_column("principal")
    table.add_column("operation")
    table.add_column("per order", justify="right")
    previous = None
    for principal, operation, count in run.calls.breakdown():
        table.add_row(principal if principal != previous else "", operation, f"{run.per_order(count):.2f}")
        previous = principal
    return table


def bench(
    stack: str,
    orders: int,
    console: Console,
    timeout: float = 300.0,
    faults: dict[str, Any] | None = None,
    cold: bool = False,
    record: bool = False,
    calls: bool = False,
) -> int:
    run = measure(stack, orders, timeout, faults, cold)
    if record and run.result.ok and faults is None:
        bench_record.record(figures(run))
    table = summary_table(run.result, f"local cloud bench: {orders} orders end to end ({stack})")
    _add_figures(table, run)
    console.print(table, width=max(console.width, 120))
    if calls:
        console.print(calls_table(run), width=max(console.width, 120))
    if orders >= 500:
        verdict = "within" if run.result.settle_seconds <= TARGET_SECONDS_FOR_500 * orders / 500 else "OVER"
        console.print(f"aim: {orders} orders settled in {TARGET_SECONDS_FOR_500 * orders / 500:.0f} s -> {verdict}")
    return 0 if run.result.ok else 1


def scale(
    stack: str,
    sizes: Sequence[int],
    console: Console,
    timeout: float = 1200.0,
    faults: dict[str, Any] | None = None,
    cold: bool = False,
    record: bool = False,
) -> int:
    """One fresh cloud per size; a row each. Peak memory is the process's peak so far."""
    table = Table(title=f"local cloud bench: scale ({stack})")
    for column in (
        "orders",
        "boot path",
        "boot s",
        "settle s",
        "orders/s",
        "CPU ms/order",
        "handler calls/order",
        "cloud calls/order",
        "peak MiB",
        "ok",
    ):
        table.add_column(column, justify="right")
    ok = True
    cpu_per_order: list[float] = []
    for size in sizes:
        run = measure(stack, size, timeout, faults, cold)
        ok = ok and run.result.ok
        cpu_per_order.append(run.per_order(run.result.cpu_seconds) * 1000)
        table.add_row(
            str(size),
            run.boot_path,
            f"{run.result.boot_seconds:.1f}",
            f"{run.result.settle_seconds:.1f}",
            f"{run.result.orders_per_second:.1f}",
            f"{run.per_order(run.result.cpu_seconds) * 1000:.0f}",
            f"{run.per_order(run.calls.by_handlers):.1f}",
            f"{run.per_order(run.calls.by_local_cloud):.1f}",
            f"{run.result.peak_rss_mb:.0f}",
            "yes" if run.result.ok else "NO",
        )
    console.print(table, width=max(console.width, 120))
    if len(sizes) > 1:
        flat = bench_record.flatness(cpu_per_order)
        console.print(f"CPU per order, largest over smallest: {flat:.2f}x (1.00x is flat)")
        if record and ok and faults is None:
            bench_record.record({"cpu_flatness": flat})
    return 0 if ok else 1


def parse_sizes(text: str) -> list[int]:
    """``100,500,2000`` -> [100, 500, 2000]; a clear error for anything else."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise ValueError(f"--scale takes order counts separated by commas, e.g. 100,500,2000 (got {text!r})") from error
    if not sizes or any(size < 1 for size in sizes):
        raise ValueError(f"--scale takes positive order counts, e.g. 100,500,2000 (got {text!r})")
    return sizes
