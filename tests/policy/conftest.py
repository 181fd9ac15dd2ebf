from __future__ import annotations

import pytest
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from devtools.program import ProgramRun
from policy.rules.pack import POLICIES
from tests.policy.support import Finding, findings_for


@pytest.fixture(autouse=True)
def _no_engine_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine sets PULUMI_STACK for policy packs; tests decide it explicitly."""
    monkeypatch.delenv("PULUMI_STACK", raising=False)


def resource_policy(name: str) -> ResourceValidationPolicy:
    (found,) = [policy for policy in POLICIES if policy.name == name]
    assert isinstance(found, ResourceValidationPolicy)
    return found


def stack_policy(name: str) -> StackValidationPolicy:
    (found,) = [policy for policy in POLICIES if policy.name == name]
    assert isinstance(found, StackValidationPolicy)
    return found


@pytest.fixture(scope="session", params=["dev", "prod"])
def program_run(request: pytest.FixtureRequest, runs: dict[str, ProgramRun]) -> ProgramRun:
    """The stack's whole-program run, the one the unit and contract tests read (tests/conftest.py)."""
    return runs[str(request.param)]


@pytest.fixture(scope="session")
def program_findings(program_run: ProgramRun) -> list[Finding]:
    """Every finding of the whole pack on the stack's run: the run is shared and never changed, so its findings
    are worked out once per test process and read by every test that holds the unbroken program to the pack."""
    return findings_for(program_run)
