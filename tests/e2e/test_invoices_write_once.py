"""On the local cloud: an invoice is created once, encrypted with the bucket's key, and locked."""

from __future__ import annotations

import pytest

from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper
from tests.e2e.conftest import settled_order

#: Isolated by their own order, customer and cart ids (tests/e2e/conftest.py).
pytestmark = pytest.mark.shared_cloud

BUCKET = "eventshop-dev-invoices"


def test_a_paid_orders_invoice_is_kms_encrypted_locked_and_has_one_version(cloud: LocalCloud, shopper: Shopper) -> None:
    order_id = shopper.place_order([("MUG-LOGO", 1)])
    assert settled_order(cloud, shopper, order_id)["status"] == "SHIPPED"
    s3 = cloud.clients("s3")
    key = f"invoices/{order_id}.json"

    head = s3.head_object(Bucket=BUCKET, Key=key)
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"]
    lock = s3.get_object_lock_configuration(Bucket=BUCKET)["ObjectLockConfiguration"]

    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert len(versions) == 1
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "GOVERNANCE"
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"


def test_a_second_write_of_an_issued_invoice_is_refused(cloud: LocalCloud, shopper: Shopper) -> None:
    order_id = shopper.place_order([("MUG-LOGO", 1)])
    settled_order(cloud, shopper, order_id)
    s3 = cloud.clients("s3")
    key = f"invoices/{order_id}.json"

    refused = False
    try:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"{}", IfNoneMatch="*")
    except s3.exceptions.ClientError as error:
        refused = error.response["Error"]["Code"] == "PreconditionFailed"

    assert refused
    assert len(s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"]) == 1
