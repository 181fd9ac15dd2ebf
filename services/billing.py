"""Billing: charges each placed order once and records the payment.

Consumes OrderPlaced, OutOfStock and FulfillmentFailed (queued). Emits PaymentSucceeded / PaymentFailed, and
PaymentRefunded when OutOfStock or FulfillmentFailed compensates a captured payment (source eventshop.billing).
Writes an invoice document ``invoices/<orderId>.json`` for every captured payment to the invoices bucket, whose
Object Created events go to EventBridge.

An invoice, once written, cannot be replaced or removed by Billing: the bucket is versioned with Object
Lock (governance mode, the stack's invoice retention), its policy refuses a PutObject under ``invoices/``
without If-None-Match (so a second write of an order's invoice answers 412 and changes nothing), and
Billing's role has neither s3:DeleteObject* nor s3:BypassGovernanceRetention. Invoices are encrypted with
the bucket's own rotating KMS key, whose policy lets Billing only generate data keys through S3.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi

from components import Bucket, BucketArgs, Grant, ObjectLock, QueuedConsumer, Table
from components.base import physical_name, region_name
from components.encryption_key import EncryptionKey, EncryptionKeyArgs, KeyUser
from components.event_forwarder import EventForwarder, EventForwarderArgs
from components.subscriptions import Subscription
from services import events
from services.context import ServiceContext, idempotency_grant, table_grant

SOURCE = "eventshop.billing"
CONSUMES = ("OrderPlaced", "OutOfStock", "FulfillmentFailed")
#: Billing writes invoices under this prefix only, and may write nowhere else in the bucket.
INVOICE_PREFIX = "invoices/"


def invoice_created_pattern(bucket_name: str) -> dict[str, Any]:
    """S3's Object Created events for new invoices in ``bucket_name`` (on the default or the shop bus), checked
    against the catalogue and S3's contract like every subscription."""
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [bucket_name]}, "object": {"key": [{"prefix": INVOICE_PREFIX}]}},
    }
    return dict(events.checked(Subscription(key="invoices", pattern=pattern), "invoice notifications").pattern)


class Billing(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: ServiceContext,
        payment_intents: Table,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``payment_intents``: Orders' table of payment tokens by order id, which only Billing may read."""
        super().__init__("eventshop:services:Billing", name, None, opts)
        self.payments = ctx.table("payments", "orderId", parent=self)
        self.idempotency = ctx.idempotency_table("billing", parent=self)
        # A plain string, known before deployment: rule patterns filter on it.
        self.invoices_bucket_name = physical_name("invoices")
        retention_days = ctx.settings.invoices.retention_days
        # The key's policy names Billing's role, which exists only once the consumer is declared below.
        key_arn: pulumi.Output[str]
        resolve_key_arn: Callable[[pulumi.Output[str]], None]
        key_arn, resolve_key_arn = pulumi.deferred_output()
        self.invoices = Bucket(
            "invoices",
            BucketArgs(
                expiration_days=retention_days,
                kms_key_arn=key_arn,
                eventbridge=True,
                versioning=True,
                object_lock=ObjectLock(days=retention_days, mode="GOVERNANCE"),
                write_once_prefixes=(INVOICE_PREFIX,),
                protect=ctx.settings.data.protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # S3 sends its events to the default bus only; this rule brings the invoices' ones to the shop bus.
        self.invoice_events = EventForwarder(
            "invoices-forward",
            EventForwarderArgs(
                to_bus=ctx.bus,
                pattern=invoice_created_pattern(self.invoices_bucket_name),
                sources=("aws.s3",),
                alarm_topic_arn=ctx.alarm_topic_arn,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.consumer = QueuedConsumer(
            "billing",
            ctx.queued(
                CONSUMES,
                ctx.function(
                    "handlers.billing.app.handler",
                    "billing",
                    environment={
                        "PAYMENTS_TABLE": self.payments.table.name,
                        "PAYMENT_INTENTS_TABLE": payment_intents.table.name,
                        "IDEMPOTENCY_TABLE": self.idempotency.table.name,
                        "INVOICES_BUCKET": self.invoices.bucket.bucket,
                    },
                    grants=(
                        # UpdateItem: the refund's conditional CAPTURED -> REFUNDED.
                        table_grant(self.payments, "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"),
                        # The token of one order, read right before the charge and deleted once it is recorded.
                        table_grant(payment_intents, "dynamodb:GetItem", "dynamodb:DeleteItem"),
                        idempotency_grant(self.idempotency),
                        Grant(
                            actions=("s3:PutObject",),
                            resources=(self.invoices.objects_arn(INVOICE_PREFIX),),
                        ),
                    ),
                    emits=SOURCE,
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.invoices_key = self._invoices_key(self.consumer.consumer.role.arn, ctx.settings.data.protect)
        resolve_key_arn(self.invoices_key.key.arn)
        self.register_outputs(
            {"payments_table": self.payments.table.name, "invoices_bucket": self.invoices.bucket.bucket}
        )

    def _invoices_key(self, billing_role_arn: pulumi.Output[str], protect: bool) -> EncryptionKey:
        """Billing may only have S3 generate data keys for invoices in this bucket: it never reads them back."""
        bucket_arn = f"arn:aws:s3:::{self.invoices_bucket_name}"
        return EncryptionKey(
            "invoices-key",
            EncryptionKeyArgs(
                description=f"Encrypts the invoices in {self.invoices_bucket_name}",
                users=(
                    KeyUser(
                        sid="BillingEncryptsInvoicesThroughS3",
                        role_arn=billing_role_arn,
                        actions=("kms:GenerateDataKey",),
                        conditions={
                            "StringEquals": {
                                "kms:ViaService": pulumi.Output.concat("s3.", region_name(self), ".amazonaws.com")
                            },
                            # With an S3 Bucket Key the context is the bucket's ARN; without, the object's.
                            "StringLike": {
                                "kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/{INVOICE_PREFIX}*"]
                            },
                        },
                    ),
                ),
                protect=protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
