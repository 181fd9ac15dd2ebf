"""Invoices cannot be overwritten: versioned, Object Lock in governance mode, conditional creates, SSE-KMS."""

from __future__ import annotations

import json

from devtools.program import ACCOUNT_ID, ProgramRun
from settings import Settings

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def bucket_name(run: ProgramRun) -> str:
    return f"eventshop-{run.stack}-invoices"


def billing_role_arn(run: ProgramRun) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:role/eventshop-{run.stack}-billing-role"


def test_every_version_of_every_invoice_is_kept(run: ProgramRun) -> None:
    versioning = run.named("invoices-versioning").inputs

    assert versioning == {"bucket": bucket_name(run), "versioningConfiguration": {"status": "Enabled"}}


def test_each_invoice_version_is_locked_in_governance_mode_for_the_stacks_retention(
    run: ProgramRun, settings: Settings
) -> None:
    lock = run.named("invoices-object-lock").inputs

    assert lock == {
        "bucket": bucket_name(run),
        "objectLockEnabled": "Enabled",
        "rule": {"defaultRetention": {"mode": "GOVERNANCE", "days": settings.invoices.retention_days}},
    }


def test_object_lock_is_enabled_in_place_so_the_existing_bucket_is_not_replaced(run: ProgramRun) -> None:
    """The bucket's own objectLockEnabled flag forces a new bucket; the lock configuration does not."""
    assert "objectLockEnabled" not in run.named("invoices-bucket").inputs


def test_the_bucket_refuses_a_put_of_an_invoice_that_is_not_a_conditional_create(run: ProgramRun) -> None:
    arn = f"arn:aws:s3:::{bucket_name(run)}"
    _, write_once = run.named("invoices-policy").json_input("policy")["Statement"]

    assert write_once == {
        "Sid": "DenyOverwritingWriteOnceObjects",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": [f"{arn}/invoices/*"],
        "Condition": {"Null": {"s3:if-none-match": "true"}},
    }


def test_noncurrent_versions_go_once_their_lock_has_passed(run: ProgramRun) -> None:
    [rule] = run.named("invoices-lifecycle").inputs["rules"]

    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 1}


def test_billing_may_only_create_invoices_never_delete_or_bypass_the_lock(run: ProgramRun) -> None:
    policy = run.named("billing-policy").json_input("policy")
    s3_actions = {a for s in policy["Statement"] for a in s["Action"] if a.startswith("s3:")}

    assert s3_actions == {"s3:PutObject"}
    every_action = {
        a for p in run.of_type(ROLE_POLICY) for s in json.loads(p.inputs["policy"])["Statement"] for a in s["Action"]
    }
    assert not {a for a in every_action if a.startswith("s3:Delete") or a == "s3:BypassGovernanceRetention"}


def test_the_key_lets_billing_only_generate_data_keys_through_s3_for_this_bucket(run: ProgramRun) -> None:
    arn = f"arn:aws:s3:::{bucket_name(run)}"
    statements = {s["Sid"]: s for s in run.named("invoices-key-key").json_input("policy")["Statement"]}

    assert set(statements) == {"AccountAdministersKeyThroughIam", "BillingEncryptsInvoicesThroughS3"}
    assert statements["BillingEncryptsInvoicesThroughS3"] == {
        "Sid": "BillingEncryptsInvoicesThroughS3",
        "Effect": "Allow",
        "Principal": {"AWS": billing_role_arn(run)},
        "Action": ["kms:GenerateDataKey"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [arn, f"{arn}/invoices/*"]},
        },
    }


def test_email_may_decrypt_invoices_only_through_s3(run: ProgramRun) -> None:
    key_arn = run.named("invoices-key-key").arn
    policy = run.named("email-policy").json_input("policy")
    [kms] = [
        s for s in policy["Statement"] if any(a.startswith("kms:") and s["Resource"] == [key_arn] for a in s["Action"])
    ]

    assert kms["Action"] == ["kms:Decrypt"]
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
