"""An issued invoice is never replaced: Billing creates it once, and a redelivery leaves it as it was."""

from __future__ import annotations

from types import ModuleType

import boto3
import pytest

from tests.handlers.builders import order_placed, sqs_event
from tests.handlers.conftest import FakeLambdaContext, Shop
from tests.handlers.shop_state import INVOICES_BUCKET

KEY = "invoices/order-21.json"


@pytest.fixture
def locked_bucket(billing: ModuleType) -> None:
    """The invoices bucket as the program configures it: versioned, Object Lock in governance mode."""
    s3 = boto3.client("s3")
    s3.put_bucket_versioning(Bucket=INVOICES_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(
        Bucket=INVOICES_BUCKET,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}},
        },
    )


def versions() -> list[dict[str, object]]:
    return list(boto3.client("s3").list_object_versions(Bucket=INVOICES_BUCKET).get("Versions", []))


def redeliver(billing: ModuleType, shop: Shop, context: FakeLambdaContext, placed: dict[str, object]) -> None:
    for item in shop.table("idempotency").scan()["Items"]:
        shop.table("idempotency").delete_item(Key={"id": item["id"]})
    billing.handler(sqs_event(placed), context)


def test_a_redelivered_order_adds_no_second_version_of_its_invoice(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext, locked_bucket: None
) -> None:
    placed = order_placed("order-21")

    billing.handler(sqs_event(placed), context)
    redeliver(billing, shop, context, placed)

    assert [v["Key"] for v in versions()] == [KEY]


def test_an_invoice_already_there_is_left_as_it_was_and_the_outcome_still_emitted(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext, locked_bucket: None
) -> None:
    boto3.client("s3").put_object(Bucket=INVOICES_BUCKET, Key=KEY, Body=b'{"issued": "first"}')

    billing.handler(sqs_event(order_placed("order-21")), context)

    body = boto3.client("s3").get_object(Bucket=INVOICES_BUCKET, Key=KEY)["Body"].read()
    assert body == b'{"issued": "first"}'
    assert len(versions()) == 1
    assert [event["detail-type"] for event in shop.emitted()] == ["PaymentSucceeded"]


def test_billing_cannot_remove_a_locked_invoice_version(
    billing: ModuleType, shop: Shop, context: FakeLambdaContext, locked_bucket: None
) -> None:
    billing.handler(sqs_event(order_placed("order-21")), context)
    (version,) = versions()

    with pytest.raises(boto3.client("s3").exceptions.ClientError, match="AccessDenied"):
        boto3.client("s3").delete_object(Bucket=INVOICES_BUCKET, Key=KEY, VersionId=str(version["VersionId"]))
