"""Cognito user pools and their app clients (moto's cognito-idp issues real RS256 tokens).

Outputs follow the provider: a pool's id is ``<region>_<suffix>``, its ``endpoint`` is
``cognito-idp.<region>.amazonaws.com/<id>``; a client's id is its client id.
"""

from __future__ import annotations

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner


def user_pool(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    policy = inputs.get("passwordPolicy") or {}
    admin_only = bool((inputs.get("adminCreateUserConfig") or {}).get("allowAdminCreateUserOnly"))
    pool = ctx.client("cognito-idp").create_user_pool(
        PoolName=resource.name,
        UsernameAttributes=list(inputs.get("usernameAttributes") or []),
        AutoVerifiedAttributes=list(inputs.get("autoVerifiedAttributes") or []),
        DeletionProtection=inputs.get("deletionProtection") or "INACTIVE",
        MfaConfiguration=inputs.get("mfaConfiguration") or "OFF",
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": admin_only},
        Policies={
            "PasswordPolicy": {
                "MinimumLength": int(policy.get("minimumLength") or 8),
                "RequireUppercase": bool(policy.get("requireUppercase")),
                "RequireLowercase": bool(policy.get("requireLowercase")),
                "RequireNumbers": bool(policy.get("requireNumbers")),
                "RequireSymbols": bool(policy.get("requireSymbols")),
            }
        },
    )["UserPool"]
    region = pool["Id"].split("_", 1)[0]
    return pool["Id"], {"arn": pool["Arn"], "endpoint": f"cognito-idp.{region}.amazonaws.com/{pool['Id']}"}


def user_pool_client(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    client = ctx.client("cognito-idp").create_user_pool_client(
        UserPoolId=str(inputs["userPoolId"]),
        ClientName=resource.name,
        GenerateSecret=bool(inputs.get("generateSecret")),
        ExplicitAuthFlows=list(inputs.get("explicitAuthFlows") or []),
        PreventUserExistenceErrors=inputs.get("preventUserExistenceErrors") or "LEGACY",
        # What the client may read is what its ID tokens carry (email_verified among them).
        ReadAttributes=list(inputs.get("readAttributes") or []),
        WriteAttributes=list(inputs.get("writeAttributes") or []),
    )["UserPoolClient"]
    return client["ClientId"], {"clientSecret": client.get("ClientSecret", "")}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:cognito/userPool:UserPool": user_pool,
    "aws:cognito/userPoolClient:UserPoolClient": user_pool_client,
}
