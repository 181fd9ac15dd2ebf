"""EventBridge Scheduler schedule groups (the schedules themselves are created by handlers at run time)."""

from __future__ import annotations

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner


def schedule_group(ctx: Context, resource: Declared) -> Provisioned:
    arn = ctx.client("scheduler").create_schedule_group(Name=resource.name)["ScheduleGroupArn"]
    return resource.name, {"arn": arn}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:scheduler/scheduleGroup:ScheduleGroup": schedule_group,
}
