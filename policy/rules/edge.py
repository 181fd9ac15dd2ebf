"""Rules on what faces the internet first: CloudFront distributions and their origins, and the REST API's
stage in production (a web ACL in front of it)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import PolicyResource, ReportViolation

from .graph import Stack
from .resource_types import (
    BUCKET_POLICY,
    BUCKET_PUBLIC_ACCESS_BLOCK,
    BUCKETS,
    DISTRIBUTION,
    ORIGIN_ACCESS_CONTROL,
    REST_STAGE,
    WEB_ACL_ASSOCIATION,
)
from .resources import PRODUCTION_ENVIRONMENTS
from .values import UNKNOWN, as_document, as_list, is_true, statements, value_at

CLOUDFRONT: Final = "cloudfront.amazonaws.com"
PUBLIC_ACCESS_FLAGS: Final = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
#: `<bucket>.s3.<region>.amazonaws.com` or `<bucket>.s3.amazonaws.com`; website endpoints (`s3-website`) are
#: public by design and never match.
_S3_ORIGIN = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]+)\.s3(\.[a-z0-9-]+)?\.amazonaws\.com$")


def _origin_bucket(stack: Stack, distribution: PolicyResource, origin: Mapping[str, Any]) -> PolicyResource | None:
    """The stack's bucket an origin reads from: by its domain name, or (preview) by the origins' dependencies."""
    domain = value_at(origin, "domainName")
    buckets = stack.of_type(*BUCKETS)
    if domain is UNKNOWN:
        depended = {dependency.urn for dependency in distribution.property_dependencies.get("origins", [])}
        return next((bucket for bucket in buckets if bucket.urn in depended), None)
    match = _S3_ORIGIN.match(str(domain))
    if match is None:
        return None
    return next((bucket for bucket in buckets if value_at(bucket.props, "bucket") == match["bucket"]), None)


def _signed_by_oac(stack: Stack, origin: Mapping[str, Any]) -> bool:
    control_id = value_at(origin, "originAccessControlId")
    if control_id is UNKNOWN:
        return True
    if not control_id:
        return False
    for control in stack.of_type(ORIGIN_ACCESS_CONTROL):
        if control_id in (value_at(control.props, "id"), value_at(control.props, "name")):
            return bool(
                value_at(control.props, "signingBehavior") == "always"
                and value_at(control.props, "signingProtocol") == "sigv4"
                and value_at(control.props, "originAccessControlOriginType") == "s3"
            )
    return False


def _blocks_public_access(stack: Stack, bucket: PolicyResource) -> bool:
    return any(
        all(
            is_true(value_at(block.props, flag)) or value_at(block.props, flag) is UNKNOWN
            for flag in PUBLIC_ACCESS_FLAGS
        )
        for block in stack.referrers(BUCKET_PUBLIC_ACCESS_BLOCK, ("bucket",), bucket)
    )


def _policy_problems(stack: Stack, bucket: PolicyResource, distribution_arn: Any) -> list[str]:
    """What is wrong with the bucket policy: any Allow other than CloudFront for this one distribution."""
    documents = [value_at(policy.props, "policy") for policy in stack.referrers(BUCKET_POLICY, ("bucket",), bucket)]
    if any(document is UNKNOWN for document in documents) or distribution_arn is UNKNOWN:
        return []
    problems: list[str] = []
    reads = 0
    for document in filter(None, (as_document(raw) for raw in documents)):
        for statement in statements(document):
            if value_at(statement, "Effect") != "Allow":
                continue
            services = as_list(value_at(statement, "Principal", "Service"))
            source = as_list(value_at(statement, "Condition", "StringEquals", "AWS:SourceArn")) or as_list(
                value_at(statement, "Condition", "StringEquals", "aws:SourceArn")
            )
            if services == [CLOUDFRONT] and source == [distribution_arn]:
                reads += 1
            else:
                sid = value_at(statement, "Sid") or "without a Sid"
                problems.append(f"its policy allows statement {sid}, which is not CloudFront for this distribution")
    if not reads:
        problems.append(f"its policy does not let {CLOUDFRONT} read for this distribution (AWS:SourceArn)")
    return problems


def check_distributions_have_private_origins(
    stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation
) -> None:
    for distribution in stack.of_type(DISTRIBUTION):
        arn = value_at(distribution.props, "arn")
        for origin in as_list(value_at(distribution.props, "origins")):
            if not isinstance(origin, Mapping):
                continue
            domain = value_at(origin, "domainName")
            if isinstance(domain, str) and ".s3-website" in domain:
                report_violation(
                    f"Distribution {distribution.name} serves the S3 website endpoint {domain}, which is public "
                    "by design. Use the bucket's regional domain name with an origin access control.",
                    distribution.urn,
                )
                continue
            bucket = _origin_bucket(stack, distribution, origin)
            if bucket is None:
                continue  # not an S3 origin of this stack (an API, a load balancer)
            problems = [] if _blocks_public_access(stack, bucket) else ["it does not block public access"]
            if not _signed_by_oac(stack, origin):
                problems.append("the origin has no origin access control signing every request with SigV4")
            problems += _policy_problems(stack, bucket, arn)
            if problems:
                report_violation(
                    f"Distribution {distribution.name} is in front of bucket {bucket.name}, which could be read "
                    f"without it: {'; '.join(problems)}. Use components/static_site.StaticSite.",
                    distribution.urn,
                )


def _production(resource: PolicyResource, config: Mapping[str, Any]) -> bool:
    names = {os.environ["PULUMI_STACK"]} if os.environ.get("PULUMI_STACK") else set()
    if resource.provider is not None:
        tag = value_at(resource.provider.props, "defaultTags", "tags", "environment")
        if isinstance(tag, str):
            names.add(tag)
    return bool(names & set(as_list(config.get("productionEnvironments", PRODUCTION_ENVIRONMENTS))))


def check_prod_rest_stages_have_web_acl(
    stack: Stack, config: Mapping[str, Any], report_violation: ReportViolation
) -> None:
    for stage in stack.of_type(REST_STAGE):
        if not _production(stage, config):
            continue
        if not stack.referrers(WEB_ACL_ASSOCIATION, ("resourceArn",), stage):
            report_violation(
                f"Stage {stage.name} of a production REST API has no web ACL: one address can take the whole "
                "throttle and common exploits reach the functions. Set eventshop:waf.enabled: true "
                "(services/api_firewall.py associates a WebAcl with the stage).",
                stage.urn,
            )
