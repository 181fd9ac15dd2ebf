"""A disabled tracer never loads the X-Ray SDK; an enabled one still traces through X-Ray.

Each case runs in a fresh interpreter, as a Lambda cold start does: Powertools' Tracer configuration is
process-wide, so only a new process shows what a handler module's import does to it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.forked_probes import Finished, Probe, run_forked

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
import handlers.warehouse.app as app
from aws_lambda_powertools.tracing.base import BaseProvider
traced = app.tracer.capture_method(lambda: "ran")()
with app.tracer.provider.in_subsegment("## probe") as segment:
    segment.put_annotation("order", "o-1")
    segment.put_metadata("result", {"ok": True})
print(json.dumps({
    "xray_core_loaded": "aws_xray_sdk.core" in sys.modules,
    "provider": type(app.tracer.provider).__module__ + "." + type(app.tracer.provider).__name__,
    "disabled": bool(app.tracer.disabled),
    "traced": traced,
}))
"""


#: What every probe imports first, before the handler: boto3, about two thirds of a probe's CPU, reads none of
#: Powertools' settings, so one interpreter imports it and forks a probe per setting (tests/forked_probes.py).
PRELUDE = "import boto3"
#: The settings the probes cover, as ``POWERTOOLS_TRACE_DISABLED``.
SETTINGS = ("true", "false", "0")


@pytest.fixture(scope="module")
def cold_imports() -> dict[str, Finished]:
    """Each setting's cold start of the warehouse handler (a test reads its own, so one failing fails only its test)."""
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "IDEMPOTENCY_TABLE": "idempotency",
        "INVENTORY_TABLE": "inventory",
        "RESERVATIONS_TABLE": "reservations",
        "EVENT_BUS_NAME": "bus",
        "EVENT_SOURCE": "eventshop.warehouse",
        "LAMBDA_TASK_ROOT": str(ROOT),
    }
    probes = [Probe(value, PROBE, environment={"POWERTOOLS_TRACE_DISABLED": value}) for value in SETTINGS]
    return run_forked(PRELUDE, probes, cwd=ROOT, environment=env)


def answer_of(finished: Finished) -> dict[str, object]:
    assert finished.returncode == 0, finished.stderr[-2000:]
    answer: dict[str, object] = json.loads(finished.stdout.strip().splitlines()[-1])
    return answer


def test_a_disabled_tracer_never_loads_xray_and_still_runs_the_traced_code(
    cold_imports: dict[str, Finished],
) -> None:
    assert answer_of(cold_imports["true"]) == {
        "xray_core_loaded": False,
        "provider": "handlers.shared.tracing.SilentProvider",
        "disabled": True,
        "traced": "ran",
    }


@pytest.mark.parametrize("value", ["false", "0"])
def test_an_enabled_tracer_still_traces_through_xray(cold_imports: dict[str, Finished], value: str) -> None:
    answer = answer_of(cold_imports[value])
    assert answer["xray_core_loaded"] is True
    assert answer["provider"] == "aws_xray_sdk.core.async_recorder.AsyncAWSXRayRecorder"
    assert answer["disabled"] is False
