"""EventBus: the stack's custom bus, with an archive so past events can be replayed."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import BusRef, Transforms, check_transforms, child, raise_problems

EVENT_BUS_CHILDREN = ("bus", "archive")


@dataclass(frozen=True, kw_only=True)
class EventBusArgs:
    """bus_name: the physical name (unique per stack). archive_retention_days: replay window, at least 1."""

    bus_name: str
    archive_retention_days: int


class EventBus(pulumi.ComponentResource):
    """A custom EventBridge bus with an archive of every event it receives.

    bus = EventBus("bus", EventBusArgs(bus_name="eventshop-dev", archive_retention_days=7))
    QueuedConsumer("billing", QueuedConsumerArgs(bus=bus.ref, ...))
    """

    bus: aws.cloudwatch.EventBus
    archive: aws.cloudwatch.EventArchive

    def __init__(
        self,
        name: str,
        args: EventBusArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:EventBus", name, None, opts)
        problems: list[str] = []
        check_transforms(transforms, EVENT_BUS_CHILDREN, problems)
        if args.archive_retention_days < 1:
            problems.append(f"archive_retention_days must be at least 1, got {args.archive_retention_days}")
        if not args.bus_name or args.bus_name == "default":
            problems.append("bus_name must name a custom bus, not the default bus")
        raise_problems("EventBus", name, problems)

        self.bus = child(
            aws.cloudwatch.EventBus, f"{name}-bus", self, transforms, "bus", required={"name": args.bus_name}
        )
        self.archive = child(
            aws.cloudwatch.EventArchive,
            f"{name}-archive",
            self,
            transforms,
            "archive",
            defaults={"retention_days": args.archive_retention_days, "description": f"Every event on {args.bus_name}"},
            required={"name": f"{args.bus_name}-archive", "event_source_arn": self.bus.arn},
        )
        self.ref = BusRef(name=self.bus.name, arn=self.bus.arn)
        self.register_outputs({"bus_name": self.bus.name, "bus_arn": self.bus.arn})
