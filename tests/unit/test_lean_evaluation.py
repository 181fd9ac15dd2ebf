"""The lean evaluation (no declaring stack traces, cycle collection deferred to the run's end) declares
exactly the graph the SDK's default evaluation declares: same resources, inputs, outputs, ids and providers."""

from __future__ import annotations

import json
from typing import Any

from devtools.program import ProgramRun, run_program


def _plain(value: Any) -> Any:
    """Assets and archives as their class and fields, so two runs compare by content, not identity."""
    if hasattr(value, "__dict__"):
        return {"__class__": type(value).__name__, **{k: _plain(v) for k, v in vars(value).items()}}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical_graph(run: ProgramRun) -> list[str]:
    return sorted(
        json.dumps(
            {
                "type": resource.typ,
                "name": resource.name,
                "custom": resource.custom,
                "id": resource.id,
                "provider": resource.provider,
                "inputs": _plain(resource.inputs),
                "outputs": _plain(resource.outputs),
            },
            sort_keys=True,
            default=repr,
        )
        for resource in run.resources
    )


def test_lean_evaluation_declares_the_same_graph(stack: str) -> None:
    lean = canonical_graph(run_program(stack))
    default = canonical_graph(run_program(stack, sdk_defaults=True))
    assert len(lean) > 200
    assert lean == default


def test_the_canonical_graph_sees_a_changed_input() -> None:
    run = run_program("dev")
    before = canonical_graph(run)
    queue = run.of_type("aws:sqs/queue:Queue")[0]
    queue.inputs["visibilityTimeoutSeconds"] = -1
    assert canonical_graph(run) != before
