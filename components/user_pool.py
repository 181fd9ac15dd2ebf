"""UserPool: a Cognito user pool that signs people in by email, with one public app client for a browser."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import (
    Transforms,
    check_transforms,
    child,
    kept,
    physical_name,
    raise_problems,
    region_name,
)

USER_POOL_CHILDREN = ("pool", "client")
MFA_MODES = ("OFF", "OPTIONAL", "ON")
# Cognito bounds an ID token's life to between 5 minutes and a day.
ID_TOKEN_MINUTES = (5, 1440)


@dataclass(frozen=True, kw_only=True)
class UserPoolArgs:
    """mfa: "OFF", "OPTIONAL" or "ON" (authenticator apps, never SMS), default "OPTIONAL".
    deletion_protection: Cognito refuses to delete the pool, default True.
    protect: refuse `pulumi destroy` and keep the pool if removed from the program, default False.
    self_sign_up: people may register themselves (their email is verified), default True.
    id_token_minutes: how long an ID token is valid, default 60.
    refresh_token_days: how long a session may be renewed without a password, default 30.
    """

    mfa: str = "OPTIONAL"
    deletion_protection: bool = True
    protect: bool = False
    self_sign_up: bool = True
    id_token_minutes: int = 60
    refresh_token_days: int = 30


def _validate(args: UserPoolArgs, transforms: Transforms | None) -> list[str]:
    problems: list[str] = []
    check_transforms(transforms, USER_POOL_CHILDREN, problems)
    if args.mfa not in MFA_MODES:
        problems.append(f"mfa {args.mfa!r} is not one of {', '.join(MFA_MODES)}")
    low, high = ID_TOKEN_MINUTES
    if not low <= args.id_token_minutes <= high:
        problems.append(f"id_token_minutes {args.id_token_minutes} is not between {low} and {high}")
    if not 1 <= args.refresh_token_days <= 3650:
        problems.append(f"refresh_token_days {args.refresh_token_days} is not between 1 and 3650")
    return problems


class UserPool(pulumi.ComponentResource):
    """People who sign in with their email address, and the app client a browser signs in through.

    The client has no secret (a browser cannot keep one), refuses to say whether an address is registered,
    and can revoke its refresh tokens. API Gateway's Cognito authorizer checks the pool's ID tokens
    (`issuer`, audience `client_id`).

    users = UserPool("users", UserPoolArgs(mfa="OFF"))
    users.pool.arn, users.client.id, users.issuer
    """

    pool: aws.cognito.UserPool
    client: aws.cognito.UserPoolClient
    issuer: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: UserPoolArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:UserPool", name, None, opts)
        raise_problems("UserPool", name, _validate(args, transforms))

        mfa_on = args.mfa != "OFF"
        self.pool = child(
            aws.cognito.UserPool,
            f"{name}-pool",
            self,
            transforms,
            "pool",
            defaults={
                "auto_verified_attributes": ["email"],
                "username_configuration": {"case_sensitive": False},
                "password_policy": {
                    "minimum_length": 12,
                    "require_lowercase": True,
                    "require_uppercase": True,
                    "require_numbers": True,
                    "require_symbols": True,
                    "temporary_password_validity_days": 3,
                },
                "account_recovery_setting": {
                    "recovery_mechanisms": [{"name": "verified_email", "priority": 1}],
                },
                "admin_create_user_config": {"allow_admin_create_user_only": not args.self_sign_up},
            },
            required={
                "name": physical_name(name),
                # The email is the sign-in name and the claim the API reads the customer's address from.
                "username_attributes": ["email"],
                "deletion_protection": "ACTIVE" if args.deletion_protection else "INACTIVE",
                "mfa_configuration": args.mfa,
                "software_token_mfa_configuration": {"enabled": mfa_on},
            },
            opts=kept(args.protect),
        )
        self.client = child(
            aws.cognito.UserPoolClient,
            f"{name}-client",
            self,
            transforms,
            "client",
            defaults={
                # Password sign-in over TLS for the storefront, SRP for SDKs, refresh to stay signed in.
                "explicit_auth_flows": [
                    "ALLOW_USER_PASSWORD_AUTH",
                    "ALLOW_USER_SRP_AUTH",
                    "ALLOW_REFRESH_TOKEN_AUTH",
                ],
                "read_attributes": ["email", "email_verified"],
                "write_attributes": ["email"],
            },
            required={
                "name": physical_name(name, "-web"),
                "user_pool_id": self.pool.id,
                "generate_secret": False,
                "prevent_user_existence_errors": "ENABLED",
                "enable_token_revocation": True,
                "id_token_validity": args.id_token_minutes,
                "access_token_validity": args.id_token_minutes,
                "refresh_token_validity": args.refresh_token_days,
                "token_validity_units": {
                    "id_token": "minutes",
                    "access_token": "minutes",
                    "refresh_token": "days",
                },
            },
        )
        self.issuer = pulumi.Output.format("https://cognito-idp.{0}.amazonaws.com/{1}", region_name(self), self.pool.id)
        self.register_outputs({"user_pool_id": self.pool.id, "client_id": self.client.id, "issuer": self.issuer})
