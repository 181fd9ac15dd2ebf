"""KMS keys (id = key id), with rotation."""

from __future__ import annotations

from typing import Any

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner


def kms_key(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    kms = ctx.client("kms")
    kwargs: dict[str, Any] = {"Description": inputs.get("description") or name}
    if inputs.get("policy"):
        kwargs["Policy"] = ctx.json_text(inputs["policy"])
    metadata = kms.create_key(**kwargs)["KeyMetadata"]
    if inputs.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    return metadata["KeyId"], {"arn": metadata["Arn"], "keyId": metadata["KeyId"]}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:kms/key:Key": kms_key,
}
