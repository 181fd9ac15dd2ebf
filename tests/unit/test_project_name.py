"""One source for the project name: a fork that renames the project in Pulumi.yaml keeps its alarm delivery."""

from __future__ import annotations

import fnmatch

import pytest
import yaml

from devtools.asyncapi import render
from devtools.asyncapi_live import CHANNEL as LIVE_CHANNEL
from devtools.event_catalog import rule_targets
from devtools.program import ProgramRun, load_stack_config, project_name, run_program
from settings import settings_from_config
from tests.unit.graph import ALARM

FORK = "acme-shop"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"


@pytest.fixture(scope="module")
def fork_run() -> ProgramRun:
    """The dev stack as a fork named `acme-shop` would run it: the engine namespaces its config by that name."""
    ours = project_name()
    config = {
        key if key.startswith("aws:") else key.replace(f"{ours}:", f"{FORK}:", 1): value
        for key, value in load_stack_config("dev").items()
    }
    return run_program("dev", config=config, project=FORK)


def test_settings_read_their_keys_in_the_running_projects_namespace(fork_run: ProgramRun) -> None:
    config = {
        key.replace(f"{project_name()}:", f"{FORK}:", 1): value for key, value in load_stack_config("dev").items()
    }

    assert settings_from_config("dev", config, namespace=FORK).namespace == FORK
    assert settings_from_config("dev", config).namespace == FORK


def test_the_bus_and_the_schema_registry_take_the_engines_project_name(fork_run: ProgramRun) -> None:
    buses = [r.outputs["name"] for r in fork_run.of_type("aws:cloudwatch/eventBus:EventBus")]
    registries = [r.inputs["name"] for r in fork_run.of_type("aws:schemas/registry:Registry")]

    assert f"{FORK}-dev" in buses
    assert registries == [f"{FORK}-dev"]


def test_a_renamed_project_still_delivers_every_alarm_to_its_alarm_topic(fork_run: ProgramRun) -> None:
    (topic,) = [t for t in fork_run.of_type(TOPIC) if t.outputs["name"] == f"{FORK}-dev-alarms"]
    (policy,) = [p for p in fork_run.of_type(TOPIC_POLICY) if p.inputs["arn"] == topic.arn]
    (from_alarms,) = [s for s in policy.json_input("policy")["Statement"] if s.get("Sid") == "AllowOwnAlarms"]
    admitted = from_alarms["Condition"]["ArnLike"]["aws:SourceArn"]
    alarms = fork_run.of_type(ALARM)

    assert alarms
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [topic.arn], alarm.name
        assert fnmatch.fnmatchcase(alarm.arn or "", admitted), f"the alarm topic refuses {alarm.outputs['name']}"


def test_no_physical_name_keeps_the_old_project_name(fork_run: ProgramRun) -> None:
    named = [r.outputs["name"] for r in fork_run.custom_resources if isinstance(r.outputs.get("name"), str)]

    assert [name for name in named if name.startswith(f"{project_name()}-")] == []


def test_generated_documents_name_the_running_projects_bus(fork_run: ProgramRun) -> None:
    channels = yaml.safe_load(render(fork_run))["channels"]
    # Every channel is the bus's but the WebSocket API's live order status, which no bus carries.
    on_the_bus = {key: c["x-eventbridge"] for key, c in channels.items() if key != LIVE_CHANNEL}

    assert set(channels) - set(on_the_bus) == {LIVE_CHANNEL}
    assert {(c["eventBus"], c["schemaRegistryName"]) for c in on_the_bus.values()} == {(f"{FORK}-dev", f"{FORK}-dev")}
    assert {target.target_name for target in rule_targets(fork_run)} >= {"billing-queue", "email"}
