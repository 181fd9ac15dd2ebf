"""The latency budget of two journeys, from the hops the local trace shows, priced with published AWS latencies.

Journeys (each hop is found in the local cloud's trace of a real order, in order, or the journey is not there):
- order to confirmation mail: API Gateway -> orders-api (Lambda) -> EventBridge -> Email (Lambda, asynchronous
  invoke) -> SNS -> the customer's subscriber;
- order to shipped: API Gateway -> orders-api -> EventBridge -> SQS -> Billing (event source mapping) ->
  EventBridge -> Step Functions (each state the execution entered) -> EventBridge -> SQS -> order-status
  projector (the order reads SHIPPED). Warehouse's reservation runs in parallel; it is off the critical path
  when the workflow finds it (a Retry while it waits is reported with the journey).

Each hop's p50 and p99 is a published figure (PUBLISHED, with its source), a Lambda duration from the local run
(median and maximum of that function's runs: an estimate), or an event source mapping's batching window (from
the stack's program: at low volume a batch waits the whole window). A journey's p50 is the sum of its hops'
p50s; the sum of p99s is an upper bound of its p99 (hops are not all slow at once).

python -m devtools.latency [--orders N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from devtools.program import STACKS, ProgramRun, project_name, run_program
from localcloud.cloud import LocalCloud
from localcloud.demo import run_mix
from localcloud.metering import Meter
from localcloud.trace import TraceEntry

_BITE = "https://bitesizedserverless.com/bite/serverless-messaging-latency-compared/"


@dataclass(frozen=True)
class Published:
    p50_ms: float
    p99_ms: float
    what: str
    source: str


#: Per-hop latencies as published (p50, p99 in ms). The Bite-Sized Serverless figures were measured in eu-west-1
#: (the stacks' region) from a producer's timestamp to the consumer's, 1,024 messages per service.
PUBLISHED: dict[str, Published] = {
    "apigateway": Published(
        10, 30, "API Gateway REST overhead (request to integration and back), typically 10-30 ms",
        "https://www.smplogs.com/patterns/apigateway/high-latency",
    ),
    "eventbridge": Published(
        148, 387, "EventBridge PutEvents to an asynchronously invoked Lambda (February 2023 figures); used for "
        "every rule target", _BITE,
    ),
    "sqs-esm": Published(16.2, 105, "SQS standard to Lambda through the event source mapping", _BITE),
    "sfn-state": Published(
        99.1, 250, "Step Functions Standard, start to a synchronous Lambda task; used per state entered (an upper "
        "bound for Pass and Choice states)", _BITE,
    ),
    "sns": Published(73, 225, "SNS standard to an asynchronously invoked subscriber", _BITE),
    "ddb-stream": Published(
        125, 500, "DynamoDB stream to Lambda through the event source mapping: Lambda polls each shard 4 times a "
        "second (p50 half a polling interval; p99 a full interval plus the stream's near-real-time propagation, "
        "an estimate: no published percentile)",
        "https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html",
    ),
}


class JourneyNotFoundError(LookupError):
    """The trace of an order lacks a hop of the journey (e.g. a declined order is never shipped)."""


@dataclass(frozen=True)
class Hop:
    label: str
    kind: str  # a PUBLISHED key, "lambda" (duration of `function`) or "window" (batching window of `function`)
    function: str | None = None
    count: int = 1


@dataclass(frozen=True)
class Journey:
    name: str
    order_id: str
    hops: tuple[Hop, ...]
    retries: int = 0


def _after(
    entries: Sequence[TraceEntry], since: float, what: str, match: Callable[[TraceEntry], bool]
) -> TraceEntry:
    for entry in entries:
        if entry.at >= since and match(entry):
            return entry
    raise JourneyNotFoundError(f"no {what} in the trace after {since:.3f}")


def _batch_of(function: str, queue_suffix: str, order_id: str) -> Callable[[TraceEntry], bool]:
    def match(entry: TraceEntry) -> bool:
        orders = entry.data.get("orders") or ([entry.order_id] if entry.order_id else [])
        return (
            entry.kind == "invoke"
            and entry.where == function
            and entry.message.endswith(queue_suffix)
            and order_id in orders
        )

    return match


def _queued(cloud: LocalCloud, function: str) -> tuple[Hop, ...]:
    """EventBridge -> SQS -> the function through its event source mapping."""
    return (
        Hop(f"EventBridge -> SQS ({cloud.deployment.run.short_name(function)}-queue)", "eventbridge"),
        Hop("event source mapping batching window", "window", function),
        Hop("SQS -> Lambda (event source mapping)", "sqs-esm"),
        Hop(f"Lambda {cloud.deployment.run.short_name(function)}", "lambda", function),
    )


def _published(cloud: LocalCloud) -> tuple[Hop, ...]:
    """The orders API saves the order; the orders table's stream hands it to the outbox relay, which puts it."""
    relay = cloud.function("orders-outbox").spec.name
    return (
        Hop("DynamoDB stream -> Lambda (event source mapping)", "ddb-stream"),
        Hop("Lambda orders-outbox", "lambda", relay),
    )


