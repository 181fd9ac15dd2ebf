"""Provisioners for AWS WAF (wafv2): regional web ACLs and their associations (moto's wafv2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner

_FIRST = re.compile(r"^[a-z]")
#: Keys whose values are numbers in AWS's API (the engine sends every number as a float).
_INTEGERS = frozenset({"Priority", "Limit", "EvaluationWindowSec"})
#: Acronyms the provider spells in lower camelCase and AWS's API in capitals.
_RENAMES = {"Ip": "IP", "Arn": "ARN", "CloudwatchMetricsEnabled": "CloudWatchMetricsEnabled"}


def aws_shape(value: Any, key: str = "") -> Any:
    """The provider's camelCase inputs in AWS's PascalCase, numbers as integers where AWS wants them."""
    if isinstance(value, Mapping):
        converted = {}
        for name, item in value.items():
            aws_key = _FIRST.sub(lambda match: match.group(0).upper(), str(name))
            converted[_RENAMES.get(aws_key, aws_key)] = aws_shape(item, aws_key)
        return converted
    if isinstance(value, list):
        return [aws_shape(item, key) for item in value]
    if key in _INTEGERS and isinstance(value, float):
        return int(value)
    return value


def web_acl(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    created = ctx.client("wafv2").create_web_acl(
        Name=str(inputs.get("name") or resource.name),
        Scope=str(inputs["scope"]),
        Description=str(inputs.get("description") or ""),
        DefaultAction=aws_shape(inputs["defaultAction"]),
        Rules=aws_shape(inputs.get("rules") or []),
        VisibilityConfig=aws_shape(inputs["visibilityConfig"]),
    )["Summary"]
    return str(created["Id"]), {"arn": str(created["ARN"]), "lockToken": str(created["LockToken"])}


def web_acl_association(ctx: Context, resource: Declared) -> Provisioned:
    acl, target = str(resource.inputs["webAclArn"]), str(resource.inputs["resourceArn"])
    ctx.client("wafv2").associate_web_acl(WebACLArn=acl, ResourceArn=target)
    return f"{acl},{target}", {}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:wafv2/webAcl:WebAcl": web_acl,
    "aws:wafv2/webAclAssociation:WebAclAssociation": web_acl_association,
}
