"""Step Functions state machines, executed for real: the local cloud's ``mock_aws`` runs with
``execute_state_machine`` on.
"""

from __future__ import annotations

from typing import Any

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner


def state_machine(ctx: Context, resource: Declared) -> Provisioned:
    """Executed for real: the local cloud's ``mock_aws`` runs with ``execute_state_machine`` on."""
    inputs = resource.inputs
    kwargs: dict[str, Any] = {
        "name": resource.name,
        "definition": ctx.json_text(inputs["definition"]),
        "roleArn": inputs["roleArn"],
        "type": inputs.get("type") or "STANDARD",
    }
    tracing = inputs.get("tracingConfiguration")
    if tracing:
        kwargs["tracingConfiguration"] = {"enabled": bool(tracing.get("enabled"))}
    arn = ctx.client("stepfunctions").create_state_machine(**kwargs)["stateMachineArn"]
    return arn, {"arn": arn}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:sfn/stateMachine:StateMachine": state_machine,
}