def confirmation_mail(cloud: LocalCloud, order_id: str) -> Journey:
    """Order to confirmation mail, from the order's trace (and the outbox, where dev's mail lands)."""
    entries = sorted(cloud.trace.entries(order_id=order_id), key=lambda entry: entry.at)
    api, email = cloud.function("orders-api").spec.name, cloud.function("email").spec.name
    _after(entries, 0.0, "POST /orders", lambda e: e.kind == "http" and e.message.startswith("POST /orders"))
    # The API's trace entry is written when it answers, after its put was routed: the order's first hops are
    # searched from the order's first entry.
    routed = _after(
        entries, 0.0, "OrderPlaced delivery to Email",
        lambda e: e.kind == "deliver" and e.message.startswith("OrderPlaced ->") and email in e.message,
    )
    _after(entries, routed.at, "Email's run", lambda e: e.kind == "result" and e.where == email)
    mailed = [
        m for m in cloud.outbox()
        if order_id in m["body"] and m["attributes"].get("detailType") == "OrderPlaced"
    ]
    if not mailed:
        raise JourneyNotFoundError(f"no OrderPlaced notification for {order_id} reached the customer's subscriber")
    return Journey(
        "order to confirmation mail",
        order_id,
        (
            Hop("API Gateway (REST)", "apigateway"),
            Hop("Lambda orders-api", "lambda", api),
            *_published(cloud),
            Hop("EventBridge -> Lambda email (asynchronous invoke)", "eventbridge"),
            Hop("Lambda email", "lambda", email),
            Hop("SNS -> the customer's subscriber", "sns"),
        ),
    )


def shipped(cloud: LocalCloud, order_id: str) -> Journey:
    """Order to shipped (the projector has the order at SHIPPED), from the order's trace and its execution."""
    entries = sorted(cloud.trace.entries(order_id=order_id), key=lambda entry: entry.at)
    api = cloud.function("orders-api").spec.name
    billing, projector = cloud.function("billing").spec.name, cloud.function("order-status").spec.name
    _after(entries, 0.0, "POST /orders", lambda e: e.kind == "http" and e.message.startswith("POST /orders"))
    billed = _after(entries, 0.0, "Billing's batch", _batch_of(billing, "-billing-queue", order_id))
    started = _after(
        entries, billed.at, "PaymentSucceeded delivery to the workflow",
        lambda e: e.kind == "deliver" and e.message.startswith("PaymentSucceeded ->") and ":stateMachine:" in e.message,
    )
    _after(
        entries, started.at, "the workflow's success",
        lambda e: e.kind == "result" and e.message == "execution SUCCEEDED",
    )
    # The workflow puts OrderShipped before its execution ends, so the projector may apply it before the
    # execution's end is traced: both follow the start.
    _after(
        entries, started.at, "the projector applying OrderShipped",
        lambda e: e.kind == "result" and e.where == projector and e.message == "ok: OrderShipped",
    )
    states, retries = _states_entered(cloud, order_id)
    return Journey(
        "order to shipped",
        order_id,
        (
            Hop("API Gateway (REST)", "apigateway"),
            Hop("Lambda orders-api", "lambda", api),
            *_published(cloud),
            *_queued(cloud, billing),
            Hop("EventBridge -> Step Functions (StartExecution)", "eventbridge"),
            Hop("Step Functions states entered", "sfn-state", count=states),
            *_queued(cloud, projector),
        ),
        retries,
    )


def _states_entered(cloud: LocalCloud, order_id: str) -> tuple[int, int]:
    """(states the order's successful execution entered, how many of them were re-entries by a Retry)."""
    client = cloud.clients("stepfunctions")
    for machine in cloud.deployment.run.of_type("aws:sfn/stateMachine:StateMachine"):
        for page in client.get_paginator("list_executions").paginate(stateMachineArn=machine.arn):
            for execution in page["executions"]:
                described = client.describe_execution(executionArn=execution["executionArn"])
                detail = json.loads(described.get("input") or "{}").get("detail") or {}
                if detail.get("orderId") != order_id or described["status"] != "SUCCEEDED":
                    continue
                events = client.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)
                names = [
                    e["stateEnteredEventDetails"]["name"] for e in events["events"] if "stateEnteredEventDetails" in e
                ]
                return len(names), len(names) - len(set(names))
    raise JourneyNotFoundError(f"no successful execution of the workflow for {order_id}")


