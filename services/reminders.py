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
import pulumi_aws as aws

from components import Grant, QueuedConsumer, alarms
from components.base import (
    PolicyStatement,
    deny_insecure_transport,
    identity_policy,
    physical_name,
    put_events_grant,
    resource_policy,
)
from components.subscriptions import create_dead_letter_queue
from components.trust import scheduler_trust
from services.context import ServiceContext, table_grant

SOURCE = "eventshop.reminders"
CONSUMES = ("ItemAddedToCart", "OrderPlaced")
SCHEDULE_ACTIONS = (
    "scheduler:CreateSchedule",
    "scheduler:UpdateSchedule",
    "scheduler:GetSchedule",
    "scheduler:DeleteSchedule",
)


def _schedules_in(group_arn: str) -> str:
    """`arn:...:schedule-group/<group>` -> `arn:...:schedule/<group>/*`: every schedule of the group."""
    return group_arn.replace(":schedule-group/", ":schedule/", 1) + "/*"


def _account_of(arn: str) -> str:
    return arn.split(":")[4]


class Reminders(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: ServiceContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eventshop:services:Reminders", name, None, opts)
        self.carts = ctx.table("carts", "cartId", parent=self)
        self.schedule_group = aws.scheduler.ScheduleGroup(
            f"{name}-schedules", name=physical_name(name), opts=pulumi.ResourceOptions(parent=self)
        )
        schedules = self.schedule_group.arn.apply(_schedules_in)
        account = self.schedule_group.arn.apply(_account_of)
        # The schedules' target role: put CartReminderDue on the bus, as eventshop.reminders, nothing more.
        self.scheduler_role = aws.iam.Role(
            f"{name}-scheduler-role",
            name=physical_name(name, "-scheduler-role"),
            assume_role_policy=scheduler_trust(self, self.schedule_group.arn),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.scheduler_policy = aws.iam.RolePolicy(
            f"{name}-scheduler-policy",
            name="least-privilege",
            role=self.scheduler_role.id,
            policy=identity_policy([put_events_grant(ctx.bus, (SOURCE,))]),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # What the Scheduler cannot put on the bus after its retries.
        self.dead_letter_queue = create_dead_letter_queue(self, f"{name}-schedules", None)
        self.dead_letter_queue_policy = aws.sqs.QueuePolicy(
            f"{name}-schedules-dlq-policy",
            queue_url=self.dead_letter_queue.id,
            policy=resource_policy(
                [
                    PolicyStatement(
                        sid="AllowOwnSchedulesToDeadLetter",
                        effect="Allow",
                        principal={"Service": "scheduler.amazonaws.com"},
                        actions=("sqs:SendMessage",),
                        resources=(self.dead_letter_queue.arn,),
                        conditions={
                            "ArnLike": {"aws:SourceArn": schedules},
                            "StringEquals": {"aws:SourceAccount": account},
                        },
                    ),
                    deny_insecure_transport([self.dead_letter_queue.arn], "sqs:*"),
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dead_letter_alarm = alarms.dead_letter_alarm(
            f"{name}-schedules-dlq-alarm", self.dead_letter_queue, ctx.alarm_topic_arn, self
        )
        self.consumer = QueuedConsumer(
            name,
            ctx.queued(
                CONSUMES,
                ctx.function(
                    "handlers.reminders.app.handler",
                    "reminders",
                    environment={
                        "SCHEDULE_GROUP": self.schedule_group.name,
                        "EVENT_BUS_ARN": ctx.bus.arn,
                        "SCHEDULER_ROLE_ARN": self.scheduler_role.arn,
                        "SCHEDULER_DLQ_ARN": self.dead_letter_queue.arn,
                        "DELAY_MINUTES": str(ctx.settings.reminders.delay_minutes),
                        "CARTS_TABLE": self.carts.table.name,
                    },
                    grants=(
                        # Items noted only while the cart is not ordered; the order marks it ordered.
                        table_grant(self.carts, "dynamodb:UpdateItem", "dynamodb:GetItem"),
                        Grant(actions=SCHEDULE_ACTIONS, resources=(schedules,)),
                        # Creating a schedule hands it the scheduler role: that role, to the Scheduler only.
                        Grant(
                            actions=("iam:PassRole",),
                            resources=(self.scheduler_role.arn,),
                            conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
                        ),
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"schedule_group": self.schedule_group.name})
