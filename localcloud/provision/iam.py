"""IAM roles (id = name) and inline role policies (id = ``role:name``)."""

from __future__ import annotations

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner


def role(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    created = ctx.client("iam").create_role(
        RoleName=name,
        AssumeRolePolicyDocument=ctx.json_text(inputs["assumeRolePolicy"]),
        Path=inputs.get("path") or "/",
    )["Role"]
    return name, {"arn": created["Arn"], "uniqueId": created["RoleId"]}


def role_policy(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    role_name = str(inputs["role"]).rsplit("/", 1)[-1]
    ctx.client("iam").put_role_policy(
        RoleName=role_name, PolicyName=name, PolicyDocument=ctx.json_text(inputs["policy"])
    )
    return f"{role_name}:{name}", {}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:iam/role:Role": role,
    "aws:iam/rolePolicy:RolePolicy": role_policy,
}
