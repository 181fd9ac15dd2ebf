"""ScheduleTarget: a schedule group whose one-time schedules fire as a role that may do one thing, with a DLQ."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import alarms
from components.base import (
    Grant,
    PolicyStatement,
    Transforms,
    check_transforms,
    child,
    deny_insecure_transport,
    least_privilege_role,
    moved_from_parent,
    physical_name,
    raise_problems,
    resource_policy,
)
from components.subscriptions import create_dead_letter_queue
from components.trust import scheduler_trust

SCHEDULE_TARGET_CHILDREN = ("schedule_group", "role", "policy", "dlq", "dlq_policy", alarms.ALARM_ROLE)
#: What a function that manages the group's schedules calls (on the group's schedules only).
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


@dataclass(frozen=True, kw_only=True)
class ScheduleTargetArgs:
    """What the schedules may do when they fire, and where their failures are reported.

    target_grants: exact actions on exact resources for the schedules' role, e.g. PutEvents on a bus for one
    source (no default: a schedule that may do nothing would only fail).
    alarm_topic_arn: where the DLQ alarm goes.
    """

    target_grants: tuple[Grant, ...]
    alarm_topic_arn: pulumi.Input[str]


def _validate(args: ScheduleTargetArgs, transforms: Transforms | None) -> list[str]:
    problems: list[str] = []
    check_transforms(transforms, SCHEDULE_TARGET_CHILDREN, problems)
    if not args.target_grants:
        problems.append("target_grants is empty: every schedule would fail")
    for grant in args.target_grants:
        problems.extend(grant.problems())
    return problems


class ScheduleTarget(pulumi.ComponentResource):
    """A Scheduler schedule group and what its schedules run as: the schedules themselves are created at
    run time (by a function granted `manage_grants()`), each naming `role` and `dead_letter_queue`.

        reminders = ScheduleTarget("reminders", ScheduleTargetArgs(
            target_grants=(put_events_grant(bus.ref, ("eventshop.reminders",)),), alarm_topic_arn=ops,
        ))

    Secure by default: only EventBridge Scheduler acting for this group may assume the role, and only the
    group's schedules may send to the DLQ (never over plain HTTP); one dead-lettered message raises an alarm.
    Its children were once created under the component's parent, and carry an alias to it.
    """

    schedule_group: aws.scheduler.ScheduleGroup
    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    dead_letter_queue: aws.sqs.Queue
    dead_letter_queue_policy: aws.sqs.QueuePolicy
    dead_letter_alarm: aws.cloudwatch.MetricAlarm

    def __init__(
        self,
        name: str,
        args: ScheduleTargetArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:ScheduleTarget", name, None, opts)
        raise_problems("ScheduleTarget", name, _validate(args, transforms))
        moved = moved_from_parent(opts)

        self.schedule_group = child(
            aws.scheduler.ScheduleGroup,
            f"{name}-schedules",
            self,
            transforms,
            "schedule_group",
            required={"name": physical_name(name)},
            opts=moved,
        )
        self.schedules_arn = self.schedule_group.arn.apply(_schedules_in)
        self.role, self.policy = least_privilege_role(
            self,
            name,
            transforms,
            trust=scheduler_trust(self, self.schedule_group.arn),
            grants=args.target_grants,
            suffix="-scheduler-role",
            policy_suffix="-scheduler-policy",
            opts=moved,
        )
        # What the Scheduler cannot deliver after its retries.
        self.dead_letter_queue = create_dead_letter_queue(self, f"{name}-schedules", transforms, moved)
        self.dead_letter_queue_policy = self._allow_schedules_to_dead_letter(name, transforms, moved)
        self.dead_letter_alarm = alarms.dead_letter_alarm(
            f"{name}-schedules-dlq-alarm", self.dead_letter_queue, args.alarm_topic_arn, self, transforms, moved
        )
        self.register_outputs(
            {"schedule_group": self.schedule_group.name, "dead_letter_queue_arn": self.dead_letter_queue.arn}
        )

    def manage_grants(self) -> tuple[Grant, ...]:
        """What a function creating, moving and deleting the group's schedules needs: the schedule actions on
        this group's schedules, and handing them this role (to the Scheduler only)."""
        return (
            Grant(actions=SCHEDULE_ACTIONS, resources=(self.schedules_arn,)),
            Grant(
                actions=("iam:PassRole",),
                resources=(self.role.arn,),
                conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
            ),
        )

    def _allow_schedules_to_dead_letter(
        self, name: str, transforms: Transforms | None, moved: pulumi.ResourceOptions
    ) -> aws.sqs.QueuePolicy:
        allow = PolicyStatement(
            sid="AllowOwnSchedulesToDeadLetter",
            effect="Allow",
            principal={"Service": "scheduler.amazonaws.com"},
            actions=("sqs:SendMessage",),
            resources=(self.dead_letter_queue.arn,),
            conditions={
                "ArnLike": {"aws:SourceArn": self.schedules_arn},
                "StringEquals": {"aws:SourceAccount": self.schedule_group.arn.apply(_account_of)},
            },
        )
        return child(
            aws.sqs.QueuePolicy,
            f"{name}-schedules-dlq-policy",
            self,
            transforms,
            "dlq_policy",
            required={
                "queue_url": self.dead_letter_queue.id,
                "policy": resource_policy([allow, deny_insecure_transport([self.dead_letter_queue.arn], "sqs:*")]),
            },
            opts=moved,
        )
