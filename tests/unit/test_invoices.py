"""The invoices bucket: private, encrypted, TLS-only, owner-enforced, expiring per stack, EventBridge on."""

from __future__ import annotations

from devtools.program import ProgramRun
from settings import Settings

PREFIX = "invoices"


def bucket_name(run: ProgramRun) -> str:
    return f"eventshop-{run.stack}-invoices"


def test_the_invoices_bucket_is_named_per_stack(run: ProgramRun) -> None:
    assert run.named("invoices-bucket").inputs["bucket"] == bucket_name(run)


def test_objects_are_encrypted_with_the_buckets_own_rotating_key(run: ProgramRun) -> None:
    encryption = run.named("invoices-encryption").inputs
    key = run.named("invoices-key-key")
    assert encryption["bucket"] == bucket_name(run)
    assert encryption["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.arn},
            "bucketKeyEnabled": True,
        }
    ]
    assert key.inputs["enableKeyRotation"] is True


def test_public_access_is_blocked_four_ways(run: ProgramRun) -> None:
    block = run.named("invoices-public-access-block").inputs
    assert {key: block[key] for key in block if key != "bucket"} == {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }


def test_the_bucket_owner_owns_every_object(run: ProgramRun) -> None:
    assert run.named("invoices-ownership").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_the_policy_denies_every_request_without_tls(run: ProgramRun) -> None:
    arn = f"arn:aws:s3:::{bucket_name(run)}"
    statement, _ = run.named("invoices-policy").json_input("policy")["Statement"]
    assert statement == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def test_invoices_expire_after_the_stacks_retention(run: ProgramRun, settings: Settings) -> None:
    [rule] = run.named("invoices-lifecycle").inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["expiration"] == {"days": settings.invoices.retention_days}
    assert rule["expiration"]["days"] == {"dev": 30, "prod": 2555}[run.stack]


def test_bucket_events_go_to_eventbridge(run: ProgramRun) -> None:
    notification = run.named("invoices-notification").inputs
    assert notification == {"bucket": bucket_name(run), "eventbridge": True}


def test_billing_receives_the_bucket_name(run: ProgramRun) -> None:
    billing = next(f for f in run.of_type("aws:lambda/function:Function") if f.inputs["name"].endswith("-billing"))
    assert billing.inputs["environment"]["variables"]["INVOICES_BUCKET"] == bucket_name(run)
