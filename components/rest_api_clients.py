"""The usage plan of a RestApi's registered client applications: one API key each, with per-client limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi_aws as aws

from components.base import physical_name
from components.rest_api_args import RestApiArgs


def usage_plan(
    build: Callable[..., Any],
    name: str,
    rest_api: aws.apigateway.RestApi,
    stage: aws.apigateway.Stage,
    args: RestApiArgs,
) -> tuple[aws.apigateway.UsagePlan | None, dict[str, aws.apigateway.ApiKey]]:
    """One usage plan holding each registered client's key, with the per-client limits."""
    if not args.clients or args.client_throttle is None:
        return None, {}
    plan = build(
        aws.apigateway.UsagePlan,
        f"{name}-usage-plan",
        "usage_plan",
        defaults={"description": "Per-client throttling: each registered client application has its own key."},
        required={
            "name": physical_name(name, "-clients"),
            "api_stages": [{"api_id": rest_api.id, "stage": stage.stage_name}],
            "throttle_settings": {
                "rate_limit": args.client_throttle.rate_limit,
                "burst_limit": args.client_throttle.burst_limit,
            },
        },
    )
    keys: dict[str, aws.apigateway.ApiKey] = {}
    for client in args.clients:
        keys[client.name] = build(
            aws.apigateway.ApiKey,
            f"{name}-key-{client.name}",
            "api_key",
            defaults={"description": f"The {client.name} client application (identifies it; never a credential)."},
            required={
                "name": physical_name(name, f"-{client.name}"),
                "enabled": True,
                "tags": {"client": client.name},
            },
        )
        build(
            aws.apigateway.UsagePlanKey,
            f"{name}-plan-key-{client.name}",
            "usage_plan_key",
            required={"key_id": keys[client.name].id, "key_type": "API_KEY", "usage_plan_id": plan.id},
        )
    return plan, keys
