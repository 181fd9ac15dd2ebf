"""Provisioners for S3 versioning and Object Lock (the invoices bucket's write-once guarantees), and objects
the program uploads (a static site's files).

Kept beside provision.py, which registers them in PROVISIONERS. Each takes the provisioning context
(its boto3 clients) and the declared resource, and answers with the id the provider would give.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import pulumi

from devtools.program import ROOT

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


def bucket_object(ctx: S3Context, resource: DeclaredResource) -> Provisioned:
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


S3_PROVISIONERS: dict[str, Callable[[Any, Any], Provisioned]] = {
    "aws:s3/bucketVersioning:BucketVersioning": bucket_versioning,
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": bucket_object_lock,
    "aws:s3/bucketObjectv2:BucketObjectv2": bucket_object,
}
