"""What every service is built with: the settings, the bus, where alarms go, and shared defaults."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import (
    Batching,
    BusRef,
    FunctionArgs,
    Grant,
    Observability,
    QueuedConsumerArgs,
    Table,
    TableArgs,
    TableIndex,
)
from components.event_service import AsyncRetry
from services import events
from services.concurrency import ConcurrencyBudget
from services.grants import IDEMPOTENCY_ACTIONS, idempotency_grant, table_grant
from services.subscriber import OwnTable, Subscriber
from settings import Settings

__all__ = ["IDEMPOTENCY_ACTIONS", "ServiceContext", "idempotency_grant", "service_provider", "table_grant"]


@dataclass(frozen=True)
class ServiceContext:
    settings: Settings
    bus: BusRef
    alarm_topic_arn: pulumi.Input[str]
    concurrency: ConcurrencyBudget

    @property
    def observability(self) -> Observability:
        return Observability(
            log_retention_days=self.settings.log_retention_days,
            log_level=self.settings.log_level,
            alarm_topic_arn=self.alarm_topic_arn,
        )

    @property
    def batching(self) -> Batching:
        consumers = self.settings.consumers
        return Batching(
            size=consumers.batch_size,
            window_seconds=consumers.batching_window_seconds,
            maximum_concurrency=consumers.maximum_concurrency,
        )

    @property
    def async_retry(self) -> AsyncRetry:
        return AsyncRetry(
            maximum_retry_attempts=self.settings.async_invoke.maximum_retry_attempts,
            maximum_event_age_seconds=self.settings.async_invoke.maximum_event_age_seconds,
        )

    def queued(
        self, consumes: Sequence[str], function: FunctionArgs, *, where: Mapping[str, Any] | None = None
    ) -> QueuedConsumerArgs:
        """A QueuedConsumer of the named detail-types (whose detail matches `where`, if given), batching and
        redriving as the stack says.

        The function reserves what its event source mapping may drive at most, so it never throttles
        its own queue and never takes more.
        """
        reserved = self.concurrency.reserve(function.handler, self.settings.consumers.maximum_concurrency)
        return QueuedConsumerArgs(
            bus=self.bus,
            subscriptions=events.subscriptions(*consumes, subscriber=function.handler, where=where),
            batching=self.batching,
            max_receive_count=self.settings.consumers.max_receive_count,
            function=dataclasses.replace(function, reserved_concurrency=reserved),
        )

    def subscribe(
        self,
        name: str,
        *,
        on: Sequence[str],
        handler: str,
        tables: Sequence[OwnTable] = (),
        emits: Sequence[str] = (),
        where: Mapping[str, Any] | None = None,
    ) -> Subscriber:
        """A new service `name` that reacts to the detail-types `on` (see `services.subscriber`), tagged as its
        own service. Fails while the program is built if nobody produces what it names, no contract matches
        its pattern (`where` filters the detail), or it emits a detail-type the catalogue does not give it."""
        return Subscriber(
            name,
            self,
            on=on,
            handler=handler,
            tables=tables,
            emits=emits,
            where=where,
            opts=pulumi.ResourceOptions(providers=[service_provider(name, self.settings)]),
        )

    def function(
        self,
        handler: str,
        package: str,
        *,
        environment: Mapping[str, pulumi.Input[str]] | None = None,
        grants: Sequence[Grant] = (),
        emits: str | None = None,
        timeout_seconds: int = 10,
        memory_mb: int = 256,
        reserved_concurrency: int | None = None,
    ) -> FunctionArgs:
        """A handler from `handlers/<package>` packaged with `handlers/shared`, on the Powertools layer.

        ``reserved_concurrency`` is recorded in the stack's concurrency budget (checked by the program).
        """
        env = dict(environment or {})
        if emits:
            env["EVENT_SOURCE"] = emits
        return FunctionArgs(
            handler=handler,
            source_dirs=(f"handlers/{package}", "handlers/shared"),
            observability=self.observability,
            environment=env,
            grants=tuple(grants),
            emits=(emits,) if emits else (),
            bus=self.bus if emits else None,
            layers=(self.settings.powertools_layer_arn,),
            timeout_seconds=timeout_seconds,
            memory_mb=memory_mb,
            reserved_concurrency=(
                self.concurrency.reserve(handler, reserved_concurrency) if reserved_concurrency is not None else None
            ),
        )

    def table(
        self,
        name: str,
        hash_key: str,
        *,
        range_key: str | None = None,
        indexes: Sequence[TableIndex] = (),
        ttl_attribute: str | None = None,
        seed_items: Sequence[Mapping[str, Any]] = (),
        stream: bool = False,
        parent: pulumi.Resource,
    ) -> Table:
        data = self.settings.data
        return Table(
            name,
            TableArgs(
                hash_key=hash_key,
                range_key=range_key,
                indexes=indexes,
                ttl_attribute=ttl_attribute,
                point_in_time_recovery=data.point_in_time_recovery,
                deletion_protection=data.deletion_protection,
                protect=data.protect,
                seed_items=seed_items,
                stream=stream,
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )

    def idempotency_table(self, service: str, parent: pulumi.Resource) -> Table:
        """Powertools' idempotency records for one consumer; records expire through TTL."""
        return self.table(f"{service}-idempotency", "id", ttl_attribute="expiration", parent=parent)


def service_provider(name: str, settings: Settings) -> aws.Provider:
    """A provider whose default tags name the environment, the project and the service."""
    return aws.Provider(
        f"{name}-aws",
        region=settings.region,
        default_tags={"tags": {"environment": settings.stack, "project": pulumi.get_project(), "service": name}},
    )
