"""Email: tells customers what happened to their order.

Consumes the customer-facing events directly (EventService) and publishes each rendered message to the
customer topic: in dev an outbox queue subscribes, in prod the configured email / HTTPS subscribers.
Successful results are recorded on the bus; failures land in the DLQ. Also consumes S3's Object Created
events for new invoices (forwarded to the shop bus by Billing's forwarder) and sends "your invoice is
ready", reading the invoice document for the customer's address.

Every mail is recorded in the sent table, one row per (order or cart, kind of mail), without TTL: a
redelivery, soon or as an archive replay months later, mails nothing. That record is Email's only dedupe.
Cart reminders are not mailed for a cart that was ordered (Reminders' carts table, read only).
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
from services.context import ServiceContext, table_grant
from services.reminders import Reminders

CONSUMES = (
    "OrderPlaced",
    "PaymentSucceeded",
    "PaymentFailed",
    "PaymentRefunded",
    "OutOfStock",
    "OrderShipped",
    "FulfillmentFailed",
)
# Through a queue, so a reminder that fails to send is retried, then dead-lettered.
CONSUMES_QUEUED = ("CartReminderDue",)


class Email(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: ServiceContext,
        billing: Billing,
        reminders: Reminders,
        opts: pulumi.ResourceOptions | None = None,
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
        # Retired: the sent table alone dedupes mails now (handlers/email/app.py), and no function reads or
        # writes this table. Kept until every deployed stack runs that code (its records expire within 24 h);
        # then dropped with `make stateful-urns` --forget.
        self.idempotency = ctx.idempotency_table("email", parent=self)
        # The durable record of every mail sent (handlers/email/sent.py): claim, publish, mark sent.
        self.sent = ctx.table("email-sent", "id", parent=self)
        sent_grant = table_grant(self.sent, "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem")
        self.sender = EventService(
            "email",
            EventServiceArgs(
                bus=ctx.bus,
                subscriptions=(
                    *events.subscriptions(*CONSUMES, subscriber="handlers.email.app.handler"),
                    # "Your invoice is ready": the invoices' Object Created events, forwarded to the shop bus.
                    Subscription(key="invoices", pattern=invoice_created_pattern(billing.invoices_bucket_name)),
                ),
                retry=ctx.async_retry,
                # No on-success destination: Lambda's success record repeats the request payload (the
                # customer's address) and the response, and nothing consumes it. Failures go to the DLQ.
                function=ctx.function(
                    "handlers.email.app.handler",
                    "email",
                    # A cap: a burst or an archive replay waits in Lambda's async queue, not in the API's share.
                    reserved_concurrency=ctx.settings.concurrency.email,
                    environment={
                        "CUSTOMER_TOPIC_ARN": self.customer_topic.topic.arn,
                        "SENT_TABLE": self.sent.table.name,
                    },
                    grants=(
                        *self.customer_topic.publish_grants(),
                        sent_grant,
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
                        "SENT_TABLE": self.sent.table.name,
                        "CARTS_TABLE": reminders.carts.table.name,
                    },
                    grants=(
                        *self.customer_topic.publish_grants(),
                        sent_grant,
                        # Whether the cart was ordered: no reminder then.
                        table_grant(reminders.carts, "dynamodb:GetItem"),
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        resolve_reminder_role_arn(self.reminders.consumer.role.arn)
        self.register_outputs({"customer_topic_arn": self.customer_topic.topic.arn})
