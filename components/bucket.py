"""Bucket: a private S3 bucket, encrypted, TLS-only, owner-enforced, with objects that expire.

Optionally versioned and write-once: Object Lock keeps every version for a retention period, and
`write_once_prefixes` makes S3 refuse a PutObject there that is not a conditional create (If-None-Match).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.base import (
    Transforms,
    check_transforms,
    child,
    deny_insecure_transport,
    kept,
    physical_name,
    raise_problems,
    statement_document,
)

BUCKET_CHILDREN = (
    "bucket",
    "versioning",
    "object_lock",
    "encryption",
    "public_access_block",
    "ownership",
    "policy",
    "lifecycle",
    "notification",
)
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")


@dataclass(frozen=True, kw_only=True)
class ObjectLock:
    """Every new object version is locked for a while.

    days: how long (>= 1). mode: GOVERNANCE (only a principal granted s3:BypassGovernanceRetention can delete or
    shorten it early) or COMPLIANCE (nobody can), default GOVERNANCE.
    """

    days: int
    mode: str = "GOVERNANCE"


@dataclass(frozen=True, kw_only=True)
class ServiceReader:
    """An AWS service that may read (s3:GetObject) every object, only on behalf of one of its resources.

    service: the service's principal, e.g. cloudfront.amazonaws.com (required).
    source_arn: the one resource it reads for, its aws:SourceArn (required).
    """

    service: str
    source_arn: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class BucketArgs:
    """expiration_days: every object expires this many days after it was written (required: >= 1, or None
    for objects that must stay until they are replaced, such as a static site's files).
    kms_key_arn: encrypt with this KMS key (SSE-KMS with an S3 Bucket Key), default None (SSE-S3, AES256).
    eventbridge: send the bucket's events to EventBridge (the default bus), default False.
    versioning: keep every version of every object, default False (required by object_lock).
    object_lock: lock every new version for a retention period, default None.
    write_once_prefixes: key prefixes where the bucket policy refuses a PutObject without If-None-Match
    (so an object there is created once and never replaced), default none.
    protect: refuse `pulumi destroy` and keep the bucket if removed from the program, default False.
    readers: service principals allowed to read every object for one source ARN each (the bucket policy says
    so), default none.
    """

    expiration_days: int | None
    kms_key_arn: pulumi.Input[str] | None = None
    eventbridge: bool = False
    versioning: bool = False
    object_lock: ObjectLock | None = None
    write_once_prefixes: tuple[str, ...] = ()
    protect: bool = False
    readers: tuple[ServiceReader, ...] = ()


def _validate(name: str, args: BucketArgs, transforms: Transforms | None) -> None:
    problems: list[str] = []
    check_transforms(transforms, BUCKET_CHILDREN, problems)
    if args.expiration_days is not None and args.expiration_days < 1:
        problems.append(f"expiration_days must be at least 1, not {args.expiration_days} (None: objects never expire)")
    if args.object_lock is not None:
        if not args.versioning:
            problems.append("object_lock needs versioning: S3 locks object versions")
        if args.object_lock.mode not in LOCK_MODES:
            problems.append(f"object_lock.mode must be one of {', '.join(LOCK_MODES)}, got {args.object_lock.mode!r}")
        if args.object_lock.days < 1:
            problems.append(f"object_lock.days must be at least 1, not {args.object_lock.days}")
        elif args.expiration_days is not None and args.object_lock.days > args.expiration_days:
            problems.append(
                f"object_lock.days ({args.object_lock.days}) must not exceed expiration_days ({args.expiration_days})"
            )
    problems.extend(
        f"write_once_prefixes: {prefix!r} must be a non-empty prefix without wildcards"
        for prefix in args.write_once_prefixes
        if not prefix or "*" in prefix
    )
    problems.extend(
        f"readers: {reader.service!r} must be a service principal (<name>.amazonaws.com)"
        for reader in args.readers
        if not reader.service.endswith(".amazonaws.com") or "*" in reader.service
    )
    raise_problems("Bucket", name, problems)


def objects_arn(bucket_arn: str, prefix: str = "") -> str:
    """The ARN pattern of every object whose key starts with `prefix` (every object when it is empty)."""
    return f"{bucket_arn}/{prefix}*"


def bucket_policy(
    bucket_arn: str, write_once_prefixes: Sequence[str] = (), readers: Sequence[tuple[str, str]] = ()
) -> dict[str, Any]:
    """Deny every request that does not use TLS, and every unconditional PutObject under a write-once prefix;
    allow each reader (service principal, source ARN) s3:GetObject on every object, for that source only.

    The second is AWS's documented way to enforce conditional writes: S3 sets the `s3:if-none-match`
    condition key from the request's If-None-Match header (Amazon S3 User Guide, "Enforce conditional writes
    on Amazon S3 buckets", https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html).
    """
    statements: list[dict[str, Any]] = [
        statement_document(
            deny_insecure_transport([bucket_arn, objects_arn(bucket_arn)], "s3:*"), bare_single_action=True
        )
    ]
    if write_once_prefixes:
        statements.append(
            {
                "Sid": "DenyOverwritingWriteOnceObjects",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": [objects_arn(bucket_arn, prefix) for prefix in write_once_prefixes],
                "Condition": {"Null": {"s3:if-none-match": "true"}},
            }
        )
    statements.extend(
        {
            "Sid": f"AllowServiceRead{index}",
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "s3:GetObject",
            "Resource": objects_arn(bucket_arn),
            "Condition": {"StringEquals": {"AWS:SourceArn": source_arn}},
        }
        for index, (service, source_arn) in enumerate(readers)
    )
    return {"Version": "2012-10-17", "Statement": statements}


class Bucket(pulumi.ComponentResource):
    """One private bucket; grant access per prefix with exact actions.

    invoices = Bucket("invoices", BucketArgs(expiration_days=30, eventbridge=True))
    Grant(("s3:PutObject",), (invoices.objects_arn("invoices/"),))

    Object Lock on a bucket that already exists: S3 enables it in place once versioning is on (the
    `BucketObjectLockConfiguration` child, after `BucketVersioning`). The program never sets the bucket's own
    `object_lock_enabled` flag, which the provider can only set by replacing the bucket.
    """

    bucket: aws.s3.Bucket
    versioning: aws.s3.BucketVersioning | None
    object_lock: aws.s3.BucketObjectLockConfiguration | None
    notification: aws.s3.BucketNotification | None

    def __init__(
        self,
        name: str,
        args: BucketArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:Bucket", name, None, opts)
        _validate(name, args, transforms)

        # What the pattern promises goes on after the user's transform: no transform can change it.
        self.bucket = child(
            aws.s3.Bucket,
            f"{name}-bucket",
            self,
            transforms,
            "bucket",
            required={"bucket": physical_name(name)},
            opts=kept(args.protect),
        )
        self.versioning = self._versioning(name, args, transforms)
        self.object_lock = self._object_lock(name, args, transforms)
        default: dict[str, Any] = (
            {"sse_algorithm": "aws:kms", "kms_master_key_id": args.kms_key_arn}
            if args.kms_key_arn is not None
            else {"sse_algorithm": "AES256"}
        )
        self.encryption = child(
            aws.s3.BucketServerSideEncryptionConfiguration,
            f"{name}-encryption",
            self,
            transforms,
            "encryption",
            required={
                "bucket": self.bucket.id,
                "rules": [
                    {
                        "apply_server_side_encryption_by_default": default,
                        "bucket_key_enabled": args.kms_key_arn is not None,
                    }
                ],
            },
        )
        self.public_access_block = child(
            aws.s3.BucketPublicAccessBlock,
            f"{name}-public-access-block",
            self,
            transforms,
            "public_access_block",
            required={
                "bucket": self.bucket.id,
                "block_public_acls": True,
                "block_public_policy": True,
                "ignore_public_acls": True,
                "restrict_public_buckets": True,
            },
        )
        self.ownership = child(
            aws.s3.BucketOwnershipControls,
            f"{name}-ownership",
            self,
            transforms,
            "ownership",
            required={"bucket": self.bucket.id, "rule": {"object_ownership": "BucketOwnerEnforced"}},
        )
        self.policy = child(
            aws.s3.BucketPolicy,
            f"{name}-policy",
            self,
            transforms,
            "policy",
            required={
                "bucket": self.bucket.id,
                "policy": self._policy(args),
            },
            # S3 refuses a bucket policy while the public access block is being written.
            opts=pulumi.ResourceOptions(depends_on=[self.public_access_block]),
        )
        self.lifecycle = child(
            aws.s3.BucketLifecycleConfiguration,
            f"{name}-lifecycle",
            self,
            transforms,
            "lifecycle",
            required={"bucket": self.bucket.id, "rules": [self._expiry(args)]},
            # S3 needs versioning settled before rules on noncurrent versions.
            opts=pulumi.ResourceOptions(depends_on=[v for v in (self.versioning,) if v is not None]),
        )
        self.notification = (
            child(
                aws.s3.BucketNotification,
                f"{name}-notification",
                self,
                transforms,
                "notification",
                required={"bucket": self.bucket.id, "eventbridge": True},
            )
            if args.eventbridge
            else None
        )
        self.register_outputs({"bucket_name": self.bucket.bucket, "bucket_arn": self.bucket.arn})

    def _policy(self, args: BucketArgs) -> pulumi.Output[str]:
        prefixes = args.write_once_prefixes
        if not args.readers:
            return self.bucket.arn.apply(lambda arn: json.dumps(bucket_policy(arn, prefixes)))
        services = [reader.service for reader in args.readers]
        return pulumi.Output.all(self.bucket.arn, *[reader.source_arn for reader in args.readers]).apply(
            lambda values: json.dumps(bucket_policy(values[0], prefixes, list(zip(services, values[1:], strict=True))))
        )

    def objects_arn(self, prefix: str = "") -> pulumi.Output[str]:
        """The ARN pattern of the bucket's objects under `prefix` (all of them when empty), for grants."""
        return self.bucket.arn.apply(lambda arn: objects_arn(arn, prefix))

    def _versioning(self, name: str, args: BucketArgs, transforms: Transforms | None) -> aws.s3.BucketVersioning | None:
        if not args.versioning:
            return None
        return child(
            aws.s3.BucketVersioning,
            f"{name}-versioning",
            self,
            transforms,
            "versioning",
            required={"bucket": self.bucket.id, "versioning_configuration": {"status": "Enabled"}},
            opts=pulumi.ResourceOptions(protect=args.protect or None),
        )

    def _object_lock(
        self, name: str, args: BucketArgs, transforms: Transforms | None
    ) -> aws.s3.BucketObjectLockConfiguration | None:
        if args.object_lock is None or self.versioning is None:
            return None
        return child(
            aws.s3.BucketObjectLockConfiguration,
            f"{name}-object-lock",
            self,
            transforms,
            "object_lock",
            required={
                "bucket": self.bucket.id,
                "object_lock_enabled": "Enabled",
                "rule": {"default_retention": {"mode": args.object_lock.mode, "days": args.object_lock.days}},
            },
            # Enabling Object Lock on an existing bucket needs versioning on first.
            opts=pulumi.ResourceOptions(depends_on=[self.versioning], protect=args.protect or None),
        )

    @staticmethod
    def _expiry(args: BucketArgs) -> dict[str, Any]:
        expiration = {} if args.expiration_days is None else {"expiration": {"days": args.expiration_days}}
        rule: dict[str, Any] = {
            "id": "expire-objects" if args.expiration_days is not None else "abort-incomplete-uploads",
            "status": "Enabled",
            "filter": {"prefix": ""},
            **expiration,
            "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
        }
        if args.versioning:
            # An expired current version becomes noncurrent (behind a delete marker); remove it a day later,
            # which S3 defers for as long as its lock lasts.
            rule["noncurrent_version_expiration"] = {"noncurrent_days": 1}
        return rule
