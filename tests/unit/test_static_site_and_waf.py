"""StaticSite and WebAcl alone and in both stacks: a private origin, CloudFront only, headers, WAF in prod."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.base import Transform, TransformResult
from components.security_headers import headers_of_policy_config, security_headers
from components.static_site import CLOUDFRONT, MINIMUM_TLS, CustomDomain, StaticSite, StaticSiteArgs
from components.web_acl import COMMON_RULES, WebAcl, WebAclArgs
from devtools.program import ProgramRun, RecordedResource, run_callable
from services.storefront_config import STOREFRONT_CLIENT, storefront_csp
from settings import Settings

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
HEADERS_POLICY = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
STAGE = "aws:apigateway/stage:Stage"
API_KEY = "aws:apigateway/apiKey:ApiKey"
CSP = "default-src 'none'; script-src 'self'; connect-src 'self' https://api.example.com/"
SITE = Path(__file__).resolve().parents[2] / "storefront"


def run(build: Callable[[], object]) -> ProgramRun:
    return run_callable(build, stack="test")


def site(tmp_path: Path, **overrides: Any) -> StaticSiteArgs:
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    (tmp_path / "app.js").write_text("export {};")
    values: dict[str, Any] = {"directory": tmp_path, "content_security_policy": CSP}
    return StaticSiteArgs(**(values | overrides))


def only(run: ProgramRun, typ: str, name_part: str = "") -> RecordedResource:
    found = [r for r in run.of_type(typ) if name_part in r.name]
    assert len(found) == 1, f"{len(found)} {typ} named *{name_part}*"
    return found[0]


def test_the_bucket_admits_cloudfront_only_for_this_distribution(tmp_path: Path) -> None:
    result = run(lambda: StaticSite("web", site(tmp_path)))

    distribution = only(result, DISTRIBUTION)
    policy = json.loads(only(result, BUCKET_POLICY).inputs["policy"])
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "AllowServiceRead0",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDFRONT},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::eventshop-test-web-files/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution.arn}},
        }
    ]
    block = only(result, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[key] is True for key in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls"))
    lifecycle = only(result, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert "expiration" not in lifecycle.inputs["rules"][0]  # a site's files stay until replaced


def test_cloudfront_signs_origin_requests_and_redirects_viewers_to_https(tmp_path: Path) -> None:
    result = run(lambda: StaticSite("web", site(tmp_path)))

    oac = only(result, OAC)
    distribution = only(result, DISTRIBUTION).inputs
    assert (oac.inputs["signingBehavior"], oac.inputs["signingProtocol"]) == ("always", "sigv4")
    assert oac.inputs["originAccessControlOriginType"] == "s3"
    [origin] = distribution["origins"]
    assert origin["originAccessControlId"] == oac.id
    assert origin["domainName"] == "eventshop-test-web-files.s3.eu-west-1.amazonaws.com"
    behavior = distribution["defaultCacheBehavior"]
    assert behavior["viewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["allowedMethods"] == ["GET", "HEAD"]
    assert behavior["responseHeadersPolicyId"] == only(result, HEADERS_POLICY).id
    assert distribution["defaultRootObject"] == "index.html"


def test_every_answer_carries_the_shared_security_headers(tmp_path: Path) -> None:
    result = run(lambda: StaticSite("web", site(tmp_path)))

    config = only(result, HEADERS_POLICY).inputs["securityHeadersConfig"]
    assert headers_of_policy_config(config) == security_headers(CSP)
    assert all(header["override"] for header in config.values())


def test_a_custom_domain_requires_tls_1_2(tmp_path: Path) -> None:
    domain = CustomDomain(
        aliases=("shop.example.com",), certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/abc-123"
    )
    result = run(lambda: StaticSite("web", site(tmp_path, domain=domain)))

    certificate = only(result, DISTRIBUTION).inputs["viewerCertificate"]
    assert certificate["minimumProtocolVersion"] == MINIMUM_TLS == "TLSv1.2_2021"
    assert certificate["sslSupportMethod"] == "sni-only"


def test_files_are_uploaded_with_their_content_types_and_generated_ones_replace_them(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"stale": true}')
    args = site(tmp_path, generated={"config.json": '{"apiUrl": "https://api.example.com"}'})
    result = run(lambda: StaticSite("web", args))

    objects = {r.inputs["key"]: r.inputs for r in result.of_type(OBJECT)}
    assert {key: inputs["contentType"] for key, inputs in objects.items()} == {
        "app.js": "text/javascript; charset=utf-8",
        "index.html": "text/html; charset=utf-8",
        "config.json": "application/json",
    }
    assert objects["config.json"]["content"] == '{"apiUrl": "https://api.example.com"}'
    assert all(inputs["bucket"] == "eventshop-test-web-files" for inputs in objects.values())


def hostile(**values: Any) -> Transform:
    """A transform that overwrites the given keys (keeping the defaults the constructor needs) and drops the
    pattern's options: no parent, no dependencies, no aliases."""

    def transform(args: dict[str, Any], opts: pulumi.ResourceOptions) -> TransformResult:
        return args | values, pulumi.ResourceOptions(parent=None, depends_on=[], aliases=[])

    return transform


