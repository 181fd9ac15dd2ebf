"""cloudfront-origin-private and prod-rest-api-web-acl: small stacks that break them, and programs that do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest
from pulumi_policy import PolicyResource

from components.static_site import StaticSite, StaticSiteArgs
from devtools.program import load_stack_config, run_callable, run_program
from policy.rules.resource_types import (
    BUCKET_POLICY,
    BUCKET_PUBLIC_ACCESS_BLOCK,
    BUCKETS,
    DISTRIBUTION,
    ORIGIN_ACCESS_CONTROL,
    REST_STAGE,
    WEB_ACL_ASSOCIATION,
)
from tests.policy.conftest import stack_policy
from tests.policy.support import findings_for, provider, stack_resource, stack_violations

DISTRIBUTION_ARN = "arn:aws:cloudfront::123456789012:distribution/EABC"
STAGE_ARN = "arn:aws:apigateway:eu-west-1::/restapis/abc/stages/v1"
CSP = "default-src 'none'; connect-src 'self' https://api.example.com/"


def read_for(source_arn: str, principal: Any = None) -> dict[str, Any]:
    return {
        "Sid": "AllowServiceRead0",
        "Effect": "Allow",
        "Principal": principal or {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::site/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": source_arn}},
    }


def site_stack(
    *, blocked: bool = True, signing: str = "always", statements: list[dict[str, Any]] | None = None, domain: str = ""
) -> list[PolicyResource]:
    policy = {"Version": "2012-10-17", "Statement": statements or [read_for(DISTRIBUTION_ARN)]}
    origin = {
        "originId": "o",
        "domainName": domain or "site.s3.eu-west-1.amazonaws.com",
        "originAccessControlId": "oac1",
    }
    return [
        stack_resource(BUCKETS[0], "site", {"bucket": "site", "arn": "arn:aws:s3:::site"}),
        stack_resource(
            BUCKET_PUBLIC_ACCESS_BLOCK,
            "site-pab",
            {
                "bucket": "site",
                "blockPublicAcls": blocked,
                "blockPublicPolicy": blocked,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
        stack_resource(BUCKET_POLICY, "site-policy", {"bucket": "site", "policy": json.dumps(policy)}),
        stack_resource(
            ORIGIN_ACCESS_CONTROL,
            "oac",
            {
                "id": "oac1",
                "signingBehavior": signing,
                "signingProtocol": "sigv4",
                "originAccessControlOriginType": "s3",
            },
        ),
        stack_resource(DISTRIBUTION, "cdn", {"arn": DISTRIBUTION_ARN, "origins": [origin]}),
    ]


def test_a_private_origin_signed_by_oac_and_readable_only_by_its_distribution_passes() -> None:
    assert stack_violations(stack_policy("cloudfront-origin-private"), site_stack()) == []


@pytest.mark.parametrize(
    ("stack", "named"),
    [
        (site_stack(blocked=False), "it does not block public access"),
        (site_stack(signing="never"), "no origin access control signing every request"),
        (
            site_stack(statements=[read_for(DISTRIBUTION_ARN), read_for(DISTRIBUTION_ARN, principal="*")]),
            "which is not CloudFront for this distribution",
        ),
        (
            site_stack(statements=[read_for("arn:aws:cloudfront::123456789012:distribution/EOTHER")]),
            "does not let cloudfront.amazonaws.com read for this distribution",
        ),
        (site_stack(domain="site.s3-website-eu-west-1.amazonaws.com"), "S3 website endpoint"),
    ],
)
def test_a_distribution_in_front_of_a_bucket_others_can_read_is_reported(
    stack: list[PolicyResource], named: str
) -> None:
    found = stack_violations(stack_policy("cloudfront-origin-private"), stack)

    assert len(found) == 1, found
    assert found[0].startswith("cdn: Distribution cdn")
    assert named in found[0]


def _public_site_program() -> None:
    """A distribution in front of a bucket with no access block, no OAC and a public-read policy."""
    bucket = aws.s3.Bucket("open", bucket="open-site")
    aws.s3.BucketPolicy(
        "open-policy",
        bucket=bucket.id,
        policy=bucket.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*"}
                    ],
                }
            )
        ),
    )
    aws.cloudfront.Distribution(
        "open-cdn",
        enabled=True,
        origins=[{"origin_id": "o", "domain_name": bucket.bucket_regional_domain_name}],
        default_cache_behavior={
            "target_origin_id": "o",
            "viewer_protocol_policy": "allow-all",
            "allowed_methods": ["GET", "HEAD"],
            "cached_methods": ["GET", "HEAD"],
        },
        restrictions={"geo_restriction": {"restriction_type": "none"}},
        viewer_certificate={"cloudfront_default_certificate": True},
    )


def test_a_program_with_a_public_bucket_behind_cloudfront_fails_and_the_static_site_passes(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    public = run_callable(_public_site_program, "test", config={"aws:region": "eu-west-1"})
    private = run_callable(
        lambda: StaticSite("web", StaticSiteArgs(directory=tmp_path, content_security_policy=CSP)),
        "test",
        config={"aws:region": "eu-west-1"},
    )

    failing = [f for f in findings_for(public, "cloudfront-origin-private") if f.policy == "cloudfront-origin-private"]
    assert [f.resource for f in failing] == ["open-cdn"]
    assert "does not block public access" in failing[0].message
    assert "no origin access control" in failing[0].message
    assert [
        f for f in findings_for(private, "cloudfront-origin-private") if f.policy == "cloudfront-origin-private"
    ] == []


def _stage(environment: str) -> PolicyResource:
    stage = stack_resource(REST_STAGE, "api-stage", {"arn": STAGE_ARN, "stageName": "v1"})
    return PolicyResource(
        stage.resource_type,
        stage.props,
        stage.urn,
        stage.name,
        stage.opts,
        provider(environment),
        None,
        [],
        {},
    )


def test_a_prod_stage_without_a_web_acl_is_reported_and_dev_is_not() -> None:
    policy = stack_policy("prod-rest-api-web-acl")
    association = stack_resource(WEB_ACL_ASSOCIATION, "fw", {"resourceArn": STAGE_ARN, "webAclArn": "arn:acl"})

    assert stack_violations(policy, [_stage("dev")]) == []
    assert stack_violations(policy, [_stage("prod"), association]) == []
    [found] = stack_violations(policy, [_stage("prod")])
    assert found.startswith("api-stage: Stage api-stage of a production REST API has no web ACL")


def test_the_prod_program_with_its_web_acl_turned_off_fails() -> None:
    config = load_stack_config("prod") | {"eventshop:waf": json.dumps({"enabled": False, "rateLimit": 2000})}
    run = run_program("prod", config=config)

    failing = [f for f in findings_for(run, "prod-rest-api-web-acl") if f.policy == "prod-rest-api-web-acl"]
    assert [f.resource for f in failing] == [next(r.name for r in run.of_type(REST_STAGE))]
