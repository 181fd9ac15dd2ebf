"""Bucket.objects_arn: the one place an object ARN pattern is spelled, for grants and the bucket policy."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components import Bucket, BucketArgs
from devtools.program import run_callable


def test_objects_arn_names_the_objects_under_a_prefix_or_all_of_them() -> None:
    def build() -> None:
        docs = Bucket("docs", BucketArgs(expiration_days=7))
        document = pulumi.Output.json_dumps({"Resource": [docs.objects_arn("reports/"), docs.objects_arn()]})
        aws.iam.Policy("arns", policy=document)

    result = run_callable(build, stack="test")
    bucket_arn = result.named("docs-bucket").arn

    assert result.named("arns").json_input("policy") == {"Resource": [f"{bucket_arn}/reports/*", f"{bucket_arn}/*"]}
    tls = result.named("docs-policy").json_input("policy")["Statement"][0]
    assert tls["Resource"] == [bucket_arn, f"{bucket_arn}/*"]
