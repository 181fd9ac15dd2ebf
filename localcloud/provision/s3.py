"""S3 buckets and their settings: encryption, public access block, ownership, policy (without the conditioned Deny
statements moto would apply unconditionally), lifecycle, EventBridge notifications, versioning and Object Lock
(the invoices bucket's write-once guarantees).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi

from devtools.program import ROOT
from localcloud.provision.base import Context, Declared, Provisioned, Provisioner, as_int


def bucket(ctx: Context, resource: Declared) -> Provisioned:
    name = str(resource.inputs.get("bucket") or resource.name)
    kwargs: dict[str, Any] = {"Bucket": name}
    if ctx.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
    ctx.client("s3").create_bucket(**kwargs)
    regional = f"{name}.s3.{ctx.region}.amazonaws.com"
    return name, {"arn": f"arn:aws:s3:::{name}", "bucket": name, "bucketRegionalDomainName": regional}


def _configure(ctx: Context, resource: Declared, operation: str, **configuration: Any) -> Provisioned:
    """A bucket setting: the S3 ``operation`` on the bucket the resource names, whose name is the setting's id."""
    name = str(resource.inputs["bucket"])
    getattr(ctx.client("s3"), operation)(Bucket=name, **configuration)
    return name, {}


def bucket_encryption(ctx: Context, resource: Declared) -> Provisioned:
    rules = []
    for rule in resource.inputs.get("rules") or []:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        by_default: dict[str, Any] = {"SSEAlgorithm": default.get("sseAlgorithm", "AES256")}
        if default.get("kmsMasterKeyId"):
            by_default["KMSMasterKeyID"] = default["kmsMasterKeyId"]
        rules.append(
            {"ApplyServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled"))}
        )
    return _configure(ctx, resource, "put_bucket_encryption", ServerSideEncryptionConfiguration={"Rules": rules})


def bucket_public_access_block(ctx: Context, resource: Declared) -> Provisioned:
    keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    block = {key[0].upper() + key[1:]: bool(resource.inputs.get(key)) for key in keys}
    return _configure(ctx, resource, "put_public_access_block", PublicAccessBlockConfiguration=block)


def bucket_ownership(ctx: Context, resource: Declared) -> Provisioned:
    rules = [{"ObjectOwnership": resource.inputs["rule"]["objectOwnership"]}]
    return _configure(ctx, resource, "put_bucket_ownership_controls", OwnershipControls={"Rules": rules})


def _conditioned_denial(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Deny" and bool(statement.get("Condition"))


def bucket_policy(ctx: Context, resource: Declared) -> Provisioned:
    """moto enforces bucket policies but ignores their conditions, so a conditioned Deny would deny every call:
    they are left out. "Deny when not over TLS": in process every call counts as secure. "Deny PutObject
    without If-None-Match" (write-once prefixes): moto enforces If-None-Match itself (412), and the handler
    tests prove the writer sends it."""
    name = str(resource.inputs["bucket"])
    policy = json.loads(ctx.json_text(resource.inputs["policy"]))
    policy["Statement"] = [s for s in policy.get("Statement", []) if not _conditioned_denial(s)]
    if policy["Statement"]:
        ctx.client("s3").put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return name, {}


def bucket_lifecycle(ctx: Context, resource: Declared) -> Provisioned:
    rules = []
    for rule in resource.inputs.get("rules") or []:
        converted: dict[str, Any] = {
            "ID": rule["id"],
            "Status": rule["status"],
            "Filter": {"Prefix": (rule.get("filter") or {}).get("prefix", "")},
        }
        if rule.get("expiration"):
            converted["Expiration"] = {"Days": as_int(rule["expiration"]["days"])}
        if rule.get("noncurrentVersionExpiration"):
            days = rule["noncurrentVersionExpiration"]["noncurrentDays"]
            converted["NoncurrentVersionExpiration"] = {"NoncurrentDays": as_int(days)}
        if rule.get("abortIncompleteMultipartUpload"):
            days = rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"]
            converted["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": as_int(days)}
        rules.append(converted)
    return _configure(ctx, resource, "put_bucket_lifecycle_configuration", LifecycleConfiguration={"Rules": rules})


def bucket_notification(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    if inputs.get("queues") or inputs.get("topics") or inputs.get("lambdaFunctions"):
        raise NotImplementedError("the local cloud provisions EventBridge bucket notifications only")
    configuration: dict[str, Any] = {"EventBridgeConfiguration": {}} if inputs.get("eventbridge") else {}
    return _configure(ctx, resource, "put_bucket_notification_configuration", NotificationConfiguration=configuration)


def bucket_versioning(ctx: Context, resource: Declared) -> Provisioned:
    status = str((resource.inputs.get("versioningConfiguration") or {}).get("status", ""))
    if status not in ("Enabled", "Suspended"):
        bucket_name = resource.inputs["bucket"]
        raise ValueError(f"bucket {bucket_name}: versioning status must be Enabled or Suspended, got {status!r}")
    return _configure(ctx, resource, "put_bucket_versioning", VersioningConfiguration={"Status": status})


def bucket_object_lock(ctx: Context, resource: Declared) -> Provisioned:
    """Object Lock enabled in place on a versioned bucket (as S3 allows since 2023), with its default retention."""
    configuration: dict[str, Any] = {"ObjectLockEnabled": str(resource.inputs.get("objectLockEnabled") or "Enabled")}
    retention = (resource.inputs.get("rule") or {}).get("defaultRetention")
    if retention:
        default: dict[str, Any] = {"Mode": str(retention["mode"])}
        if retention.get("days") is not None:
            default["Days"] = int(float(retention["days"]))
        if retention.get("years") is not None:
            default["Years"] = int(float(retention["years"]))
        configuration["Rule"] = {"DefaultRetention": default}
    return _configure(ctx, resource, "put_object_lock_configuration", ObjectLockConfiguration=configuration)


def bucket_object(ctx: Context, resource: Declared) -> Provisioned:
    """An object with its content type: ``content`` as given, or a ``source`` file (relative to the program)."""
    inputs = resource.inputs
    bucket, key = str(inputs["bucket"]), str(inputs["key"])
    source = inputs.get("source")
    if isinstance(source, pulumi.FileAsset):
        body = (ROOT / Path(str(source.path))).read_bytes()
    elif inputs.get("content") is not None:
        body = str(inputs["content"]).encode()
    else:
        raise ValueError(f"object {key!r} in {bucket}: the local cloud uploads `content` or a FileAsset `source`")
    extra = {
        name: str(inputs[field])
        for name, field in (("ContentType", "contentType"), ("CacheControl", "cacheControl"))
        if inputs.get(field)
    }
    answer = ctx.client("s3").put_object(Bucket=bucket, Key=key, Body=body, **extra)
    return f"{bucket}/{key}", {"etag": str(answer["ETag"]).strip('"'), "versionId": str(answer.get("VersionId", ""))}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:s3/bucketObjectv2:BucketObjectv2": bucket_object,
    "aws:s3/bucket:Bucket": bucket,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": bucket_encryption,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": bucket_public_access_block,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": bucket_ownership,
    "aws:s3/bucketPolicy:BucketPolicy": bucket_policy,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": bucket_lifecycle,
    "aws:s3/bucketNotification:BucketNotification": bucket_notification,
    "aws:s3/bucketVersioning:BucketVersioning": bucket_versioning,
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": bucket_object_lock,
}
