"""A disabled tracer never loads the X-Ray SDK; an enabled one still traces through X-Ray.

Each case runs in a fresh interpreter, as a Lambda cold start does: Powertools' Tracer configuration is
process-wide, so only a new process shows what a handler module's import does to it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def _cold_import(trace_disabled: str) -> dict[str, object]:
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
        "POWERTOOLS_TRACE_DISABLED": trace_disabled,
    }
    output = subprocess.run(  # noqa: S603 - this interpreter, a fixed probe
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    answer: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return answer


def test_a_disabled_tracer_never_loads_xray_and_still_runs_the_traced_code() -> None:
    answer = _cold_import("true")
    assert answer == {
        "xray_core_loaded": False,
        "provider": "handlers.shared.tracing.SilentProvider",
        "disabled": True,
        "traced": "ran",
    }


@pytest.mark.parametrize("value", ["false", "0"])
def test_an_enabled_tracer_still_traces_through_xray(value: str) -> None:
    answer = _cold_import(value)
    assert answer["xray_core_loaded"] is True
    assert answer["provider"] == "aws_xray_sdk.core.async_recorder.AsyncAWSXRayRecorder"
    assert answer["disabled"] is False
