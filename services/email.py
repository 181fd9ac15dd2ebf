"""Email: tells customers what happened to their order.

Consumes the customer-facing events directly (EventService) and publishes each rendered message to the
customer topic: in dev an outbox queue subscribes, in prod the configured email / HTTPS subscribers.
Successful results are recorded on the bus; failures land in the DLQ.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from components import (
    EventService,
    EventServiceArgs,
    NotifyingTopic,
    NotifyingTopicArgs,
    QueuedConsumer,
    TopicSubscription,
)
from components.notifying_topic import QueueSubscriber
from services import events
from services.context import ServiceContext, idempotency_grant

CONSUMES = ("OrderPlaced", "PaymentSucceeded", "PaymentFailed", "OutOfStock", "OrderShipped")
# Through a queue, so a reminder that fails to send is retried, then dead-lettered.
CONSUMES_QUEUED = ("CartReminderDue",)


class Email(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: ServiceContext, opts: pulumi.ResourceOptions | None = None) -> None:
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
                subscriptions=events.subscriptions(*CONSUMES),
                retry=ctx.async_retry,
                on_success_to_bus=True,
                function=ctx.function(
                    "handlers.email.app.handler",
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
