"""StaticSite: a private S3 bucket served only through CloudFront (origin access control), HTTPS only, with
security headers and a Content-Security-Policy on every answer.

The bucket is a `Bucket` (encrypted, TLS-only, public access blocked, owner-enforced) whose policy lets
`cloudfront.amazonaws.com` read objects only on behalf of this one distribution (`AWS:SourceArn`). CloudFront
signs every origin request (SigV4, always); nobody reaches the bucket without going through the distribution.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.base import Transforms, check_transforms, child, physical_name, raise_problems
from components.bucket import Bucket, BucketArgs, ServiceReader
from components.security_headers import response_headers_policy_config
from components.site_files import CACHE_CONTROL, content_type_of, site_files

STATIC_SITE_CHILDREN = ("origin_access_control", "headers_policy", "distribution", "object")
CLOUDFRONT = "cloudfront.amazonaws.com"
ORIGIN_ID = "site-bucket"
#: AWS's managed "CachingOptimized" cache policy: no cookies, headers or query strings in the cache key.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
#: The oldest TLS a viewer may use on a custom domain (TLS 1.2, with the 2021 cipher suites).
MINIMUM_TLS = "TLSv1.2_2021"
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
_ACM_CERTIFICATE = re.compile(r"^arn:aws:acm:us-east-1:\d{12}:certificate/[0-9a-f-]+$")


@dataclass(frozen=True, kw_only=True)
class CustomDomain:
    """The site's own name, served with its own certificate.

    aliases: the host names viewers use (required, at least one).
    certificate_arn: an ACM certificate for them in us-east-1, where CloudFront reads certificates (required).
    """

    aliases: tuple[str, ...]
    certificate_arn: str


@dataclass(frozen=True, kw_only=True)
class StaticSiteArgs:
    """directory: the site's files, each uploaded as an object with its content type (required).
    content_security_policy: the CSP every answer carries (required; no 'unsafe-inline').
    generated: objects the program writes itself, key -> JSON text (an Output), such as a config.json built
    from other resources' outputs, default none. A key here replaces a file of the same name.
    index_document: what `/` serves, default `index.html`.
    price_class: which edge locations serve the site (North America and Europe), default `PriceClass_100`.
    domain: a custom domain and its certificate; with one, viewers need TLS 1.2 or later (MINIMUM_TLS). Without
    one the distribution's own cloudfront.net name and certificate serve the site, whose TLS versions AWS
    decides: default None.
    """

    directory: Path
    content_security_policy: pulumi.Input[str]
    generated: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    index_document: str = "index.html"
    price_class: str = "PriceClass_100"
    domain: CustomDomain | None = None


def _validate(name: str, args: StaticSiteArgs, transforms: Transforms | None) -> None:
    problems: list[str] = []
    check_transforms(transforms, STATIC_SITE_CHILDREN, problems)
    if not args.directory.is_dir():
        problems.append(f"directory {str(args.directory)!r} does not exist")
    elif not (args.directory / args.index_document).is_file() and args.index_document not in args.generated:
        problems.append(f"index_document {args.index_document!r} is not in {str(args.directory)!r}")
    if args.price_class not in PRICE_CLASSES:
        problems.append(f"price_class must be one of {', '.join(PRICE_CLASSES)}, got {args.price_class!r}")
    if isinstance(args.content_security_policy, str) and "'unsafe-inline'" in args.content_security_policy:
        problems.append("content_security_policy must not allow 'unsafe-inline'")
    for key in args.generated:
        try:
            content_type_of(key)
        except ValueError as error:
            problems.append(f"generated: {error}")
    if args.domain is not None:
        if not args.domain.aliases:
            problems.append("domain.aliases must name at least one host")
        if not _ACM_CERTIFICATE.match(args.domain.certificate_arn):
            problems.append(
                f"domain.certificate_arn must be an ACM certificate in us-east-1, got {args.domain.certificate_arn!r}"
            )
    raise_problems("StaticSite", name, problems)


def _slug(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-").lower()


class StaticSite(pulumi.ComponentResource):
    """A static site behind CloudFront; `.url` is its https address, `.origin` what CORS should allow.

    site = StaticSite("storefront", StaticSiteArgs(directory=Path("storefront"), content_security_policy=csp,
                                                   generated={"config.json": config_json}))
    pulumi.export("storefront_url", site.url)
    """

    def __init__(
        self,
        name: str,
        args: StaticSiteArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:StaticSite", name, None, opts)
        _validate(name, args, transforms)
        # The bucket's policy names the distribution, which needs the bucket: the ARN is filled in once the
        # distribution exists (no cycle: only the policy waits for it).
        deferred: tuple[pulumi.Output[str], Callable[[pulumi.Output[str]], None]] = pulumi.deferred_output()
        distribution_arn, resolve_distribution_arn = deferred
        self.bucket = Bucket(
            f"{name}-files",
            BucketArgs(expiration_days=None, readers=(ServiceReader(service=CLOUDFRONT, source_arn=distribution_arn),)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.origin_access_control = child(
            aws.cloudfront.OriginAccessControl,
            f"{name}-oac",
            self,
            transforms,
            "origin_access_control",
            defaults={"description": f"{name}: CloudFront signs every request to the site's bucket"},
            required={
                "name": physical_name(name),
                "origin_access_control_origin_type": "s3",
                "signing_behavior": "always",
                "signing_protocol": "sigv4",
            },
        )
        self.headers_policy = child(
            aws.cloudfront.ResponseHeadersPolicy,
            f"{name}-headers",
            self,
            transforms,
            "headers_policy",
            defaults={"comment": f"{name}: HSTS, nosniff, DENY framing, no referrer, CSP"},
            required={
                "name": physical_name(name, "-headers"),
                "security_headers_config": response_headers_policy_config(args.content_security_policy),
            },
        )
        self.distribution = child(
            aws.cloudfront.Distribution,
            f"{name}-distribution",
            self,
            transforms,
            "distribution",
            defaults={
                "comment": physical_name(name),
                "price_class": args.price_class,
                "http_version": "http2and3",
                "is_ipv6_enabled": True,
                "restrictions": {"geo_restriction": {"restriction_type": "none"}},
            },
            required=self._required_distribution_args(args),
        )
        resolve_distribution_arn(self.distribution.arn)
        self.objects = self._upload(name, args, transforms)
        self.domain_name = self.distribution.domain_name
        host = args.domain.aliases[0] if args.domain is not None else None
        self.origin: pulumi.Output[str] = (
            pulumi.Output.from_input(f"https://{host}")
            if host is not None
            else self.distribution.domain_name.apply(lambda domain: f"https://{domain}")
        )
        self.url = self.origin.apply(lambda origin: f"{origin}/")
        self.register_outputs({"url": self.url, "distribution_arn": self.distribution.arn})

    def _required_distribution_args(self, args: StaticSiteArgs) -> dict[str, Any]:
        domain = args.domain
        certificate: dict[str, Any] = (
            {"cloudfront_default_certificate": True}
            if domain is None
            else {
                "acm_certificate_arn": domain.certificate_arn,
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": MINIMUM_TLS,
            }
        )
        return {
            "enabled": True,
            "aliases": list(domain.aliases) if domain is not None else None,
            "default_root_object": args.index_document,
            "origins": [
                {
                    "origin_id": ORIGIN_ID,
                    "domain_name": self.bucket.bucket.bucket_regional_domain_name,
                    "origin_access_control_id": self.origin_access_control.id,
                }
            ],
            "default_cache_behavior": {
                "target_origin_id": ORIGIN_ID,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD"],
                "cached_methods": ["GET", "HEAD"],
                "compress": True,
                "cache_policy_id": CACHING_OPTIMIZED,
                "response_headers_policy_id": self.headers_policy.id,
            },
            "viewer_certificate": certificate,
        }

    def _upload(self, name: str, args: StaticSiteArgs, transforms: Transforms | None) -> list[aws.s3.BucketObjectv2]:
        """One object per file, then the generated ones, each with its content type; a changed file changes
        its `source_hash`, so `pulumi up` uploads it again."""
        objects = []
        contents: dict[str, dict[str, Any]] = {
            item.key: {
                "source": pulumi.FileAsset(str(item.path)),
                "source_hash": hashlib.sha256(item.path.read_bytes()).hexdigest(),
                "content_type": item.content_type,
            }
            for item in site_files(args.directory, exclude=frozenset(args.generated))
        }
        contents |= {
            key: {"content": content, "content_type": content_type_of(key)} for key, content in args.generated.items()
        }
        for key, content in contents.items():
            objects.append(
                child(
                    aws.s3.BucketObjectv2,
                    f"{name}-object-{_slug(key)}",
                    self,
                    transforms,
                    "object",
                    defaults={"cache_control": CACHE_CONTROL},
                    required={"bucket": self.bucket.bucket.id, "key": key, **content},
                )
            )
        return objects
