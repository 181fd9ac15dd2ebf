"""eventshop: composes the stack's services from its typed settings. No resource logic lives here."""

import json
from pathlib import Path

import pulumi

from components import EventBus, EventBusArgs
from services.api_firewall import ApiFirewall
from services.billing import Billing
from services.concurrency import ConcurrencyBudget
from services.context import ServiceContext, service_provider
from services.contracts import Contracts
from services.email import Email
from services.fulfillment import Fulfillment
from services.identity import Identity
from services.ops import Ops
from services.orders import Orders
from services.reminders import Reminders
from services.storefront import Storefront
from services.warehouse import Warehouse
from settings import load_settings

settings = load_settings()
catalog = json.loads(Path("services/catalog.json").read_text()) if settings.seed_catalog else []


def provided(service: str) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(providers=[service_provider(service, settings)])


ops = Ops("ops", settings, opts=provided("ops"))
platform = EventBus(
    "events",
    EventBusArgs(bus_name=settings.bus_name, archive_retention_days=settings.archive_retention_days),
    opts=provided("platform"),
)
contracts = Contracts("contracts", settings, opts=provided("contracts"))
identity = Identity("identity", settings, opts=provided("identity"))
context = ServiceContext(
    settings=settings,
    bus=platform.ref,
    alarm_topic_arn=ops.alarm_topic_arn,
    concurrency=ConcurrencyBudget(settings),
)

warehouse = Warehouse("warehouse", context, catalog, opts=provided("warehouse"))
orders = Orders("orders", context, warehouse.inventory, catalog, opts=provided("orders"))
billing = Billing("billing", context, orders.payment_intents, opts=provided("billing"))
reminders = Reminders("reminders", context, opts=provided("reminders"))
email = Email("email", context, billing, reminders, opts=provided("email"))
fulfillment = Fulfillment("fulfillment", context, warehouse, opts=provided("fulfillment"))
context.concurrency.check()
# The WebSocket API's URL for the page's live order status; None while the stack has no WebSocket API (the page
# then says live updates are unavailable). Set it to the live-status service's URL output.
websocket_url: pulumi.Input[str] | None = None
storefront = Storefront(
    "storefront",
    settings,
    api_url=orders.api.url,
    websocket_url=websocket_url,
    identity=identity,
    opts=provided("storefront"),
)
if settings.waf.enabled:
    ApiFirewall("api-firewall", settings.waf, orders.api.stage.arn, opts=provided("api-firewall"))

pulumi.export("api_url", orders.api.url)
pulumi.export("event_bus_name", platform.bus.name)
pulumi.export("alarm_topic_arn", ops.alarm_topic_arn)
pulumi.export("customer_topic_arn", email.customer_topic.topic.arn)
pulumi.export("schema_registry_name", contracts.registry.name)
pulumi.export("user_pool_id", identity.user_pool_id)
pulumi.export("user_pool_client_id", identity.client_id)
pulumi.export("storefront_url", storefront.url)
pulumi.export("storefront_origin", storefront.origin)
