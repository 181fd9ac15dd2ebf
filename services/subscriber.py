"""A service that reacts to events, declared in one call: `ctx.subscribe(...)`.

    ctx.subscribe(
        "loyalty",
        on=("OrderShipped",),
        handler="handlers.loyalty.app.handler",
        tables=(OwnTable("points", "customerId"),),
    )

builds a QueuedConsumer (rules on the bus -> an encrypted SQS queue with its DLQ and alarms -> the function,
batching, partial batch failures and redrive as the stack says), the service's own tables, a Powertools
idempotency table, and the exact grants: each own table's actions, the idempotency store's, and PutEvents
under `eventshop.<name>` only for the catalogued detail-types it `emits`. The handler's package (the module's
folder) ships with `handlers/shared`; its environment names each table (`POINTS_TABLE`,
`IDEMPOTENCY_TABLE`) and, when it emits, the bus and source. The subscription is checked against the
catalogue and the contracts while the program is built (`services.event_patterns`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from components import QueuedConsumer, Table
from services import events
from services.grants import idempotency_grant, table_grant

if TYPE_CHECKING:
    from services.context import ServiceContext

#: What a subscriber may do on its own table unless it says otherwise: read, write and update single items.
ITEM_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")


@dataclass(frozen=True)
class OwnTable:
    """A table the subscribing service owns, named `<service>-<name>` and keyed on `hash_key`.

    actions: what the service's function may do on it. Default: `ITEM_ACTIONS`.
    """

    name: str
    hash_key: str
    actions: tuple[str, ...] = ITEM_ACTIONS


class Subscriber(pulumi.ComponentResource):
    """The service `ctx.subscribe` declares; `.consumer` is its QueuedConsumer, `.tables` its own tables."""

    def __init__(
        self,
        name: str,
        ctx: ServiceContext,
        *,
        on: Sequence[str],
        handler: str,
        tables: Sequence[OwnTable] = (),
        emits: Sequence[str] = (),
        where: Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:services:Subscriber", name, None, opts)
        source = f"eventshop.{name}"
        _check_emits(name, source, emits)
        self.tables: dict[str, Table] = {
            table.name: ctx.table(f"{name}-{table.name}", table.hash_key, parent=self) for table in tables
        }
        self.idempotency = ctx.idempotency_table(name, parent=self)
        function = ctx.function(
            handler,
            name,
            environment={
                **{_env_name(key): table.table.name for key, table in self.tables.items()},
                "IDEMPOTENCY_TABLE": self.idempotency.table.name,
            },
            grants=(
                *(table_grant(self.tables[table.name], *table.actions) for table in tables),
                idempotency_grant(self.idempotency),
            ),
            emits=source if emits else None,
        )
        # The handler's own folder (`handlers/loyalty` for `handlers.loyalty.app.handler`) and the shared code.
        package = "/".join(handler.split(".")[:-2])
        function = dataclasses.replace(function, source_dirs=(package, "handlers/shared"))
        self.consumer = QueuedConsumer(
            name, ctx.queued(on, function, where=where), opts=pulumi.ResourceOptions(parent=self)
        )
        self.register_outputs({"queue_url": self.consumer.queue.url})


def _env_name(table: str) -> str:
    return f"{table.upper().replace('-', '_')}_TABLE"


def _check_emits(name: str, source: str, emits: Sequence[str]) -> None:
    """What a subscriber puts on the bus must be catalogued under its own source, with a contract."""
    wrong = [
        f"{detail_type} (catalogued under {events.source_of(detail_type)})"
        if detail_type in events.EVENT_TYPES
        else f"{detail_type} (not catalogued)"
        for detail_type in emits
        if detail_type not in events.EVENT_TYPES or events.source_of(detail_type) != source
    ]
    if wrong:
        raise events.SubscriptionError(
            f"{name} emits {', '.join(wrong)}: add each to handlers/shared/contracts/catalogue.json with source "
            f"{source} and its contract, so consumers can subscribe to it"
        )
