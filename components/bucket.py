"""Bucket: a private S3 bucket, encrypted, TLS-only, owner-enforced, with objects that expire."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.base import Transforms, apply_transform, check_transforms, physical_name, raise_problems

BUCKET_CHILDREN = ("bucket", "encryption", "public_access_block", "ownership", "policy", "lifecycle", "notification")


@dataclass(frozen=True, kw_only=True)
class BucketArgs:
    """expiration_days: every object expires this many days after it was written (required, >= 1).
    kms_key_arn: encrypt with this KMS key, default None (SSE-S3, AES256).
    eventbridge: send the bucket's events to EventBridge (the default bus), default False.
    protect: refuse `pulumi destroy` and keep the bucket if removed from the program, default False.
    """

    expiration_days: int
    kms_key_arn: pulumi.Input[str] | None = None
    eventbridge: bool = False
    protect: bool = False


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    """The bucket policy: deny every request that does not use TLS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


class Bucket(pulumi.ComponentResource):
    """One private bucket; grant access per prefix with exact actions.

    invoices = Bucket("invoices", BucketArgs(expiration_days=30, eventbridge=True))
    Grant(("s3:PutObject",), (invoices.bucket.arn.apply(lambda arn: f"{arn}/invoices/*"),))
    """

    bucket: aws.s3.Bucket
    notification: aws.s3.BucketNotification | None

    def __init__(
        self,
        name: str,
        args: BucketArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:Bucket", name, None, opts)
        problems: list[str] = []
        check_transforms(transforms, BUCKET_CHILDREN, problems)
        if args.expiration_days < 1:
            problems.append(f"expiration_days must be at least 1, not {args.expiration_days}")
        raise_problems("Bucket", name, problems)

        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            **(apply_transform(transforms, "bucket", {}) | {"bucket": physical_name(name)}),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
        default: dict[str, Any] = (
            {"sse_algorithm": "aws:kms", "kms_master_key_id": args.kms_key_arn}
            if args.kms_key_arn is not None
            else {"sse_algorithm": "AES256"}
        )
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            **apply_transform(
                transforms,
                "encryption",
                {
                    "bucket": self.bucket.id,
                    "rules": [
                        {
                            "apply_server_side_encryption_by_default": default,
                            "bucket_key_enabled": args.kms_key_arn is not None,
                        }
                    ],
                },
            ),
            opts=child,
        )
        # Public access is blocked whatever a transform says: the pattern's promise, applied last.
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            **(
                apply_transform(transforms, "public_access_block", {})
                | {
                    "bucket": self.bucket.id,
                    "block_public_acls": True,
                    "block_public_policy": True,
                    "ignore_public_acls": True,
                    "restrict_public_buckets": True,
                }
            ),
            opts=child,
        )
        self.ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            **apply_transform(
                transforms,
                "ownership",
                {"bucket": self.bucket.id, "rule": {"object_ownership": "BucketOwnerEnforced"}},
            ),
            opts=child,
        )
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            **apply_transform(
                transforms,
                "policy",
                {
                    "bucket": self.bucket.id,
                    "policy": self.bucket.arn.apply(lambda arn: json.dumps(deny_insecure_transport(arn))),
                },
            ),
            # S3 refuses a bucket policy while the public access block is being written.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )
        self.lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            **apply_transform(
                transforms,
                "lifecycle",
                {
                    "bucket": self.bucket.id,
                    "rules": [
                        {
                            "id": "expire-objects",
                            "status": "Enabled",
                            "filter": {"prefix": ""},
                            "expiration": {"days": args.expiration_days},
                            "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                        }
                    ],
                },
            ),
            opts=child,
        )
        self.notification = (
            aws.s3.BucketNotification(
                f"{name}-notification",
                **apply_transform(transforms, "notification", {"bucket": self.bucket.id, "eventbridge": True}),
                opts=child,
            )
            if args.eventbridge
            else None
        )
        self.register_outputs({"bucket_name": self.bucket.bucket, "bucket_arn": self.bucket.arn})
