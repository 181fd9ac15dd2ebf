"""What the delivery workflows promise, read from the YAML (schema and zizmor: policy/check_workflows.sh)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"# v\d+\.\d+\.\d+$")


def workflow(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if str(step.get("uses", "")).startswith(f"{action}@")]


@pytest.mark.parametrize("name", ["pull-request.yml", "main.yml"])
def test_every_action_is_pinned_to_a_commit_with_its_version_named(name: str) -> None:
    lines = [line.strip() for line in (WORKFLOWS / name).read_text().splitlines() if "uses:" in line]
    references = [line.split("uses:", 1)[1].split("#", 1)[0].strip() for line in lines]

    assert lines
    assert [reference for reference in references if not PINNED.match(reference)] == []
    assert [line for line in lines if not VERSION_COMMENT.search(line)] == []


@pytest.mark.parametrize("name", ["pull-request.yml", "main.yml"])
def test_permissions_start_empty_and_only_jobs_exchanging_an_oidc_token_get_one(name: str) -> None:
    loaded = workflow(name)

    assert loaded["permissions"] == {}
    for job_name, job in loaded["jobs"].items():
        assumes_role = bool(
            steps_using(job, "aws-actions/configure-aws-credentials") or steps_using(job, "pulumi/auth-actions")
        )
        comments = any(step.get("with", {}).get("comment-on-pr") for step in steps_using(job, "pulumi/actions"))
        assert job["permissions"].get("id-token") == ("write" if assumes_role else None), job_name
        assert job["permissions"].get("pull-requests") == ("write" if comments else None), job_name
        assert all(step["with"]["persist-credentials"] is False for step in steps_using(job, "actions/checkout"))


def test_pull_requests_preview_dev_and_prod_with_the_policy_pack_and_comment_the_diff() -> None:
    preview = workflow("pull-request.yml")["jobs"]["preview"]
    (pulumi,) = steps_using(preview, "pulumi/actions")

    assert preview["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    assert preview["needs"] == "checks"
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["comment-on-pr"] is True


def test_main_deploys_dev_then_prod_behind_the_protected_environment() -> None:
    jobs = workflow("main.yml")["jobs"]
    ups = {
        name: steps_using(job, "pulumi/actions")[0]["with"] for name, job in jobs.items() if name.startswith("deploy")
    }

    assert {name: (up["command"], up["stack-name"], up["policyPacks"]) for name, up in ups.items()} == {
        "deploy-dev": ("up", "${{ vars.PULUMI_ORGANIZATION }}/eventshop/dev", "policy"),
        "deploy-prod": ("up", "${{ vars.PULUMI_ORGANIZATION }}/eventshop/prod", "policy"),
    }
    assert (jobs["deploy-dev"]["needs"], jobs["deploy-prod"]["needs"]) == ("checks", "deploy-dev")
    assert jobs["deploy-prod"]["environment"] == "prod"


def test_no_run_step_expands_an_expression() -> None:
    """Expressions in `run:` are template injection waiting for an attacker-controlled value."""
    runs = [
        step["run"]
        for name in ("pull-request.yml", "main.yml")
        for job in workflow(name)["jobs"].values()
        for step in job["steps"]
        if "run" in step
    ]

    assert runs
    assert [run for run in runs if "${{" in run] == []


@pytest.mark.parametrize("name", ["pull-request.yml", "main.yml"])
def test_jobs_holding_cloud_credentials_install_only_the_programs_requirements(name: str) -> None:
    for job_name, job in workflow(name)["jobs"].items():
        if not steps_using(job, "aws-actions/configure-aws-credentials"):
            continue
        runs = "\n".join(step["run"] for step in job["steps"] if "run" in step)
        installs = [line for line in runs.splitlines() if "pip install" in line]
        locks = {line.split(" -r ", 1)[1].split()[0] for line in installs if " -r " in line}
        assert locks == {"requirements.lock", "policy/requirements.lock"}, job_name
        assert all("--require-hashes" in line for line in installs), job_name
        assert "make install" not in runs and "requirements-dev" not in runs, job_name


@pytest.mark.parametrize("name", ["pull-request.yml", "main.yml"])
def test_no_job_uses_a_stored_pulumi_token(name: str) -> None:
    text = (WORKFLOWS / name).read_text()

    assert "PULUMI_ACCESS_TOKEN" not in text
    assert "secrets." not in text


@pytest.mark.parametrize("name", ["pull-request.yml", "main.yml"])
def test_every_pulumi_step_runs_on_a_short_lived_team_token_exchanged_just_before_it(name: str) -> None:
    pulumi_jobs = {
        job_name: job for job_name, job in workflow(name)["jobs"].items() if steps_using(job, "pulumi/actions")
    }

    assert pulumi_jobs
    for job_name, job in pulumi_jobs.items():
        uses = [str(step.get("uses", "")).split("@")[0] for step in job["steps"]]
        (auth,) = steps_using(job, "pulumi/auth-actions")
        assert uses.index("pulumi/auth-actions") == uses.index("pulumi/actions") - 1, job_name
        assert auth["with"]["requested-token-type"] == "urn:pulumi:token-type:access_token:team", job_name
        assert auth["with"]["scope"] == "team:${{ vars.PULUMI_TEAM }}", job_name
        assert auth["with"]["organization"] == "${{ vars.PULUMI_ORGANIZATION }}", job_name
        # The token must not outlive the job that asked for it.
        assert int(auth["with"]["token-expiration"]) <= int(job["timeout-minutes"]) * 60, job_name
        assert job["environment"], "the OIDC subject names the environment the team is chosen by"
        assert job["permissions"]["id-token"] == "write", job_name
