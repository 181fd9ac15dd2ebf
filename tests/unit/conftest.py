"""Each stack's settings, its whole-program run (``runs``, tests/conftest.py) as ``run``, and its resource graph
(``stack_graphs``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from devtools.program import STACKS, ProgramRun, load_stack_config
from settings import Settings, settings_from_config

if TYPE_CHECKING:
    from devtools.graph import StackGraph

#: The mark of the modules that read ``stack_graphs``: they keep to one test process, which builds the graphs once.
READS_STACK_GRAPHS = pytest.mark.xdist_group(name="stack-graphs")


@pytest.fixture(scope="session")
def stack_settings() -> dict[str, Settings]:
    return {stack: settings_from_config(stack, load_stack_config(stack)) for stack in STACKS}


@pytest.fixture(scope="session")
def stack_graphs() -> dict[str, StackGraph]:
    """Each stack's run with every resource's URN, parent, aliases and dependencies (devtools.graph): a run of
    its own, as the URNs are recorded while it registers. The CORS and the stateful-URN tests read the same
    graphs and none may change them, so the process makes them once."""
    from devtools.graph import stack_graph  # noqa: PLC0415 (a process that reads no graph records none)

    return {stack: stack_graph(stack) for stack in STACKS}


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def run(runs: dict[str, ProgramRun], stack: str) -> ProgramRun:
    return runs[stack]


@pytest.fixture
def settings(stack_settings: dict[str, Settings], stack: str) -> Settings:
    return stack_settings[stack]
