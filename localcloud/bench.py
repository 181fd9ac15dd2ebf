"""``python -m localcloud bench``: the local cloud's figures for ``make bench``.

Boot time (deploying the program into moto), then N orders (500 by default) end to end: how fast the API
accepts them, how long until every one has settled, orders per second, and the process's peak memory.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from localcloud.cloud import LocalCloud
from localcloud.demo import run_mix, summary_table

#: The issue's aim: 500 orders final within 60 s on two cores.
TARGET_SECONDS_FOR_500 = 60.0


def bench(
    stack: str, orders: int, console: Console, timeout: float = 300.0, faults: dict[str, Any] | None = None
) -> int:
    with LocalCloud.boot(stack) as cloud:
        if faults is not None:
            cloud.set_faults(faults)
        result = run_mix(cloud, orders, timeout)
    console.print(summary_table(result, f"local cloud bench: {orders} orders end to end ({stack})"))
    if orders >= 500:
        verdict = "within" if result.settle_seconds <= TARGET_SECONDS_FOR_500 * orders / 500 else "OVER"
        console.print(f"aim: {orders} orders settled in {TARGET_SECONDS_FOR_500 * orders / 500:.0f} s -> {verdict}")
    return 0 if result.ok else 1
