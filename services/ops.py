"""Ops: the alarm topic every alarm in the stack notifies, mailed to the on-call address."""

from __future__ import annotations

import pulumi

from components import NotifyingTopic, NotifyingTopicArgs, TopicSubscription, name_prefix
from settings import Settings


class Ops(pulumi.ComponentResource):
    """Owns the stack's alarm topic; other services only reference `alarm_topic_arn`."""

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eventshop:services:Ops", name, None, opts)
        self.alarms = NotifyingTopic(
            "alarms",
            NotifyingTopicArgs(
                alarm_name_prefix=f"{name_prefix()}-",
                subscriptions=(TopicSubscription(key="on-call", protocol="email", endpoint=settings.alarm_email),),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alarm_topic_arn = self.alarms.topic.arn
        self.register_outputs({"alarm_topic_arn": self.alarm_topic_arn})
