"""Each stack's settings, and its whole-program run (``runs``, tests/conftest.py) as ``run``."""

from __future__ import annotations

import pytest

from devtools.program import STACKS, ProgramRun, load_stack_config
from settings import Settings, settings_from_config


@pytest.fixture(scope="session")
def stack_settings() -> dict[str, Settings]:
    return {stack: settings_from_config(stack, load_stack_config(stack)) for stack in STACKS}


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def run(runs: dict[str, ProgramRun], stack: str) -> ProgramRun:
    return runs[stack]


@pytest.fixture
def settings(stack_settings: dict[str, Settings], stack: str) -> Settings:
    return stack_settings[stack]
