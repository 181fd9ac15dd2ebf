"""Booting from the recorded deployment (localcloud/deploy_cache.py): a cold boot evaluates the real program and
records the run; a boot of the same program replays it into moto without evaluating, and gives the same cloud;
a different program (another fingerprint), a damaged file or a run moto does not reproduce is evaluated again.

Each test boots its own cloud (the module is not ``shared_cloud``), with the recordings in a temporary directory.
"""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from devtools.graph import plain
from devtools.program import ProgramRun, load_stack_config, project_name
from localcloud import deploy_cache
from localcloud.bench import bench
from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper, is_settled

STACK = "dev"
#: Six boots, five of them cold: the longest module of the layer (tests/e2e/conftest.py).
pytestmark = pytest.mark.many_boots


@pytest.fixture(scope="module")
def cache_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("deploy-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(deploy_cache, "CACHE_DIRECTORY", directory)
        yield directory


def current_fingerprint() -> str:
    return deploy_cache.fingerprint(STACK, load_stack_config(STACK), project_name())


def deployed_graph(run: ProgramRun) -> list[str]:
    """Every resource with its inputs and the id and outputs moto gave it (assets compared by content)."""
    return sorted(
        json.dumps(
            [resource.typ, resource.name, resource.id, plain(resource.inputs), plain(resource.outputs)],
            sort_keys=True,
            default=repr,
        )
        for resource in run.resources
    )


def declared(run: ProgramRun) -> list[tuple[str, str]]:
    """The resources by type and name: what two evaluations share (moto's ids follow the order the evaluation
    happened to provision in, which its threads decide)."""
    return sorted((resource.typ, resource.name) for resource in run.resources)


def counts(inventory: dict[str, Any]) -> dict[str, int]:
    return {kind: len(found) for kind, found in inventory.items()}


def moto_inventory(cloud: LocalCloud) -> dict[str, Any]:
    """What moto holds, read back through its API."""
    clients = cloud.clients
    return {
        "queues": sorted(clients("sqs").list_queues().get("QueueUrls", [])),
        "tables": sorted(clients("dynamodb").list_tables()["TableNames"]),
        "streams": sorted(stream["StreamArn"] for stream in clients("dynamodbstreams").list_streams()["Streams"]),
        "functions": sorted(f["FunctionArn"] for f in clients("lambda").list_functions()["Functions"]),
        "roles": sorted((r["RoleName"], r["RoleId"]) for r in clients("iam").list_roles()["Roles"]),
        "rest_apis": sorted((a["name"], a["id"]) for a in clients("apigateway").get_rest_apis()["items"]),
        "user_pools": sorted(p["Id"] for p in clients("cognito-idp").list_user_pools(MaxResults=10)["UserPools"]),
        "rules": sorted(
            rule["Arn"]
            for bus in clients("events").list_event_buses()["EventBuses"]
            for rule in clients("events").list_rules(EventBusName=bus["Name"])["Rules"]
        ),
        "state_machines": sorted(
            machine["stateMachineArn"] for machine in clients("stepfunctions").list_state_machines()["stateMachines"]
        ),
    }


def an_order_settles(cloud: LocalCloud) -> None:
    shopper = Shopper(cloud.api, email="cache@example.com")
    order_id = shopper.place_order([("MUG-LOGO", 1)])
    cloud.wait_idle()
    assert is_settled(shopper.order(order_id)), f"order {order_id} did not settle"


@pytest.fixture(scope="module")
def cold(cache_directory: Path) -> tuple[list[str], dict[str, Any]]:
    """A boot that evaluates the real program (the cache is not read), and what it deployed."""
    with LocalCloud.boot(STACK, reuse_deployment=False) as cloud:
        assert cloud.boot_path == "cold"
        an_order_settles(cloud)
        return deployed_graph(cloud.deployment.run), moto_inventory(cloud)


def test_a_cold_boot_evaluates_the_program_and_records_its_run(cold: tuple[list[str], dict[str, Any]]) -> None:
    graph, inventory = cold
    recorded = deploy_cache.load(STACK, current_fingerprint())
    assert recorded is not None, "the cold boot recorded its run under the program's fingerprint"
    assert deployed_graph(recorded.run) == graph
    assert len(inventory["functions"]) == 12 and inventory["rest_apis"] and inventory["streams"]


def test_a_boot_of_the_same_program_replays_the_run_and_gives_the_same_cloud(
    cold: tuple[list[str], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_evaluation(*_: object, **__: object) -> ProgramRun:
        raise AssertionError("the program was evaluated although its recorded run matches")

    monkeypatch.setattr(deploy_cache, "run_program", no_evaluation)
    with LocalCloud.boot(STACK) as cloud:
        assert cloud.boot_path == "cached"
        assert deployed_graph(cloud.deployment.run) == cold[0]
        assert moto_inventory(cloud) == cold[1], "moto holds the same resources with the same ids"
        an_order_settles(cloud)


def test_another_program_is_evaluated_and_recorded_again(cold: tuple[list[str], dict[str, Any]]) -> None:
    recorded = deploy_cache.load(STACK, current_fingerprint())
    assert recorded is not None
    deploy_cache.store(STACK, replace(recorded, fingerprint="another program"))
    with LocalCloud.boot(STACK) as cloud:
        assert cloud.boot_path == "cold"
        evaluated = cloud.deployment.run
        assert declared(evaluated) == declared(recorded.run)
    again = deploy_cache.load(STACK, current_fingerprint())
    assert again is not None and deployed_graph(again.run) == deployed_graph(evaluated), "recorded again"


def test_a_damaged_recording_is_ignored_and_recorded_again(cold: tuple[list[str], dict[str, Any]]) -> None:
    deploy_cache.cache_file(STACK).write_bytes(pickle.dumps(current_fingerprint())[:-3])
    with LocalCloud.boot(STACK) as cloud:
        assert cloud.boot_path == "cold"
        evaluated = cloud.deployment.run
        assert len(evaluated.resources) == len(cold[0])
    again = deploy_cache.load(STACK, current_fingerprint())
    assert again is not None and deployed_graph(again.run) == deployed_graph(evaluated)


def test_a_run_moto_does_not_reproduce_is_dropped_and_the_program_evaluated(
    cold: tuple[list[str], dict[str, Any]],
) -> None:
    recorded = deploy_cache.load(STACK, current_fingerprint())
    assert recorded is not None
    [api] = recorded.run.of_type("aws:apigateway/restApi:RestApi")
    api.id = "0000000000"
    deploy_cache.store(STACK, recorded)
    with LocalCloud.boot(STACK) as cloud:
        assert cloud.boot_path == "cold"
        [note] = [entry.message for entry in cloud.trace.entries(kind="deploy") if "not reproduced" in entry.message]
        assert "aws:apigateway/restApi:RestApi" in note and "0000000000" in note
        assert declared(cloud.deployment.run) == declared(recorded.run)
        assert counts(moto_inventory(cloud)) == counts(cold[1]), "moto was emptied before the evaluation"
        an_order_settles(cloud)


@pytest.mark.parametrize(("cold_flag", "path"), [(True, "cold"), (False, "cached")])
def test_the_bench_names_the_path_its_boot_took(
    cold: tuple[list[str], dict[str, Any]], cold_flag: bool, path: str
) -> None:
    output = io.StringIO()
    bench(STACK, 2, Console(file=output, width=160), timeout=120.0, cold=cold_flag)
    [row] = [line for line in output.getvalue().splitlines() if "boot path" in line]
    assert path in row
