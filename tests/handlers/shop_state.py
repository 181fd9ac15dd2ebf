"""How the handler tests' shop gets into a test's fresh moto: the names it uses, its bus, queues and topic
(``shop_resources``) and its tables (``create_role_table``, ``put_created_table``). The first creation of each in a
process goes through the API; later tests get a fresh copy of the state it left, which
``tests/handlers/test_shop_fixture.py`` proves equal to a creation's but for creation times and moto's random
source."""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUS = "eventshop-test"
INVOICES_BUCKET = "eventshop-test-invoices"

TABLES = {
    "catalog": "sku",
    "inventory": "sku",
    "orders": "orderId",
    "payments": "orderId",
    "payment-intents": "orderId",
    "reservations": "orderId",
    "idempotency": "id",
    "email-sent": "id",
    "carts": "cartId",
}


@dataclass(frozen=True)
class ShopResources:
    """The names of what every handler test's shop holds besides its tables."""

    capture_queue_url: str
    outbox_queue_url: str
    topic_arn: str


def create_shop_resources(clients: Any) -> ShopResources:
    """The bus whose every event reaches the ``capture`` queue, and the customer topic delivering raw to ``outbox``."""
    sqs = clients.sqs
    events = clients.events
    events.create_event_bus(Name=BUS)
    capture_url = sqs.create_queue(QueueName="capture")["QueueUrl"]
    capture_arn = sqs.get_queue_attributes(QueueUrl=capture_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="capture-all", EventBusName=BUS, EventPattern=json.dumps({"source": [{"prefix": "eventshop."}]})
    )
    events.put_targets(Rule="capture-all", EventBusName=BUS, Targets=[{"Id": "capture", "Arn": capture_arn}])

    sns = clients.sns
    topic_arn = sns.create_topic(Name="customer")["TopicArn"]
    outbox_url = sqs.create_queue(QueueName="outbox")["QueueUrl"]
    outbox_arn = sqs.get_queue_attributes(QueueUrl=outbox_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=outbox_arn, Attributes={"RawMessageDelivery": "true"})
    return ShopResources(capture_queue_url=capture_url, outbox_queue_url=outbox_url, topic_arn=topic_arn)


@dataclass(frozen=True)
class _CreatedShop:
    resources: ShopResources
    state: Any = field(repr=False)  # localcloud.moto_snapshot.MotoSnapshot (imported on use)


_created_shop: _CreatedShop | None = None


def shop_resources(clients: Any) -> ShopResources:
    """The shop's resources in this test's fresh moto: created through the API by the first test of the process
    that starts from an empty moto, and for every later one put back as that creation left moto
    (``localcloud.moto_snapshot``: each test gets a fresh copy, ~1.5 ms against ~9 ms for the nine API calls).
    A moto that already holds something when the shop is set up gets the API calls, as it always did.
    ``tests/handlers/test_shop_fixture.py`` proves the state put back equal to a creation's."""
    from moto.core.base_backend import BackendDict  # noqa: PLC0415 (imported on use: the xdist controller loads conftest.py)

    from localcloud import moto_snapshot  # noqa: PLC0415 (imported on use: the xdist controller loads conftest.py)

    global _created_shop  # noqa: PLW0603 (one per process, captured inside the first test's moto)
    if BackendDict._instances:  # type: ignore[misc]
        return create_shop_resources(clients)
    if _created_shop is None:
        resources = create_shop_resources(clients)
        _created_shop = _CreatedShop(resources, moto_snapshot.capture())
        return resources
    moto_snapshot.restore(_created_shop.state)
    return _created_shop.resources


def create_role_table(client: Any, role: str, name: str) -> None:
    """The role's table, through the API; the process's first one is kept for ``put_created_table``."""
    _create_table(client, name, TABLES[role], orders=role == "orders")
    if role == "idempotency":
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"}
        )
    if role not in _created_tables:
        backend = _dynamodb_in_use(client)
        if backend is not None and name in backend.tables:
            _created_tables[role] = pickle.dumps(backend.tables[name], protocol=pickle.HIGHEST_PROTOCOL)


#: Each role's table as the process's first API creation left it in moto, pickled.
_created_tables: dict[str, bytes] = {}


def put_created_table(client: Any, role: str, name: str) -> bool:
    """Put a fresh copy of the role's first created table into this test's moto, where DynamoDB already holds a
    table, so the creation's API call would change nothing else (moto's IAM and DynamoDB backends exist); whether
    it did. The copy is the first creation's object, times included (~0.1 ms against ~1 ms a creation), and draws
    nothing from moto's random source (the API call draws its request id from it);
    ``tests/handlers/test_shop_fixture.py`` proves moto equal to a creation's but for those."""
    created = _created_tables.get(role)
    backend = _dynamodb_in_use(client)
    if created is None or backend is None or not backend.tables or name in backend.tables:
        return False
    backend.tables[name] = pickle.loads(created)  # noqa: S301 - bytes this process pickled itself
    return True


def _dynamodb_in_use(client: Any) -> Any:
    """The DynamoDB backend the client's calls reach in this test's moto, if moto has made it (never makes it)."""
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415 (imported on use: the xdist controller loads conftest.py)

    regions = dict.get(dynamodb_backends, ACCOUNT)
    return None if regions is None else dict.get(regions, client.meta.region_name)


def _create_table(client: Any, name: str, key: str, *, orders: bool = False) -> None:
    # The orders table's byCustomer index serves GET /orders, as deployed (services/orders.py).
    by_customer = {
        "IndexName": "byCustomer",
        "KeySchema": [
            {"AttributeName": "customerId", "KeyType": "HASH"},
            {"AttributeName": "createdAt", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": attribute, "AttributeType": "S"}
            for attribute in (key, *(("customerId", "createdAt") if orders else ()))
        ],
        BillingMode="PAY_PER_REQUEST",
        **({"GlobalSecondaryIndexes": [by_customer]} if orders else {}),
        # The orders table's stream is Orders' outbox, as deployed.
        **({"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}} if key == "orderId" else {}),
    )
