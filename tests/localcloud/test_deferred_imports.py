"""localcloud.deferred_imports: importing the local cloud no longer imports moto's Batch models and EC2, and
whoever uses them later gets the packages moto would have made (checked in a fresh interpreter, since the test
worker has imported much of moto already)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types

import pytest

from devtools.program import ROOT
from localcloud import deferred_imports

#: Run in a fresh interpreter: what ``import localcloud.cloud`` imported, then Batch and EC2 used. The probe lives
#: a few seconds and keeps everything it makes, so it turns the cyclic garbage collector off: its collections were
#: a quarter of the probe's CPU, and it changes nothing that is imported or answered. Once its report is printed it
#: leaves without finalizing the interpreter (as a test worker does, tests/worker_exit.py): tearing down the modules
#: it imported, whole-heap collections among it, was a third of the probe's CPU and half its time.
_PROBE = """
import gc
gc.disable()
import json, os, sys
import localcloud.cloud
from localcloud import moto_footprint
moto_footprint.install()
seen = {"ec2_at_import": "moto.ec2" in sys.modules, "batch_models_at_import": "moto.batch.models" in sys.modules}
import moto.apigateway.models
seen["validator_with_api_gateway"] = "openapi_spec_validator.shortcuts" in sys.modules
import boto3
import moto.batch
from moto import mock_aws
from moto.batch.utils import JobStatus
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_batch
with mock_aws():
    batch = boto3.client("batch", region_name="eu-west-1")
    seen["compute_environments"] = batch.describe_compute_environments()["computeEnvironments"]
    apigateway = boto3.client("apigateway", region_name="eu-west-1")
    info = {"title": "shop", "description": "orders", "version": "1"}
    document = {"openapi": "3.0.0", "info": info, "paths": {"/orders": {"get": {}}}}
    api = apigateway.import_rest_api(body=json.dumps(document))
    seen["imported_paths"] = sorted(r["path"] for r in apigateway.get_resources(restApiId=api["id"])["items"])
    try:
        apigateway.import_rest_api(failOnWarnings=True, body=json.dumps({"openapi": "3.0.0", "paths": 7}))
    except apigateway.exceptions.BadRequestException as error:
        seen["invalid_body"] = error.response["Error"]["Message"]
    from openapi_spec_validator import validate
    seen["validate_is_the_packages"] = validate.__module__
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    seen["offerings"] = len(ec2.describe_instance_type_offerings()["InstanceTypeOfferings"])
from moto.ec2.models import instance_types
seen["batch_backends"] = type(moto.batch.batch_backends).__name__
seen["same_enum"] = state_task_service_batch.JobStatus is JobStatus
seen["tables"] = sorted({type(t).__name__ for t in instance_types.INSTANCE_TYPE_OFFERINGS.values()})
print(json.dumps(seen))
sys.stdout.flush()
os._exit(0)
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, object]:
    # moto's EC2 backend loads its thousands of default AMIs when first made: a tenth of the probe's CPU, for
    # images the probe never asks about (the offerings it reads are moto_footprint's, which this leaves alone).
    environment = {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
    finished = subprocess.run(  # noqa: S603 - this interpreter, a fixed probe
        [sys.executable, "-c", _PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return dict(json.loads(finished.stdout.strip().splitlines()[-1]))


def test_importing_the_local_cloud_imports_neither_batch_models_nor_ec2(probe: dict[str, object]) -> None:
    assert probe["ec2_at_import"] is False
    assert probe["batch_models_at_import"] is False


def test_batch_and_ec2_answer_when_used(probe: dict[str, object]) -> None:
    assert probe["compute_environments"] == []
    assert probe["batch_backends"] == "BackendDict"
    assert probe["same_enum"] is True
    assert isinstance(probe["offerings"], int) and probe["offerings"] > 0


def test_api_gateway_imports_the_openapi_validator_only_to_validate_a_body(probe: dict[str, object]) -> None:
    assert probe["validator_with_api_gateway"] is False
    assert probe["imported_paths"] == ["/", "/orders"]
    assert "validat" in str(probe["invalid_body"]).lower()
    assert probe["validate_is_the_packages"] == "openapi_spec_validator.shortcuts"


def test_ec2_imported_later_still_gets_the_on_demand_offerings(probe: dict[str, object]) -> None:
    assert probe["tables"] == ["RegionOfferings"]


def test_after_import_calls_back_at_once_for_an_imported_module() -> None:
    called: list[types.ModuleType] = []
    deferred_imports.after_import("json", called.append)
    assert called == [json]


def test_another_moto_version_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    finder = deferred_imports._finder
    monkeypatch.setattr(finder, "deferred", {})
    deferred_imports.install(version="0.0.1")
    assert finder.deferred == {}