def test_a_transform_cannot_unsign_the_origin_or_allow_plain_http(tmp_path: Path) -> None:
    transforms = {
        "origin_access_control": hostile(signing_behavior="never", signing_protocol="none"),
        "distribution": hostile(
            enabled=False,
            origins=[{"origin_id": "elsewhere", "domain_name": "attacker.example.com"}],
            default_cache_behavior={"viewer_protocol_policy": "allow-all", "response_headers_policy_id": "none"},
        ),
        "headers_policy": hostile(security_headers_config={}),
        "object": hostile(bucket="attacker-bucket", key="evil.html"),
    }
    result = run(lambda: StaticSite("web", site(tmp_path), transforms=transforms))

    oac = only(result, OAC)
    assert (oac.inputs["signingBehavior"], oac.inputs["signingProtocol"]) == ("always", "sigv4")
    distribution = only(result, DISTRIBUTION).inputs
    assert distribution["enabled"] is True
    assert [origin["originAccessControlId"] for origin in distribution["origins"]] == [oac.id]
    behavior = distribution["defaultCacheBehavior"]
    assert behavior["viewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["responseHeadersPolicyId"] == only(result, HEADERS_POLICY).id
    assert headers_of_policy_config(only(result, HEADERS_POLICY).inputs["securityHeadersConfig"]) == security_headers(
        CSP
    )
    objects = result.of_type(OBJECT)
    assert sorted(r.inputs["key"] for r in objects) == ["app.js", "index.html"]
    assert all(r.inputs["bucket"] == "eventshop-test-web-files" for r in objects)


def test_static_site_arguments_are_validated_at_once(tmp_path: Path) -> None:
    args = site(
        tmp_path,
        content_security_policy="script-src 'self' 'unsafe-inline'",
        price_class="PriceClass_Cheap",
        generated={"notes.txt": "hi"},
        domain=CustomDomain(aliases=(), certificate_arn="arn:aws:acm:eu-west-1:123456789012:certificate/x"),
    )
    with pytest.raises(ValueError, match="unsafe-inline") as error:
        run(lambda: StaticSite("web", args, transforms={"cdn": hostile()}))
    for expected in ("price_class must be one of", "notes.txt", "domain.aliases", "us-east-1", "unknown child 'cdn'"):
        assert expected in str(error.value)


def test_a_web_acl_rate_limits_each_ip_then_applies_the_common_rules() -> None:
    stage = "arn:aws:apigateway:eu-west-1::/restapis/abc/stages/v1"
    result = run(lambda: WebAcl("fw", WebAclArgs(resource_arns=[stage], rate_limit=500)))

    acl = only(result, WEB_ACL)
    rate, common = sorted(acl.inputs["rules"], key=lambda rule: rule["priority"])
    assert acl.inputs["scope"] == "REGIONAL"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    assert rate["statement"]["rateBasedStatement"] == {
        "limit": 500,
        "aggregateKeyType": "IP",
        "evaluationWindowSec": 300,
    }
    assert rate["action"] == {"block": {}}
    assert common["statement"]["managedRuleGroupStatement"] == {"name": COMMON_RULES, "vendorName": "AWS"}
    association = only(result, ASSOCIATION).inputs
    assert (association["resourceArn"], association["webAclArn"]) == (stage, acl.arn)


def test_web_acl_arguments_are_validated_at_once() -> None:
    args = WebAclArgs(resource_arns=[], rate_limit=5, evaluation_window_seconds=30)
    with pytest.raises(ValueError, match="resource_arns must name at least one") as error:
        run(lambda: WebAcl("fw", args))
    assert "rate_limit must be between 10 and 2000000000, got 5" in str(error.value)
    assert "evaluation_window_seconds must be one of 60, 120, 300, 600, got 30" in str(error.value)


def test_the_rest_api_stage_has_a_web_acl_exactly_where_the_settings_ask(run: ProgramRun, settings: Settings) -> None:
    associations = run.of_type(ASSOCIATION)
    if not settings.waf.enabled:
        assert associations == [] and run.of_type(WEB_ACL) == []
        return
    [stage] = run.of_type(STAGE)
    [acl] = run.of_type(WEB_ACL)
    assert [a.inputs["resourceArn"] for a in associations] == [stage.arn]
    rate = next(rule for rule in acl.inputs["rules"] if "rateBasedStatement" in rule["statement"])
    assert rate["statement"]["rateBasedStatement"]["limit"] == settings.waf.rate_limit


def test_the_storefronts_config_and_csp_come_from_the_deployed_outputs(run: ProgramRun, settings: Settings) -> None:
    [stage] = run.of_type(STAGE)
    pool = only(run, "aws:cognito/userPool:UserPool")
    client = only(run, "aws:cognito/userPoolClient:UserPoolClient")
    config_object = next(r for r in run.of_type(OBJECT) if r.inputs["key"] == "config.json")
    [storefront_key] = [k for k in run.of_type(API_KEY) if k.inputs["tags"]["client"] == STOREFRONT_CLIENT]

    config = json.loads(config_object.inputs["content"])
    assert config == {
        "apiUrl": stage.outputs["invokeUrl"],
        "websocketUrl": config["websocketUrl"],
        "region": settings.region,
        "userPoolId": pool.id,
        "userPoolClientId": client.id,
        "cognitoEndpoint": f"https://cognito-idp.{settings.region}.amazonaws.com/",
        "apiKey": storefront_key.outputs["value"],
    }
    assert storefront_key.inputs["tags"] == {"client": STOREFRONT_CLIENT}
    assert config["apiKey"] and len(config["apiKey"]) >= 20
    csp = only(run, HEADERS_POLICY).inputs["securityHeadersConfig"]["contentSecurityPolicy"]["contentSecurityPolicy"]
    assert csp == storefront_csp(config)
    uploaded = {r.inputs["key"] for r in run.of_type(OBJECT)}
    assert uploaded == {p.name for p in SITE.iterdir()} | {"config.json"}


def test_a_transform_cannot_widen_the_web_acl_or_move_its_association() -> None:
    stage = "arn:aws:apigateway:eu-west-1::/restapis/abc/stages/v1"
    transforms = {
        "web_acl": hostile(rules=[], default_action={"block": {}}, scope="CLOUDFRONT", visibility_config={}),
        "association": hostile(resource_arn="arn:aws:elasticloadbalancing:other", web_acl_arn="arn:other"),
    }
    result = run(lambda: WebAcl("fw", WebAclArgs(resource_arns=[stage], rate_limit=500), transforms=transforms))

    acl = only(result, WEB_ACL).inputs
    assert (acl["scope"], acl["defaultAction"], len(acl["rules"])) == ("REGIONAL", {"allow": {}}, 2)
    assert acl["visibilityConfig"]["cloudwatchMetricsEnabled"] is True
    association = only(result, ASSOCIATION).inputs
    assert (association["resourceArn"], association["webAclArn"]) == (stage, only(result, WEB_ACL).arn)
