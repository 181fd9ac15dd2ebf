"""`make cost`: what a million orders cost on each stack, counted from a run of the demo's mix on the local cloud.

Each stack is booted on the local cloud, runs ``--orders`` orders of the demo's deterministic mix (approved,
declined, sold out, a cart every fifth order, the carts' reminders), and the billable units the run recorded
are priced with devtools/prices.json (see devtools/cost_model.py for what is counted and the assumptions).

Two things are changed for the run only, and priced from the real stack instead: the stack's catalogue is
seeded (prod seeds none; the writes are the local cloud's, not billed), and customer notifications land in an
outbox queue (prod's HTTPS subscribers cannot be reached here); SNS deliveries are priced per protocol from
the real stack's subscriptions.

python -m devtools.cost                   print the tables for dev and prod
python -m devtools.cost --check           also fail if a stack's dollars per million orders grew more than 10%
                                          over docs/cost-baseline.json
python -m devtools.cost --write-baseline  rewrite docs/cost-baseline.json (deliberately: review the diff)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from devtools.cost_model import (
    Price,
    RunRecord,
    Usage,
    fixed_monthly,
    load_prices,
    per_million_orders,
    per_run,
)
from devtools.program import ROOT, STACKS, load_stack_config, project_name, run_program
from localcloud import moto_patches
from localcloud.cloud import LocalCloud
from localcloud.demo import run_mix
from localcloud.metering import Meter
from settings import settings_from_config

BASELINE = ROOT / "docs" / "cost-baseline.json"
DEFAULT_ORDERS = 10
TOLERANCE = 0.10
#: What the run changes so the stack can run here (see the module docstring).
RUN_OVERRIDES = {
    f"{project_name()}:seedCatalog": "true",
    f"{project_name()}:customerNotifications": json.dumps(
        {"outboxQueue": True, "emailSubscribers": [], "httpsSubscribers": []}
    ),
}


class CostRunError(RuntimeError):
    """The run did not do what the mix asks (an order unsettled, a message lost): its counts mean nothing."""


@dataclass(frozen=True)
class StackCost:
    stack: str
    orders: int
    per_run: list[Usage]
    fixed: list[Usage]
    per_million: dict[str, float]
    fixed_monthly_usd: dict[str, float]
    #: Per service, without the timing-dependent estimates: what the baseline check compares.
    gated_per_million: dict[str, float]

    @property
    def total_per_million(self) -> float:
        return sum(self.per_million.values())

    @property
    def gated_total_per_million(self) -> float:
        return sum(self.gated_per_million.values())


def boot(stack: str) -> LocalCloud:
    cloud = LocalCloud(stack)
    cloud.config.update(RUN_OVERRIDES)
    cloud.start()
    return cloud


def record_of(cloud: LocalCloud, meter: Meter, orders: int, api_requests: int) -> RunRecord:
    """Gather what the model reads from a cloud after its run."""
    settings = settings_from_config(cloud.stack, load_stack_config(cloud.stack))
    run = cloud.deployment.run
    rules = {r.outputs["name"]: r.inputs.get("eventPattern") for r in run.of_type("aws:cloudwatch/eventRule:EventRule")}
    bus_targets = [
        (str(target.inputs["arn"]).split(":")[2], rules[str(target.inputs["rule"])])
        for target in run.of_type("aws:cloudwatch/eventTarget:EventTarget")
        if str(target.inputs.get("eventBusName") or "default") != "default"
    ]
    archived = cloud.archived_events()
    deliveries = [
        (service, event)
        for event in archived
        for service, pattern in bus_targets
        if moto_patches.pattern_matches(pattern, event)
    ]
    # The forwarder's deliveries from the default bus: each aws.s3 event that reached the shop bus.
    deliveries += [("events", event) for event in archived if event.get("source") == "aws.s3"]
    executions: list[tuple[str, list[dict[str, Any]]]] = []
    logging: Mapping[str, Any] = {}
    sfn = cloud.clients("stepfunctions")
    for machine in run.of_type("aws:sfn/stateMachine:StateMachine"):
        logging = machine.inputs.get("loggingConfiguration") or {}
        kind = str(machine.inputs.get("type", "STANDARD")).upper()
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine.arn):
            for execution in page["executions"]:
                history: list[dict[str, Any]] = []
                for events in sfn.get_paginator("get_execution_history").paginate(
                    executionArn=execution["executionArn"]
                ):
                    history += events["events"]
                executions.append((kind, history))
    schedules = sum(1 for entry in cloud.trace.entries(kind="deliver") if entry.where.startswith("schedule "))
    return RunRecord(
        orders=orders,
        meter=meter,
        api_requests=api_requests,
        schedules_fired=schedules,
        archived_events=archived,
        rule_deliveries=deliveries,
        executions=executions,
        log_retention_days=settings.log_retention_days,
        archive_retention_days=settings.archive_retention_days,
        state_machine_logging=logging,
    )


def measure(stack: str, orders: int, console: Console | None = None, attempts: int = 2) -> StackCost:
    """Run ``orders`` orders of the demo's mix on ``stack`` and price what they used.

    A run that is not clean (an order unsettled, a message unprocessed) counts nothing reliable; on a busy
    machine the local cloud can stop waiting too early, so such a run is repeated once, saying so.
    """
    for attempt in range(1, attempts + 1):
        try:
            return _measure_once(stack, orders, console)
        except CostRunError as error:
            if attempt == attempts:
                raise
            if console is not None:
                console.print(f"[yellow]{error}; running it again[/yellow]")
    raise AssertionError("unreachable")  # pragma: no cover


def _measure_once(stack: str, orders: int, console: Console | None) -> StackCost:
    prices = load_prices()
    program = run_program(stack)
    meter = Meter()
    with meter.recording(), boot(stack) as cloud:
        meter.reset()  # the deployment's own calls are not an order's
        meter.watch(cloud.functions.values())
        http_before = len(cloud.trace.entries(kind="http"))
        result = run_mix(cloud, orders)
        problems = [*result.unsettled, *result.lost, *result.unexpected, *result.missing_grants]
        if problems:
            raise CostRunError(f"the {stack} run is not a clean run of the mix: " + "; ".join(problems[:5]))
        record = record_of(cloud, meter, orders, len(cloud.trace.entries(kind="http")) - http_before)
    lines = per_run(record, program)
    fixed = fixed_monthly(program)
    fixed_usd: dict[str, float] = {}
    for line in fixed:
        fixed_usd[line.service] = fixed_usd.get(line.service, 0.0) + line.usd(prices)
    if console is not None:
        console.print(f"[dim]{stack}: {orders} orders settled; boot {cloud.boot_seconds:.0f} s, "
                      f"run {result.settle_seconds:.0f} s[/dim]")
    return StackCost(
        stack,
        orders,
        lines,
        fixed,
        per_million_orders(lines, orders, prices),
        fixed_usd,
        per_million_orders(lines, orders, prices, gated_only=True),
    )


def price_label(price: Price) -> str:
    per = {1e6: " per 1M", 1e5: " per 100k", 1e4: " per 10k", 1e3: " per 1k"}.get(price.per, "")
    return f"${price.usd:g}{per}"


def units_table(costs: Sequence[StackCost]) -> Table:
    prices = load_prices()
    table = Table(title="Billable units per order (from the local run)", header_style="bold")
    table.add_column("service")
    table.add_column("unit")
    for cost in costs:
        table.add_column(f"{cost.stack} per order", justify="right")
    table.add_column("price (us-east-1)", justify="right")
    def key(line: Usage) -> tuple[str, str, str]:
        return line.service, line.what.split(" (")[0], line.price

    firsts = {key(line): line for cost in reversed(costs) for line in cost.per_run}
    for first in dict.fromkeys(firsts[key(line)] for cost in costs for line in cost.per_run):
        found = {cost.stack: [line for line in cost.per_run if key(line) == key(first)] for cost in costs}
        labels = {line.what for lines in found.values() for line in lines}
        what = first.what if len(labels) == 1 else key(first)[1]  # e.g. each stack keeps logs for its own days
        row = [first.service, what if first.gated else f"{what} [not checked]"]
        for cost in costs:
            quantity = f"{sum(line.quantity for line in found[cost.stack]) / cost.orders:.6g}"
            detail = [line.what[len(key(line)[1]):].strip() for line in found[cost.stack]] if len(labels) > 1 else []
            row.append(" ".join([quantity, *detail]))
        row.append(price_label(prices[first.price]))
        table.add_row(*row)
    return table


def dollars_table(costs: Sequence[StackCost]) -> Table:
    table = Table(title="Dollars per million orders (us-east-1 on-demand, no free tier)", header_style="bold")
    table.add_column("service")
    for cost in costs:
        table.add_column(cost.stack, justify="right")
    services = sorted({service for cost in costs for service in cost.per_million})
    for service in services:
        table.add_row(service, *[f"${cost.per_million.get(service, 0.0):,.2f}" for cost in costs])
    table.add_row("total", *[f"${cost.total_per_million:,.2f}" for cost in costs], style="bold")
    table.add_row(
        "checked against the baseline", *[f"${cost.gated_total_per_million:,.2f}" for cost in costs], style="dim"
    )
    return table


def fixed_table(costs: Sequence[StackCost]) -> Table:
    table = Table(title="Fixed monthly cost (whatever the orders)", header_style="bold")
    table.add_column("service")
    table.add_column("what")
    for cost in costs:
        table.add_column(cost.stack, justify="right")
    prices = load_prices()
    keys = list(dict.fromkeys((line.service, line.what.split(" (")[0]) for cost in costs for line in cost.fixed))
    for service, what in keys:
        row = [service, what]
        for cost in costs:
            match = [line for line in cost.fixed if (line.service, line.what.split(" (")[0]) == (service, what)]
            row.append(f"{match[0].quantity:,.0f} = ${match[0].usd(prices):,.2f}" if match else "-")
        table.add_row(*row)
    table.add_row("total", "", *[f"${sum(c.fixed_monthly_usd.values()):,.2f}" for c in costs], style="bold")
    return table


def baseline_of(costs: Sequence[StackCost]) -> dict[str, Any]:
    return {
        "about": "Dollars per million orders per stack, from `make cost-baseline`. CI fails when a stack's checked "
        f"total grows more than {TOLERANCE:.0%} over it; the checked figures leave out the estimates that follow "
        "the machine's timing (local Lambda durations, Retry re-entries). Change it deliberately, with the reason "
        "in the commit.",
        "orders": costs[0].orders,
        "stacks": {
            cost.stack: {
                "checked_total_per_million_orders": round(cost.gated_total_per_million, 2),
                "checked_per_million_orders": {s: round(usd, 2) for s, usd in sorted(cost.gated_per_million.items())},
                "total_per_million_orders": round(cost.total_per_million, 2),
                "per_million_orders": {s: round(usd, 2) for s, usd in sorted(cost.per_million.items())},
                "fixed_monthly": {s: round(usd, 2) for s, usd in sorted(cost.fixed_monthly_usd.items())},
            }
            for cost in costs
        },
    }


def over_baseline(costs: Sequence[StackCost], baseline: Mapping[str, Any], tolerance: float = TOLERANCE) -> list[str]:
    """Every stack whose checked dollars per million orders grew more than ``tolerance`` over the baseline."""
    problems = []
    for cost in costs:
        known = baseline.get("stacks", {}).get(cost.stack)
        if known is None:
            problems.append(f"{cost.stack}: not in {BASELINE.name}; run `make cost-baseline`")
            continue
        before = float(known["checked_total_per_million_orders"])
        if cost.gated_total_per_million > before * (1 + tolerance):
            services = known["checked_per_million_orders"]
            grown = {
                service: f"${services.get(service, 0.0):,.2f} -> ${usd:,.2f}"
                for service, usd in cost.gated_per_million.items()
                if usd > services.get(service, 0.0) * (1 + tolerance) + 0.01
            }
            problems.append(
                f"{cost.stack}: ${cost.gated_total_per_million:,.2f} per million orders is more than "
                f"{tolerance:.0%} over the baseline ${before:,.2f} (grown: {grown})"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS)
    parser.add_argument("--stack", action="append", choices=STACKS, help="one stack (default: both)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--check", action="store_true", help=f"fail on growth over {BASELINE.name}")
    action.add_argument("--write-baseline", action="store_true", help=f"rewrite {BASELINE.name}")
    args = parser.parse_args(argv)
    if args.orders < 1:
        parser.error("--orders must be at least 1")
    console = Console(width=120)
    costs = [measure(stack, args.orders, console) for stack in args.stack or STACKS]
    console.print(units_table(costs))
    console.print(dollars_table(costs))
    console.print(fixed_table(costs))
    if args.write_baseline:
        BASELINE.write_text(json.dumps(baseline_of(costs), indent=2) + "\n")
        console.print(f"{BASELINE.relative_to(ROOT)} rewritten")
        return 0
    if args.check:
        problems = over_baseline(costs, json.loads(BASELINE.read_text()) if BASELINE.is_file() else {})
        for problem in problems:
            console.print(f"[red]{problem}[/red]")
        if problems:
            return 1
        console.print(f"[green]within {TOLERANCE:.0%} of {BASELINE.relative_to(ROOT)}[/green]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
