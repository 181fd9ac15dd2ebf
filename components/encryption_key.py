"""EncryptionKey: a customer-managed KMS key with rotation whose policy names each user and exactly what it may do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import defaults
from components.base import Transforms, account_id, check_transforms, child, raise_problems

KEY_CHILDREN = ("key",)
#: Data-plane actions a user may be given; key administration stays with the account's IAM administrators.
USER_ACTIONS = frozenset({"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"})


def rotating_key(
    owner: pulumi.Resource,
    name: str,
    transforms: Transforms | None,
    *,
    description: str,
    statements: Sequence[Mapping[str, Any]],
    opts: pulumi.ResourceOptions | None = None,
) -> aws.kms.Key:
    """A customer-managed key `<name>-key` whose policy is exactly `statements`, rotated every year (the
    rotation, the description and the policy are what the pattern requires; the deletion window is a default)."""
    return child(
        aws.kms.Key,
        f"{name}-key",
        owner,
        transforms,
        "key",
        defaults=defaults.topic_key_args(),
        required={
            "description": description,
            "enable_key_rotation": True,
            "policy": pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)}),
        },
        opts=opts,
    )


@dataclass(frozen=True, kw_only=True)
class KeyUser:
    """A role the key policy itself allows, with exact actions and conditions.

    sid: the key policy statement's id. role_arn: the role. actions: exact data-plane actions (`USER_ACTIONS`).
    conditions: the statement's Condition block (e.g. kms:ViaService), default none.
    """

    sid: str
    role_arn: pulumi.Input[str]
    actions: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class EncryptionKeyArgs:
    """description: what the key encrypts. users: roles the key policy names, default none (other principals
    of the account get access only through IAM policies). protect: refuse `pulumi destroy`, default False."""

    description: str
    users: tuple[KeyUser, ...] = ()
    protect: bool = False


class EncryptionKey(pulumi.ComponentResource):
    """A rotating customer-managed key: the account administers it through IAM, each user gets exact actions.

    key = EncryptionKey("invoices-key", EncryptionKeyArgs(description="Encrypts invoices", users=(
        KeyUser(sid="WriterEncrypts", role_arn=writer.arn, actions=("kms:GenerateDataKey",)),)))
    """

    key: aws.kms.Key

    def __init__(
        self,
        name: str,
        args: EncryptionKeyArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:EncryptionKey", name, None, opts)
        problems: list[str] = []
        check_transforms(transforms, KEY_CHILDREN, problems)
        for user in args.users:
            if not user.actions:
                problems.append(f"key user {user.sid!r} has no actions")
            problems.extend(
                f"key user {user.sid!r}: {action!r} is not one of {', '.join(sorted(USER_ACTIONS))}"
                for action in user.actions
                if action not in USER_ACTIONS
            )
        raise_problems("EncryptionKey", name, problems)

        account = account_id(self)
        statements: list[dict[str, Any]] = [
            {
                # Without it no one could ever change the key policy again (KMS's default key policy).
                "Sid": "AccountAdministersKeyThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", account, ":root")},
                "Action": "kms:*",
                "Resource": "*",
            },
            *(
                {
                    "Sid": user.sid,
                    "Effect": "Allow",
                    "Principal": {"AWS": user.role_arn},
                    "Action": list(user.actions),
                    "Resource": "*",
                    **({"Condition": dict(user.conditions)} if user.conditions else {}),
                }
                for user in args.users
            ),
        ]
        self.key = rotating_key(
            self,
            name,
            transforms,
            description=args.description,
            statements=statements,
            opts=pulumi.ResourceOptions(protect=args.protect or None),
        )
        self.register_outputs({"key_arn": self.key.arn})
