"""eventshop: composes the stack's services from its typed settings. No resource logic lives here."""

import json
from pathlib import Path

import pulumi

from components import EventBus, EventBusArgs, name_prefix
from components.forward import forward_output
from services.api_firewall import ApiFirewall
from services.billing import Billing
from services.concurrency import ConcurrencyBudget
from services.context import ServiceContext, service_provider
from services.contracts import Contracts
from services.email import Email
from services.fulfillment import Fulfillment
from services.identity import Identity
from services.live import Live
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
    EventBusArgs(bus_name=name_prefix(), archive_retention_days=settings.archive_retention_days),
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
# The API allows exactly the storefront's origin, and the storefront's page names the API: the origin is
# given once the storefront is declared. No cycle among the resources: the page names the API by its id
# (orders.api.address), not by its stage, which waits for the preflights that carry the origin.
with forward_output("the storefront's origin") as (storefront_origin, resolve_storefront_origin):
    orders = Orders(
        "orders",
        context,
        warehouse.inventory,
        catalog,
        identity.user_pool_arn,
        cors_origin=storefront_origin,
        opts=provided("orders"),
    )
    live = Live("live", context, identity, orders.orders, opts=provided("live"))
    storefront = Storefront(
        "storefront",
        settings,
        api_url=orders.api.address,
        api_keys=orders.api.api_keys,
        websocket_url=live.url,
        identity=identity,
        opts=provided("storefront"),
    )
    resolve_storefront_origin(storefront.origin)
billing = Billing("billing", context, orders.payment_intents, opts=provided("billing"))
reminders = Reminders("reminders", context, opts=provided("reminders"))
email = Email("email", context, billing, reminders, opts=provided("email"))
fulfillment = Fulfillment("fulfillment", context, warehouse, opts=provided("fulfillment"))
context.concurrency.check()
if settings.waf.enabled:
    ApiFirewall("api-firewall", settings.waf, orders.api.stage.arn, opts=provided("api-firewall"))

pulumi.export("api_url", orders.api.url)
pulumi.export("event_bus_name", platform.bus.name)
pulumi.export("alarm_topic_arn", ops.alarm_topic_arn)
pulumi.export("customer_topic_arn", email.customer_topic.topic.arn)
pulumi.export("schema_registry_name", contracts.registry.name)
pulumi.export("user_pool_id", identity.user_pool_id)
pulumi.export("user_pool_client_id", identity.client_id)
# Each registered client application's API key (x-api-key): it identifies the client, it is no credential,
# but it is kept out of plain stack output all the same.
for client, key in orders.api.api_keys.items():
    pulumi.export(f"{client}_api_key", pulumi.Output.secret(key.value))
pulumi.export("websocket_url", live.url)
pulumi.export("storefront_url", storefront.url)
pulumi.export("storefront_origin", storefront.origin)
