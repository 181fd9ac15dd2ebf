"""What every component shares: physical names, per-child transforms, IAM grants, validation."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

# A transform receives a child's constructor kwargs and returns them changed (or None after
# changing them in place). Keys name the child's role: "function", "queue", "dlq", "rule", ...
Transform = Callable[[dict[str, Any]], dict[str, Any] | None]
Transforms = Mapping[str, Transform]

# Physical names in AWS are capped: 64 for functions, roles and rules, 80 for queues, 256 for topics.
MAX_NAME = 64


def physical_name(name: str, suffix: str = "") -> str:
    """`<project>-<stack>-<name><suffix>`: stable across updates and unique per stack."""
    return f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}{suffix}"


def apply_transform(transforms: Transforms | None, role: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Lets the user adjust a child's arguments before it is created (the escape hatch)."""
    transform = (transforms or {}).get(role)
    if transform is None:
        return kwargs
    changed = transform(kwargs)
    return kwargs if changed is None else changed


def check_transforms(transforms: Transforms | None, roles: Iterable[str], problems: list[str]) -> None:
    known = set(roles)
    for role in sorted(set(transforms or {}) - known):
        problems.append(f"transforms: unknown child {role!r} (known: {', '.join(sorted(known))})")


def raise_problems(component: str, name: str, problems: Sequence[str]) -> None:
    """Raises one ValueError listing every problem found in a component's arguments."""
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise ValueError(f"{component} {name!r} has invalid arguments:\n{lines}")


@dataclass(frozen=True)
class BusRef:
    """The event bus a component attaches rules to or puts events on."""

    name: pulumi.Input[str]
    arn: pulumi.Input[str]


@dataclass(frozen=True)
class Grant:
    """One IAM Allow statement: exact actions on exact resources, optionally conditioned.

    Example: `Grant(("dynamodb:GetItem",), (table.arn,))`.
    """

    actions: tuple[str, ...]
    resources: tuple[pulumi.Input[str], ...]
    conditions: Mapping[str, Mapping[str, Any]] | None = None

    def problems(self) -> list[str]:
        found = []
        if not self.actions:
            found.append("a grant has no actions")
        if not self.resources:
            found.append(f"grant {', '.join(self.actions)} names no resource")
        found.extend(f"grant action {action!r} is a wildcard" for action in self.actions if "*" in action)
        found.extend(
            f"grant {', '.join(self.actions)} has a wildcard resource"
            for resource in self.resources
            if isinstance(resource, str) and resource.strip() == "*"
        )
        return found


@dataclass(frozen=True)
class PolicyStatement:
    """A statement for a resource policy (queue, topic, key): principal and conditions spelled out."""

    sid: str
    effect: str
    principal: Mapping[str, Any] | str
    actions: tuple[str, ...]
    resources: tuple[pulumi.Input[str], ...]
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def identity_policy(grants: Sequence[Grant]) -> pulumi.Output[str]:
    """An IAM policy document (JSON) with one Allow statement per grant."""
    statements = [
        {
            "Sid": f"Grant{index}",
            "Effect": "Allow",
            "Action": list(grant.actions),
            "Resource": list(grant.resources),
            **({"Condition": grant.conditions} if grant.conditions else {}),
        }
        for index, grant in enumerate(grants)
    ]
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})


def resource_policy(statements: Sequence[PolicyStatement]) -> pulumi.Output[str]:
    """A resource policy document (JSON) from statements whose values may be Outputs."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": statement.sid,
                    "Effect": statement.effect,
                    "Principal": statement.principal,
                    "Action": list(statement.actions),
                    "Resource": list(statement.resources) if len(statement.resources) > 1 else statement.resources[0],
                    **({"Condition": statement.conditions} if statement.conditions else {}),
                }
                for statement in statements
            ],
        }
    )


def deny_insecure_transport(resources: Sequence[pulumi.Input[str]], action: str) -> PolicyStatement:
    """Refuses any request that does not use TLS."""
    return PolicyStatement(
        sid="DenyInsecureTransport",
        effect="Deny",
        principal="*",
        actions=(action,),
        resources=tuple(resources),
        conditions={"Bool": {"aws:SecureTransport": "false"}},
    )


def assume_role_policy(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def put_events_grant(bus: BusRef, sources: Sequence[str]) -> Grant:
    """`events:PutEvents` on one bus, only for the named sources."""
    return Grant(
        actions=("events:PutEvents",),
        resources=(bus.arn,),
        conditions={"StringEquals": {"events:source": list(sources)}},
    )


def child_opts(parent: pulumi.Resource, **kwargs: Any) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, **kwargs)
