"""The storefront's and the firewall's resources provisioned in moto: CloudFront, its origin access control,
the site's objects with their content types, and a WAF web ACL associated with a REST API stage."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from moto import mock_aws

from components.static_site import StaticSite, StaticSiteArgs
from components.web_acl import WebAcl, WebAclArgs
from devtools.program import run_callable
from localcloud.provision import Clients, MotoMocks

REGION = "eu-west-1"
CSP = "default-src 'none'; connect-src 'self' https://api.example.com/"
HEADERS_POLICY = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"


def test_a_static_site_is_provisioned_with_its_distribution_oac_policy_and_objects(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html><title>shop</title>")
    (tmp_path / "app.js").write_text("export {};")
    args = StaticSiteArgs(directory=tmp_path, content_security_policy=CSP, generated={"config.json": '{"a": 1}'})

    with mock_aws():
        mocks = MotoMocks("parts", REGION, Clients(REGION))
        run = run_callable(lambda: StaticSite("web", args), "parts", mocks=mocks, config={"aws:region": REGION})
        s3 = boto3.client("s3", region_name=REGION)
        cloudfront = boto3.client("cloudfront", region_name="us-east-1")
        distribution = run.of_type("aws:cloudfront/distribution:Distribution")[0]
        config = cloudfront.get_distribution_config(Id=distribution.id)["DistributionConfig"]
        access_controls = cloudfront.list_origin_access_controls()["OriginAccessControlList"]["Items"]
        policy = json.loads(s3.get_bucket_policy(Bucket="eventshop-parts-web-files")["Policy"])
        objects = {
            key: s3.get_object(Bucket="eventshop-parts-web-files", Key=key)
            for key in ("index.html", "app.js", "config.json")
        }

    assert [r.typ for r in mocks.unprovisioned] == [HEADERS_POLICY], "moto has no response headers policies"
    assert distribution.outputs["domainName"].endswith(".cloudfront.net")
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["Origins"]["Items"][0]["DomainName"] == f"eventshop-parts-web-files.s3.{REGION}.amazonaws.com"
    assert [(c["SigningBehavior"], c["SigningProtocol"]) for c in access_controls] == [("always", "sigv4")]
    read = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    assert read["Condition"] == {"StringEquals": {"AWS:SourceArn": distribution.outputs["arn"]}}
    assert {key: answer["ContentType"] for key, answer in objects.items()} == {
        "index.html": "text/html; charset=utf-8",
        "app.js": "text/javascript; charset=utf-8",
        "config.json": "application/json",
    }
    assert objects["config.json"]["Body"].read() == b'{"a": 1}'


def test_a_web_acl_is_created_and_associated_with_the_stage() -> None:
    with mock_aws():
        apigateway = boto3.client("apigateway", region_name=REGION)
        api = apigateway.create_rest_api(name="shop")
        resource = apigateway.get_resources(restApiId=api["id"])["items"][0]["id"]
        apigateway.put_method(restApiId=api["id"], resourceId=resource, httpMethod="GET", authorizationType="NONE")
        apigateway.put_integration(restApiId=api["id"], resourceId=resource, httpMethod="GET", type="MOCK")
        apigateway.create_deployment(restApiId=api["id"], stageName="v1")
        stage = f"arn:aws:apigateway:{REGION}::/restapis/{api['id']}/stages/v1"

        mocks = MotoMocks("parts", REGION, Clients(REGION))
        args = WebAclArgs(resource_arns=[stage], rate_limit=300)
        run = run_callable(lambda: WebAcl("fw", args), "parts", mocks=mocks, config={"aws:region": REGION})
        wafv2 = boto3.client("wafv2", region_name=REGION)
        attached = wafv2.get_web_acl_for_resource(ResourceArn=stage)["WebACL"]

    acl = run.of_type("aws:wafv2/webAcl:WebAcl")[0]
    assert mocks.unprovisioned == []
    assert attached["ARN"] == acl.outputs["arn"]
    rate = next(rule for rule in attached["Rules"] if rule["Name"] == "rate-limit-per-ip")
    assert rate["Statement"]["RateBasedStatement"] == {
        "Limit": 300,
        "AggregateKeyType": "IP",
        "EvaluationWindowSec": 300,
    }
