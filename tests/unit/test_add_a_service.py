"""README "Add a service": the Loyalty example's lines, added to the real program, build a whole service.

The example's handler lives in tests/unit/fixtures/loyalty (Loyalty is not part of the shipped program);
tests/handlers/test_loyalty_example.py runs it on moto.
"""

from __future__ import annotations

import re
import runpy
from collections.abc import Callable

import pytest

from devtools.program import ROOT, ProgramRun, load_stack_config, run_callable
from services.events import SubscriptionError
from services.subscriber import OwnTable
from tests.unit.graph import ALARM, FUNCTION, MAPPING, QUEUE, RULE, TABLE, Graph
from tests.unit.test_iam import CONSUME, IDEMPOTENCY, XRAY, arn

README_HANDLER = "handlers.loyalty.app.handler"
FIXTURE_HANDLER = "tests.unit.fixtures.loyalty.app.handler"


def readme_example() -> str:
    """The lines README.md's "Add a service" tells you to add to `__main__.py`."""
    match = re.search(
        r"<!-- add-a-service:start[^>]*-->\s*```python\n(.*?)```\s*<!-- add-a-service:end -->",
        (ROOT / "README.md").read_text(),
        re.DOTALL,
    )
    assert match, "README.md has no add-a-service example"
    return match.group(1)


def shop_with(lines: str) -> Callable[[], None]:
    """The real program with `lines` run where the README says: before the concurrency check."""

    def program() -> None:
        main = (ROOT / "__main__.py").read_text()
        check = "context.concurrency.check()"
        assert main.count(check) == 1
        namespace: dict[str, object] = {"__name__": "__main__"}
        exec(compile(main.replace(check, f"{lines}\n{check}"), "__main__.py", "exec"), namespace)

    return program


@pytest.fixture(scope="module")
def loyalty_run() -> ProgramRun:
    lines = readme_example().replace(README_HANDLER, FIXTURE_HANDLER)
    return run_callable(shop_with(lines), "dev", config=load_stack_config("dev"))


def test_the_example_is_at_most_five_lines_of_the_program() -> None:
    lines = [line for line in readme_example().splitlines() if line.strip()]

    assert len(lines) <= 5, lines
    assert README_HANDLER in readme_example()


def test_loyalty_gets_its_rule_queue_mapping_function_and_table(loyalty_run: ProgramRun) -> None:
    run, graph = loyalty_run, Graph(loyalty_run)
    p = run.prefix
    [rule] = [r for r in run.of_type(RULE) if r.outputs["name"].startswith(f"{p}-loyalty-")]
    [target] = graph.targets_of(rule)
    queue = graph.by_physical_name(QUEUE, f"{p}-loyalty-queue")
    function = graph.by_physical_name(FUNCTION, f"{p}-loyalty")
    table = graph.by_physical_name(TABLE, f"{p}-loyalty-points")
    idempotency = graph.by_physical_name(TABLE, f"{p}-loyalty-idempotency")
    [mapping] = [m for m in run.of_type(MAPPING) if m.inputs["eventSourceArn"] == queue.arn]

    assert rule.json_input("eventPattern") == {"source": ["eventshop.fulfillment"], "detail-type": ["OrderShipped"]}
    assert target.inputs["arn"] == queue.arn
    assert mapping.inputs["functionName"] == function.arn
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert function.inputs["handler"] == FIXTURE_HANDLER
    assert table.inputs["hashKey"] == "customerId"
    variables = function.inputs["environment"]["variables"]
    assert variables["POINTS_TABLE"] == table.outputs["name"]
    assert variables["IDEMPOTENCY_TABLE"] == idempotency.outputs["name"]
    assert "EVENT_BUS_NAME" not in variables


def test_loyalty_is_granted_exactly_its_queue_its_tables_logs_and_traces(loyalty_run: ProgramRun) -> None:
    p = loyalty_run.prefix
    function = Graph(loyalty_run).by_physical_name(FUNCTION, f"{p}-loyalty")
    group = arn("logs", f"log-group:/aws/lambda/{p}-loyalty:*")

    assert Graph(loyalty_run).grants_of(function) == (
        {("logs:CreateLogStream", group), ("logs:PutLogEvents", group)}
        | XRAY
        | {(action, arn("sqs", f"{p}-loyalty-queue")) for action in CONSUME}
        | {(action, arn("dynamodb", f"table/{p}-loyalty-points")) for action in OwnTable("x", "k").actions}
        | {(action, arn("dynamodb", f"table/{p}-loyalty-idempotency")) for action in IDEMPOTENCY}
    )


def test_loyalty_dead_letters_alarm_and_carry_its_own_service_tag(loyalty_run: ProgramRun) -> None:
    graph = Graph(loyalty_run)
    p = loyalty_run.prefix
    dlq = graph.by_physical_name(QUEUE, f"{p}-loyalty-dlq")
    alarms = [a for a in loyalty_run.of_type(ALARM) if a.inputs["dimensions"] == {"QueueName": dlq.outputs["name"]}]

    assert dlq.arn in graph.dead_letter_queue_arns()
    assert len(alarms) == 1
    provider = graph.by_physical_name(FUNCTION, f"{p}-loyalty").provider
    assert provider is not None and provider.split("::")[-2] == "loyalty-aws"


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (
            'context.subscribe("loyalty", on=("OrderDelivered",), handler="h.loyalty.app.handler")',
            "nobody produces 'OrderDelivered'",
        ),
        (
            'context.subscribe("loyalty", on=("OrderShipped",), handler="h.loyalty.app.handler", '
            'where={"loyaltyTier": ["gold"]})',
            "matches no contract: OrderShipped: detail.loyaltyTier is not in the contract",
        ),
        (
            'context.subscribe("loyalty", on=("OrderShipped",), handler="h.loyalty.app.handler", '
            'where={"shippingSpeed": [42]})',
            r"detail.shippingSpeed is a string in the contract, so \[42\] never matches",
        ),
        (
            'context.subscribe("loyalty", on=("OrderShipped",), handler="h.loyalty.app.handler", '
            'emits=("PointsAwarded",))',
            "loyalty emits PointsAwarded \\(not catalogued\\)",
        ),
    ],
)
def test_a_subscription_that_can_never_receive_an_event_fails_the_build(lines: str, reason: str) -> None:
    with pytest.raises(SubscriptionError, match=reason):
        run_callable(shop_with(lines), "dev", config=load_stack_config("dev"))


def test_a_service_declared_after_the_concurrency_check_is_refused_not_left_unbudgeted() -> None:
    def program() -> None:
        namespace = runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        namespace["context"].subscribe("loyalty", on=("OrderShipped",), handler=FIXTURE_HANDLER)

    with pytest.raises(ValueError, match="reserves concurrency after the budget was checked"):
        run_callable(program, "dev", config=load_stack_config("dev"))
