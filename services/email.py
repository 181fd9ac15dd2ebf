"""Email: tells customers what happened to their order.

Consumes the customer-facing events directly (EventService) and publishes each rendered message to the
customer topic: in dev an outbox queue subscribes, in prod the configured email / HTTPS subscribers.
Successful results are recorded on the bus; failures land in the DLQ. Also consumes S3's Object Created
events for new invoices (forwarded to the shop bus by Billing's forwarder) and sends "your invoice is
ready", reading the invoice document for the customer's address.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from components import (
    EventService,
    EventServiceArgs,
    Grant,
    NotifyingTopic,
    NotifyingTopicArgs,
    QueuedConsumer,
    Subscription,
    TopicSubscription,
)
from components.base import region_name
from components.notifying_topic import QueueSubscriber
from services import events
from services.billing import INVOICE_PREFIX, Billing, invoice_created_pattern
from services.context import ServiceContext, idempotency_grant

CONSUMES = ("OrderPlaced", "PaymentSucceeded", "PaymentFailed", "PaymentRefunded", "OutOfStock", "OrderShipped")
# Through a queue, so a reminder that fails to send is retried, then dead-lettered.
CONSUMES_QUEUED = ("CartReminderDue",)


class Email(pulumi.ComponentResource):
    def __init__(
        self, name: str, ctx: ServiceContext, billing: Billing, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eventshop:services:Email", name, None, opts)
        notifications = ctx.settings.customer_notifications
        # The topic policy names the publishing role, which only exists once the function does.
        publisher_role_arn: pulumi.Output[str]
        resolve_publisher_role_arn: Callable[[pulumi.Output[str]], None]
        publisher_role_arn, resolve_publisher_role_arn = pulumi.deferred_output()
        reminder_role_arn: pulumi.Output[str]
        resolve_reminder_role_arn: Callable[[pulumi.Output[str]], None]
        reminder_role_arn, resolve_reminder_role_arn = pulumi.deferred_output()
        self.customer_topic = NotifyingTopic(
            "customer-notifications",
            NotifyingTopicArgs(
                publisher_role_arns=(publisher_role_arn, reminder_role_arn),
                alarm_topic_arn=ctx.alarm_topic_arn,
                queue_subscribers=(QueueSubscriber(key="outbox"),) if notifications.outbox_queue else (),
                subscriptions=(
                    *(
                        TopicSubscription(key=f"email-{index}", protocol="email", endpoint=address)
                        for index, address in enumerate(notifications.email_subscribers)
                    ),
                    *(
                        TopicSubscription(key=f"https-{index}", protocol="https", endpoint=url)
                        for index, url in enumerate(notifications.https_subscribers)
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.idempotency = ctx.idempotency_table("email", parent=self)
        self.sender = EventService(
            "email",
            EventServiceArgs(
                bus=ctx.bus,
                subscriptions=(
                    *events.subscriptions(*CONSUMES),
                    # "Your invoice is ready": the invoices' Object Created events, forwarded to the shop bus.
                    Subscription(key="invoices", pattern=invoice_created_pattern(billing.invoices_bucket_name)),
                ),
                retry=ctx.async_retry,
                on_success_to_bus=True,
                function=ctx.function(
                    "handlers.email.app.handler",
                    "email",
                    environment={
                        "CUSTOMER_TOPIC_ARN": self.customer_topic.topic.arn,
                        "IDEMPOTENCY_TABLE": self.idempotency.table.name,
                    },
                    grants=(
                        *self.customer_topic.publish_grants(),
                        idempotency_grant(self.idempotency),
                        # The S3 event has no customer: the invoice document names them (kept out of the
                        # key and the object metadata, which S3 events and access logs expose).
                        Grant(
                            actions=("s3:GetObject",),
                            resources=(billing.invoices.objects_arn(INVOICE_PREFIX),),
                        ),
                        # Invoices are SSE-KMS: reading one decrypts its data key, only through S3.
                        Grant(
                            actions=("kms:Decrypt",),
                            resources=(billing.invoices_key.key.arn,),
                            conditions={
                                "StringEquals": {
                                    "kms:ViaService": pulumi.Output.concat("s3.", region_name(self), ".amazonaws.com")
                                }
                            },
                        ),
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        resolve_publisher_role_arn(self.sender.consumer.role.arn)
        self.reminders = QueuedConsumer(
            "email-reminders",
            ctx.queued(
                CONSUMES_QUEUED,
                ctx.function(
                    "handlers.email.app.queued_handler",
                    "email",
                    environment={
                        "CUSTOMER_TOPIC_ARN": self.customer_topic.topic.arn,
                        "IDEMPOTENCY_TABLE": self.idempotency.table.name,
                    },
                    grants=(*self.customer_topic.publish_grants(), idempotency_grant(self.idempotency)),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        resolve_reminder_role_arn(self.reminders.consumer.role.arn)
        self.register_outputs({"customer_topic_arn": self.customer_topic.topic.arn})
