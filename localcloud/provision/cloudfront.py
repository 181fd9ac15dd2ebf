"""Provisioners for CloudFront: origin access controls and distributions (moto's cloudfront)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner


def _items(values: Any) -> dict[str, Any]:
    items = list(values or [])
    return {"Quantity": len(items), "Items": items}


def origin_access_control(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    created = ctx.client("cloudfront").create_origin_access_control(
        OriginAccessControlConfig={
            "Name": str(inputs.get("name") or resource.name),
            "Description": str(inputs.get("description") or ""),
            "SigningProtocol": str(inputs["signingProtocol"]),
            "SigningBehavior": str(inputs["signingBehavior"]),
            "OriginAccessControlOriginType": str(inputs["originAccessControlOriginType"]),
        }
    )
    return str(created["OriginAccessControl"]["Id"]), {"etag": created.get("ETag", "")}


def _origin(origin: Mapping[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {"Id": str(origin["originId"]), "DomainName": str(origin["domainName"])}
    if origin.get("originAccessControlId"):
        converted["OriginAccessControlId"] = str(origin["originAccessControlId"])
        # An S3 origin signed by an origin access control has no origin access identity.
        converted["S3OriginConfig"] = {"OriginAccessIdentity": ""}
    return converted


def _cache_behavior(behavior: Mapping[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {
        "TargetOriginId": str(behavior["targetOriginId"]),
        "ViewerProtocolPolicy": str(behavior["viewerProtocolPolicy"]),
        "Compress": bool(behavior.get("compress")),
        "AllowedMethods": {
            **_items(behavior.get("allowedMethods")),
            "CachedMethods": _items(behavior.get("cachedMethods")),
        },
    }
    for source, target in (("cachePolicyId", "CachePolicyId"), ("responseHeadersPolicyId", "ResponseHeadersPolicyId")):
        if behavior.get(source):
            converted[target] = str(behavior[source])
    return converted


def distribution(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    certificate = inputs.get("viewerCertificate") or {}
    viewer_certificate: dict[str, Any] = (
        {"CloudFrontDefaultCertificate": True}
        if certificate.get("cloudfrontDefaultCertificate")
        else {
            "ACMCertificateArn": str(certificate.get("acmCertificateArn")),
            "SSLSupportMethod": str(certificate.get("sslSupportMethod") or "sni-only"),
            "MinimumProtocolVersion": str(certificate.get("minimumProtocolVersion")),
        }
    )
    config: dict[str, Any] = {
        "CallerReference": str(uuid.uuid4()),
        "Comment": str(inputs.get("comment") or ""),
        "Enabled": bool(inputs.get("enabled")),
        "DefaultRootObject": str(inputs.get("defaultRootObject") or ""),
        "Origins": _items([_origin(origin) for origin in inputs.get("origins") or []]),
        "DefaultCacheBehavior": _cache_behavior(inputs["defaultCacheBehavior"]),
        "PriceClass": str(inputs.get("priceClass") or "PriceClass_All"),
        "HttpVersion": str(inputs.get("httpVersion") or "http2"),
        "IsIPV6Enabled": bool(inputs.get("isIpv6Enabled")),
        "ViewerCertificate": viewer_certificate,
    }
    if inputs.get("aliases"):
        config["Aliases"] = _items(inputs["aliases"])
    created = ctx.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]
    return str(created["Id"]), {
        "arn": str(created["ARN"]),
        "domainName": str(created["DomainName"]),
        "hostedZoneId": "Z2FDTNDATAQYW2",  # CloudFront's one hosted zone, for alias records
        "status": str(created.get("Status", "Deployed")),
    }


PROVISIONERS: dict[str, Provisioner] = {
    "aws:cloudfront/originAccessControl:OriginAccessControl": origin_access_control,
    "aws:cloudfront/distribution:Distribution": distribution,
}
