"""No payment token or customer address where it is not needed: traces, the bus, the tables' readers."""

from __future__ import annotations

from devtools.program import ProgramRun
from tests.unit.graph import FUNCTION, INVOKE_CONFIG, Graph


def test_no_function_lets_xray_capture_what_its_handlers_return(run: ProgramRun) -> None:
    functions = run.of_type(FUNCTION)
    assert functions
    for function in functions:
        variables = function.inputs["environment"]["variables"]
        assert variables.get("POWERTOOLS_TRACER_CAPTURE_RESPONSE") == "false", function.name


def test_no_async_function_sends_its_results_anywhere(run: ProgramRun) -> None:
    """An on-success record repeats the request payload (customers' addresses): none is configured."""
    configs = run.of_type(INVOKE_CONFIG)
    assert configs
    for config in configs:
        assert not (config.inputs.get("destinationConfig") or {}).get("onSuccess"), config.name


def test_only_billing_may_read_the_payment_intents(run: ProgramRun) -> None:
    graph = Graph(run)
    intents = f"arn:aws:dynamodb:eu-west-1:123456789012:table/eventshop-{run.stack}-payment-intents"
    readers = {
        function.outputs["name"]
        for function in run.of_type(FUNCTION)
        for action, resource in graph.grants_of(function)
        if resource == intents and action in {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"}
    }
    assert readers == {f"eventshop-{run.stack}-billing"}
    assert run.named("payment-intents-table").inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
