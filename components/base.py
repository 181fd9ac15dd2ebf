"""What every component shares: physical names, per-child transforms, IAM grants, validation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pulumi
import pulumi_aws as aws

# A transform receives a child's constructor kwargs and resource options and returns them changed, as
# `(args, opts)`, or None after changing them in place. Keys name the child's role: "function", "queue",
# "dlq", "rule", ... (each component lists its roles in its `..._CHILDREN`).
TransformResult = tuple[dict[str, Any], pulumi.ResourceOptions] | None
Transform = Callable[[dict[str, Any], pulumi.ResourceOptions], TransformResult]
Transforms = Mapping[str, Transform]
R = TypeVar("R", bound=pulumi.Resource)

# Physical names in AWS are capped: 64 for functions, roles and rules, 80 for queues, 256 for topics.
MAX_NAME = 64


def name_prefix() -> str:
    """`<project>-<stack>`, from the engine (Pulumi.yaml's name, the selected stack): the one source of the
    prefix every physical name carries, so a renamed project or a second stack never collides."""
    return f"{pulumi.get_project()}-{pulumi.get_stack()}"


def physical_name(name: str, suffix: str = "") -> str:
    """`<project>-<stack>-<name><suffix>`: stable across updates and unique per stack."""
    return f"{name_prefix()}-{name}{suffix}"


def child_args(
    transforms: Transforms | None,
    role: str,
    defaults: Mapping[str, Any],
    required: Mapping[str, Any],
    required_opts: pulumi.ResourceOptions,
) -> tuple[dict[str, Any], pulumi.ResourceOptions]:
    """A child's constructor kwargs and options, in this order: the secure defaults, then the user's transform
    of (args, opts), then what the pattern requires to work (its names, wiring, parent, dependencies and
    aliases), last, so that no transform can change or remove it. A required object (a dict) goes over the
    user's object of that name key by key, so the keys the pattern does not set stay the user's. Required
    options merge over the user's: scalars (parent, protect) replace theirs, lists (depends_on, aliases) add
    to theirs."""
    args, opts = dict(defaults), pulumi.ResourceOptions()
    transform = (transforms or {}).get(role)
    if transform is not None:
        changed = transform(args, opts)
        if changed is not None:
            args, opts = changed
    for key, value in required.items():
        user = args.get(key)
        args[key] = {**user, **value} if isinstance(user, dict) and isinstance(value, Mapping) else value
    return args, pulumi.ResourceOptions.merge(opts, required_opts)


def child(
    resource: Callable[..., R],
    name: str,
    owner: pulumi.Resource,
    transforms: Transforms | None,
    role: str,
    *,
    defaults: Mapping[str, Any] | None = None,
    required: Mapping[str, Any] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> R:
    """Creates one child of `owner` through `child_args`: every child of every component is built here.

    `opts` holds what the pattern requires of the options (depends_on, protect, aliases); the parent is
    always `owner`.
    """
    required_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=owner))
    args, options = child_args(transforms, role, defaults or {}, required or {}, required_opts)
    return resource(name, **args, opts=options)


def invoke_permission(
    owner: pulumi.Resource,
    name: str,
    transforms: Transforms | None,
    *,
    function: aws.lambda_.Function,
    principal: str,
    source_arn: pulumi.Input[str],
    source_account: pulumi.Input[str] | None = None,
) -> aws.lambda_.Permission:
    """`<name>`: `principal` may invoke `function` only on behalf of `source_arn` (and `source_account`, when
    the source ARN does not name an account): the confused deputy problem's answer, one permission per source."""
    required: dict[str, Any] = {
        "action": "lambda:InvokeFunction",
        "function": function.name,
        "principal": principal,
        "source_arn": source_arn,
    }
    if source_account is not None:
        required["source_account"] = source_account
    return child(aws.lambda_.Permission, name, owner, transforms, "permission", required=required)


def least_privilege_role(
    owner: pulumi.Resource,
    name: str,
    transforms: Transforms | None,
    *,
    trust: pulumi.Input[str],
    grants: Sequence[Grant],
    suffix: str = "-role",
    policy_suffix: str = "-policy",
    policy_name: str = "least-privilege",
    roles: tuple[str, str] = ("role", "policy"),
    role_name: str | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """A role `<name><suffix>` (in Pulumi and IAM) that `trust` lets assume, and its one inline policy
    `<name><policy_suffix>` allowing exactly `grants`. `roles` are the two children's transform roles.
    `role_name` is the role's IAM name when it is not `physical_name(name, suffix)` (a role deployed under
    another name keeps it: renaming an IAM role replaces it)."""
    role = child(
        aws.iam.Role,
        f"{name}{suffix}",
        owner,
        transforms,
        roles[0],
        required={"name": role_name or physical_name(name, suffix), "assume_role_policy": trust},
        opts=opts,
    )
    policy = child(
        aws.iam.RolePolicy,
        f"{name}{policy_suffix}",
        owner,
        transforms,
        roles[1],
        required={"name": policy_name, "role": role.id, "policy": identity_policy(grants)},
        opts=opts,
    )
    return role, policy


def create_log_group(
    owner: pulumi.Resource,
    name: str,
    transforms: Transforms | None,
    retention_days: int,
    log_group_name: str,
    *,
    suffix: str = "-logs",
    role: str = "log_group",
) -> aws.cloudwatch.LogGroup:
    """`<name><suffix>`: the log group a service writes to under its own name (the pattern's), kept for the
    stack's retention (a default). `role` is the child's transform role."""
    return child(
        aws.cloudwatch.LogGroup,
        f"{name}{suffix}",
        owner,
        transforms,
        role,
        defaults={"retention_in_days": retention_days},
        required={"name": log_group_name},
    )


def moved_from_parent(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """Options for the children of a component drawn out of its parent (RuleDelivery, ScheduleTarget): each
    child carries an alias to that parent, under which it was created before, so `pulumi up` on a stack
    deployed earlier moves it in place instead of replacing it. An alias that matches nothing is ignored."""
    parent = opts.parent if opts else None
    return pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=parent)] if parent else None)


