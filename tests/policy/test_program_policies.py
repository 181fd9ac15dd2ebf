"""The whole program, for every stack, against the whole pack, as the engine would run it."""

from __future__ import annotations

from pathlib import Path

import yaml
from pulumi_policy import EnforcementLevel

from devtools.program import ProgramRun
from policy.rules.pack import POLICIES, RESOURCE_POLICIES, STACK_POLICIES
from tests.policy.support import Finding
from tests.policy.test_pack_inventory import INVENTORY

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"


def test_program_violates_no_mandatory_policy(program_run: ProgramRun, program_findings: list[Finding]) -> None:
    mandatory = [str(f) for f in program_findings if f.level == EnforcementLevel.MANDATORY]

    assert mandatory == [], f"stack {program_run.stack}:\n" + "\n".join(mandatory)


KNOWN_ADVISORY_FINDINGS: dict[str, list[tuple[str, str]]] = {
    # Reported to the program's owners; remove an entry when its gap is closed.
    "dev": [],
    "prod": [],
}


def test_program_advisory_findings_are_exactly_the_known_gaps(
    program_run: ProgramRun, program_findings: list[Finding]
) -> None:
    advisory = [(f.policy, f.resource) for f in program_findings if f.level != EnforcementLevel.MANDATORY]

    assert advisory == KNOWN_ADVISORY_FINDINGS[program_run.stack]


def test_program_gives_the_stack_policies_something_to_check(program_run: ProgramRun) -> None:
    """Guards the two tests above against passing vacuously (e.g. a renamed resource type)."""
    types = {resource.typ for resource in program_run.custom_resources}
    checked = {
        "aws:sqs/queue:Queue",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:cloudwatch/eventTarget:EventTarget",
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:dynamodb/table:Table",
        "aws:cloudwatch/logGroup:LogGroup",
    }

    assert checked <= types


def test_pack_policies_have_unique_names_and_explicit_levels() -> None:
    names = [policy.name for policy in POLICIES]

    assert len(names) == len(set(names)) == len(RESOURCE_POLICIES) + len(STACK_POLICIES) == len(INVENTORY)
    assert {policy.name: policy.enforcement_level for policy in POLICIES if policy.enforcement_level is None} == {}
    assert [policy.name for policy in POLICIES if policy.enforcement_level == EnforcementLevel.ADVISORY] == [
        "sns-subscription-dlq",
        "lambda-arm64",
    ]


def test_pack_runs_in_its_own_python_virtualenv_with_pinned_requirements() -> None:
    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    requirements = (POLICY_DIR / "requirements.txt").read_text().split()

    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert "pulumi-policy==1.21.0" in requirements


def test_pack_entry_point_names_the_pack_eventshop_guardrails() -> None:
    source = (POLICY_DIR / "__main__.py").read_text()

    assert 'name="eventshop-guardrails"' in source
    assert "policies=list(POLICIES)" in source
