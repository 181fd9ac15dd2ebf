"""Provisioners for S3 versioning and Object Lock (the invoices bucket's write-once guarantees).

Kept beside provision.py, which registers them in PROVISIONERS. Each takes the provisioning context
(its boto3 clients) and the declared resource, and answers with the id the provider would give.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

Provisioned = tuple[str, dict[str, Any]]


class S3Context(Protocol):
    """What these provisioners use of provision.Context."""

    @property
    def client(self) -> Callable[[str], Any]: ...


class DeclaredResource(Protocol):
    """What these provisioners use of provision.Declared."""

    @property
    def inputs(self) -> Mapping[str, Any]: ...


def bucket_versioning(ctx: S3Context, resource: DeclaredResource) -> Provisioned:
    name = str(resource.inputs["bucket"])
    status = str((resource.inputs.get("versioningConfiguration") or {}).get("status", ""))
    if status not in ("Enabled", "Suspended"):
        raise ValueError(f"bucket {name}: versioning status must be Enabled or Suspended, got {status!r}")
    ctx.client("s3").put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
    return name, {}


def bucket_object_lock(ctx: S3Context, resource: DeclaredResource) -> Provisioned:
    """Object Lock enabled in place on a versioned bucket (as S3 allows since 2023), with its default retention."""
    name = str(resource.inputs["bucket"])
    configuration: dict[str, Any] = {"ObjectLockEnabled": str(resource.inputs.get("objectLockEnabled") or "Enabled")}
    retention = (resource.inputs.get("rule") or {}).get("defaultRetention")
    if retention:
        default: dict[str, Any] = {"Mode": str(retention["mode"])}
        if retention.get("days") is not None:
            default["Days"] = int(float(retention["days"]))
        if retention.get("years") is not None:
            default["Years"] = int(float(retention["years"]))
        configuration["Rule"] = {"DefaultRetention": default}
    ctx.client("s3").put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=configuration)
    return name, {}


S3_PROVISIONERS: dict[str, Callable[[Any, Any], Provisioned]] = {
    "aws:s3/bucketVersioning:BucketVersioning": bucket_versioning,
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": bucket_object_lock,
}
