"""Reminders: a one-time EventBridge Scheduler schedule per cart that puts CartReminderDue on the bus.

Consumes ItemAddedToCart (create or move the cart's schedule) and OrderPlaced (delete it), queued.
The schedules (not the function) produce CartReminderDue (source eventshop.reminders) through the
Scheduler's EventBridge PutEvents universal target, as the scheduler role, which may do nothing else.
Owns the stack's schedule group, the scheduler role, the schedules' dead-letter queue and the carts table
(whether a cart was ordered: an ordered cart is never reminded, whatever order its events arrive in;
Email reads it before it mails a reminder).
"""

from __future__ import annotations

import pulumi

from components import QueuedConsumer, ScheduleTarget, ScheduleTargetArgs
from components.base import put_events_grant
from services.context import ServiceContext, table_grant

SOURCE = "eventshop.reminders"
CONSUMES = ("ItemAddedToCart", "OrderPlaced")


class Reminders(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: ServiceContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eventshop:services:Reminders", name, None, opts)
        self.carts = ctx.table("carts", "cartId", parent=self)
        # The schedules' target: put CartReminderDue on the bus, as eventshop.reminders, nothing more.
        self.schedules = ScheduleTarget(
            name,
            ScheduleTargetArgs(
                target_grants=(put_events_grant(ctx.bus, (SOURCE,)),), alarm_topic_arn=ctx.alarm_topic_arn
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.consumer = QueuedConsumer(
            name,
            ctx.queued(
                CONSUMES,
                ctx.function(
                    "handlers.reminders.app.handler",
                    "reminders",
                    environment={
                        "SCHEDULE_GROUP": self.schedules.schedule_group.name,
                        "EVENT_BUS_ARN": ctx.bus.arn,
                        "SCHEDULER_ROLE_ARN": self.schedules.role.arn,
                        "SCHEDULER_DLQ_ARN": self.schedules.dead_letter_queue.arn,
                        "DELAY_MINUTES": str(ctx.settings.reminders.delay_minutes),
                        "CARTS_TABLE": self.carts.table.name,
                    },
                    grants=(
                        # Items noted only while the cart is not ordered; the order marks it ordered.
                        table_grant(self.carts, "dynamodb:UpdateItem", "dynamodb:GetItem"),
                        # Each cart's schedule, created, moved and deleted in the group, handed the scheduler role.
                        *self.schedules.manage_grants(),
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"schedule_group": self.schedules.schedule_group.name})
