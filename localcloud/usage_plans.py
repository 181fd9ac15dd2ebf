"""The REST API's usage plans, locally: which API keys a method that requires one accepts.

API Gateway accepts a key (header ``x-api-key``) on a method with ``apiKeyRequired`` only when the key is
enabled and in a usage plan of the API's stage; anything else answers ``403 {"message": "Forbidden"}``. The
plan's throttle and quota are stored in moto but, like the stage's throttling, not enforced locally.
"""

from __future__ import annotations

from collections.abc import Mapping

from devtools.program import ProgramRun

USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan"
API_KEY = "aws:apigateway/apiKey:ApiKey"
USAGE_PLAN_KEY = "aws:apigateway/usagePlanKey:UsagePlanKey"
HEADER = "x-api-key"


def client_keys(run: ProgramRun, api_id: str, stage: str) -> dict[str, str]:
    """``{client name: key value}`` for every enabled key in a usage plan of the API's stage (the client is
    the key's ``client`` tag)."""
    plans = {
        plan.id
        for plan in run.of_type(USAGE_PLAN)
        if any(
            str(s.get("apiId")) == api_id and str(s.get("stage")) == stage for s in plan.inputs.get("apiStages") or []
        )
    }
    in_plans = {str(k.inputs["keyId"]) for k in run.of_type(USAGE_PLAN_KEY) if str(k.inputs["usagePlanId"]) in plans}
    return {
        str((key.inputs.get("tags") or {}).get("client") or key.name): str(key.outputs["value"])
        for key in run.of_type(API_KEY)
        if key.id in in_plans and key.inputs.get("enabled") is not False
    }


def has_valid_key(headers: Mapping[str, str], keys: Mapping[str, str]) -> bool:
    given = next((value for name, value in headers.items() if name.lower() == HEADER), None)
    return given is not None and given in keys.values()