@dataclass(frozen=True)
class Budget:
    """A journey's hops priced for one stack: (hop, p50 ms, p99 ms, source) each, and the totals."""

    journey: Journey
    stack: str
    rows: tuple[tuple[Hop, float, float, str], ...]

    @property
    def p50_ms(self) -> float:
        return sum(p50 for _, p50, _, _ in self.rows)

    @property
    def p99_ms(self) -> float:
        return sum(p99 for _, _, p99, _ in self.rows)


def durations_ms(meter: Meter) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for run in meter.lambda_runs:
        found.setdefault(run.function, []).append(run.duration_ms)
    return found


def batching_windows(program: ProgramRun) -> dict[str, float]:
    """Function name -> its SQS event source mapping's maximum batching window, in seconds."""
    return {
        str(m.inputs["functionName"]).rsplit(":", 1)[-1]: float(m.inputs.get("maximumBatchingWindowInSeconds") or 0)
        for m in program.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    }


def price(journey: Journey, stack: str, durations: Mapping[str, list[float]], windows: Mapping[str, float]) -> Budget:
    """``journey`` (traced on any stack) with ``stack``'s batching windows and the run's Lambda durations."""
    rows = []
    for hop in journey.hops:
        if hop.kind == "lambda":
            runs = durations.get(str(hop.function)) or [0.0]
            rows.append((hop, statistics.median(runs), max(runs), f"local run: median and max of {len(runs)} runs"))
        elif hop.kind == "window":
            prefix = project_name()
            name = str(hop.function).replace(f"{prefix}-{_stack_of(str(hop.function))}-", f"{prefix}-{stack}-")
            window = windows.get(name, 0.0) * 1000
            rows.append((hop, window, window, "the stack's event source mapping: maximumBatchingWindowInSeconds"))
        else:
            published = PUBLISHED[hop.kind]
            rows.append((hop, published.p50_ms * hop.count, published.p99_ms * hop.count, published.source))
    return Budget(journey, stack, tuple(rows))


def _stack_of(function: str) -> str:
    prefix = f"{project_name()}-"
    return function.removeprefix(prefix).split("-")[0] if function.startswith(prefix) else ""


def measure(orders: int = 10) -> tuple[list[Journey], dict[str, list[float]]]:
    """Run the demo's mix on dev; the journeys of its first approved order, and every function's durations."""
    meter = Meter()
    with meter.recording(), LocalCloud.boot("dev") as cloud:
        meter.watch(cloud.functions.values())
        result = run_mix(cloud, orders)
        # An order counts as settled once the projector wrote SHIPPED, which can come before the execution that
        # sent OrderShipped has recorded its own end: the trace is read once nothing runs any more.
        cloud.wait_idle()
        approved = next(order for order, kind in result.orders.items() if kind == "approved")
        journeys = [confirmation_mail(cloud, approved), shipped(cloud, approved)]
    return journeys, durations_ms(meter)


def table(budgets: Sequence[Budget]) -> Table:
    journey = budgets[0].journey
    title = f"Latency budget: {journey.name} (hops traced on order {journey.order_id[:8]})"
    out = Table(title=title, header_style="bold")
    out.add_column("hop")
    for budget in budgets:
        out.add_column(f"{budget.stack} p50 ms", justify="right")
        out.add_column(f"{budget.stack} p99 ms", justify="right")
    out.add_column("source")
    for index, (hop, _, _, source) in enumerate(budgets[0].rows):
        label = f"{hop.label} x {hop.count}" if hop.count != 1 else hop.label
        cells = [f"{value:,.0f}" for budget in budgets for value in budget.rows[index][1:3]]
        out.add_row(label, *cells, source)
    totals = [f"{value:,.0f}" for budget in budgets for value in (budget.p50_ms, budget.p99_ms)]
    out.add_row("expected (p50: sum of p50s; p99: sum of p99s, an upper bound)", *totals, "", style="bold")
    return out


def report(console: Console, orders: int = 10) -> list[Budget]:
    journeys, durations = measure(orders)
    windows = {stack: batching_windows(run_program(stack)) for stack in STACKS}
    budgets: list[Budget] = []
    for journey in journeys:
        priced = [price(journey, stack, durations, windows[stack]) for stack in STACKS]
        budgets += priced
        console.print(table(priced))
        if journey.retries:
            console.print(f"[yellow]the traced execution re-entered {journey.retries} states while it waited for "
                          "the reservation (each wait adds its Retry interval)[/yellow]")
    return budgets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=10, help="orders of the demo's mix to run (default 10)")
    args = parser.parse_args(argv)
    report(Console(width=160), args.orders)
    return 0


if __name__ == "__main__":
    sys.exit(main())
