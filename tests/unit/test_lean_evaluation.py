"""The lean evaluation (no declaring stack traces, cycle collection deferred to the run's end) declares
exactly the graph the SDK's default evaluation declares: same resources, inputs, outputs, ids and providers."""

from __future__ import annotations

import json

from devtools.graph import plain
from devtools.program import ProgramRun, run_program


def canonical_graph(run: ProgramRun) -> list[str]:
    return sorted(
        json.dumps(
            {
                "type": resource.typ,
                "name": resource.name,
                "custom": resource.custom,
                "id": resource.id,
                "provider": resource.provider,
                "inputs": plain(resource.inputs),
                "outputs": plain(resource.outputs),
            },
            sort_keys=True,
            default=repr,
        )
        for resource in run.resources
    )


def test_lean_evaluation_declares_the_same_graph(stack: str, run: ProgramRun) -> None:
    # The session's run (tests/conftest.py) is the lean evaluation every other test reads; were a test to
    # change it in place, this comparison would also catch that.
    lean = canonical_graph(run)
    default = canonical_graph(run_program(stack, sdk_defaults=True))
    assert len(lean) > 200
    assert lean == default


def test_the_canonical_graph_sees_a_changed_input() -> None:
    run = run_program("dev")
    before = canonical_graph(run)
    queue = run.of_type("aws:sqs/queue:Queue")[0]
    queue.inputs["visibilityTimeoutSeconds"] = -1
    assert canonical_graph(run) != before