def kept(protect: bool) -> pulumi.ResourceOptions:
    """Options for a stateful child: protected from `pulumi destroy`, and kept if removed from the program.
    Unset (not False) when not asked, so a user's transform may still protect it."""
    return pulumi.ResourceOptions(protect=protect or None, retain_on_delete=protect or None)


def transforms_for(transforms: Transforms | None, roles: Iterable[str]) -> Transforms:
    """The part of a component's transforms that applies to a nested component's children."""
    wanted = set(roles)
    return {role: transform for role, transform in (transforms or {}).items() if role in wanted}


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
    """The event bus a component attaches rules to or puts events on.

    name: the bus's name (the account's own bus is named "default"). arn: its ARN.
    """

    name: pulumi.Input[str]
    arn: pulumi.Input[str]


@dataclass(frozen=True)
class Grant:
    """One IAM Allow statement: exact actions on exact resources, optionally conditioned.

    Example: `Grant(("dynamodb:GetItem",), (table.arn,))`.
    actions: exact actions, never wildcards. resources: exact ARNs, never "*".
    conditions: the statement's Condition block, default none. sid: the statement's id, default none (`Grant<n>`,
    its place in the policy).
    """

    actions: tuple[str, ...]
    resources: tuple[pulumi.Input[str], ...]
    conditions: Mapping[str, Mapping[str, Any]] | None = None
    sid: str | None = None

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
    """A statement for a resource policy (queue, topic, key): principal and conditions spelled out.

    sid: the statement's id. effect: Allow or Deny. principal: who ("*" or a principal block).
    actions: what. resources: on what. conditions: the Condition block, default none.
    """

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
            "Sid": grant.sid or f"Grant{index}",
            "Effect": "Allow",
            "Action": list(grant.actions),
            "Resource": list(grant.resources),
            **({"Condition": grant.conditions} if grant.conditions else {}),
        }
        for index, grant in enumerate(grants)
    ]
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})


def statement_document(statement: PolicyStatement, *, bare_single_action: bool = False) -> dict[str, Any]:
    """One statement as policy JSON data. `bare_single_action` writes a lone action as a string, as the
    bucket policies have always been written (respelling it would rewrite every deployed bucket policy)."""
    bare = bare_single_action and len(statement.actions) == 1
    return {
        "Sid": statement.sid,
        "Effect": statement.effect,
        "Principal": statement.principal,
        "Action": statement.actions[0] if bare else list(statement.actions),
        "Resource": list(statement.resources) if len(statement.resources) > 1 else statement.resources[0],
        **({"Condition": statement.conditions} if statement.conditions else {}),
    }


def resource_policy(statements: Sequence[PolicyStatement]) -> pulumi.Output[str]:
    """A resource policy document (JSON) from statements whose values may be Outputs."""
    return pulumi.Output.json_dumps(
        {"Version": "2012-10-17", "Statement": [statement_document(statement) for statement in statements]}
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


#: One ARN, or several (any of them), for a trust policy's aws:SourceArn.
SourceArns = pulumi.Input[str] | Sequence[pulumi.Input[str]]


def assume_role_policy(
    service: str,
    source_account: pulumi.Input[str],
    source_arn: SourceArns | None = None,
) -> pulumi.Output[str]:
    """A trust policy letting one AWS service assume the role, only on behalf of this account and, where
    the service documents the ARN it acts for, only of that resource (the confused deputy problem:
    IAM User Guide, "Cross-service confused deputy prevention",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html). Which services get which keys,
    and the documentation of each: see `components/trust.py`."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": source_account}}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                    "Condition": condition,
                }
            ],
        }
    )


def account_id(owner: pulumi.Resource) -> pulumi.Output[str]:
    """The deploying account, through the owner's provider."""
    return aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=owner)).account_id


def region_name(owner: pulumi.Resource) -> pulumi.Output[str]:
    """The region the owner's provider deploys to."""
    return aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=owner)).region


def put_events_grant(bus: BusRef, sources: Sequence[str]) -> Grant:
    """`events:PutEvents` on one bus, only for the named sources."""
    return Grant(
        actions=("events:PutEvents",),
        resources=(bus.arn,),
        conditions={"StringEquals": {"events:source": list(sources)}},
    )
