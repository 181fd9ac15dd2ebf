"""Fixtures for the handler tests: a moto account holding the shop's tables, bus, capture queue and topic.

Handler modules read their environment at import, as in a Lambda container, and make their AWS clients on
first use (``handlers.shared.clients``), so each handler fixture sets the function's environment and imports
the module once; no test reloads a module.
Every event put on the bus reaches the ``capture`` SQS queue through a rule, so tests read back
what a handler emitted exactly as a downstream consumer would receive it.
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from tests.handlers import shop_state
from tests.handlers.shop_state import ACCOUNT, BUS, INVOICES_BUCKET, REGION, TABLES

# localcloud.streams (moto's Step Functions parser) is imported where used, not here: the xdist controller loads
# this file before it starts the workers and runs no test itself.


@dataclass
class FakeLambdaContext:
    """The parts of the Lambda context Powertools reads."""

    function_name: str = "eventshop-test-fn"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:eventshop-test-fn"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class ShopTables(Mapping[str, str]):
    """The table of each role (``TABLES``), created in moto the first time its name is asked for.

    A handler learns its tables' names from the environment its fixture sets from this mapping, and a test reads
    them through it, so every table a test can reach exists before it is reached; the tables nobody asks for
    (most tests use three or four of the nine) are never created, each creation being a whole API call (or
    two: the idempotency table's time to live). Once DynamoDB holds a table in this test's moto, a role's table is
    put in as the process's first API creation of it left it (``shop_state.put_created_table``)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._created: set[str] = set()

    def __getitem__(self, role: str) -> str:
        if role not in TABLES:
            raise KeyError(f"no table for role {role!r}: the shop's tables are {sorted(TABLES)}")
        name = f"eventshop-test-{role}"
        if role not in self._created:
            if not shop_state.put_created_table(self._client, role, name):
                shop_state.create_role_table(self._client, role, name)
            self._created.add(role)
        return name

    def __iter__(self) -> Iterator[str]:
        return iter(TABLES)

    def __len__(self) -> int:
        return len(TABLES)


@dataclass
class Shop:
    """Names and clients of the moto resources, plus helpers to seed and read them."""

    tables: ShopTables
    capture_queue_url: str
    outbox_queue_url: str
    topic_arn: str
    dynamodb: Any = field(repr=False)
    sqs: Any = field(repr=False)
    #: Runs before ``emitted()`` reads the bus: the orders outbox relay, once the API is loaded.
    before_reading_the_bus: list[Callable[[], object]] = field(default_factory=list, repr=False)
    _table_resources: dict[str, Any] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> Any:
        """The boto3 ``Table`` of a role, made once per test: boto3 builds a resource class for every ``Table()``
        (~0.3 ms), and the tests only call its actions, which keep no state (none reads its loaded attributes)."""
        table = self._table_resources.get(name)
        if table is None:
            table = self._table_resources[name] = self.dynamodb.Table(self.tables[name])
        return table

    def seed_product(self, sku: str, name: str, price: str, available: int, currency: str = "EUR") -> None:
        self.table("catalog").put_item(Item={"sku": sku, "name": name, "price": Decimal(price), "currency": currency})
        self.table("inventory").put_item(Item={"sku": sku, "available": available})

    def available(self, sku: str) -> int:
        return int(self.table("inventory").get_item(Key={"sku": sku}, ConsistentRead=True)["Item"]["available"])

    def _drain(self, queue_url: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
            ).get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            messages.extend(batch)

    def emitted(self) -> list[dict[str, Any]]:
        """Every envelope put on the bus since the last call (consumed), after the outbox relay ran."""
        for relay in self.before_reading_the_bus:
            relay()
        return [json.loads(message["Body"]) for message in self._drain(self.capture_queue_url)]

    def outbox(self) -> list[dict[str, Any]]:
        """Every message published to the customer topic since the last call (raw SQS messages)."""
        return self._drain(self.outbox_queue_url)


@pytest.fixture(autouse=True, scope="session")
def moto_as_the_local_cloud_runs_it() -> None:
    """The handlers run on the moto the local cloud runs them on (``moto_patches``: fixes and per-request caches, a
    tenth of this layer's CPU; ``moto_boot``: each state machine definition validated once per process). The
    patches stay for the rest of the process, so without this a handler test's moto would depend on whether a
    local cloud had booted earlier in the same worker."""
    from localcloud import moto_boot, moto_patches  # noqa: PLC0415 (imported on use: see the note at the imports)

    moto_patches.install()
    moto_boot.install()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }.items():
        monkeypatch.setenv(name, value)
    # As while a local cloud runs: moto reads the credential scope and never checks a signature, so the
    # requests carry SigV4's headers without the hashing (localcloud.request_signing).
    from localcloud import request_signing  # noqa: PLC0415 (imported on use: see the note at the imports)

    request_signing.install()
    # moto's requests registrations are made only when something uses them (``tests.handlers.moto_start``: ~2.4 ms
    # of each start, and most tests make no requests call); moto's own start is put back after the test.
    from tests.handlers import moto_start  # noqa: PLC0415 (imported on use: see the note at the imports)

    try:
        with moto_start.installed(), mock_aws():
            yield
    finally:
        request_signing.uninstall()


class StreamRelay:
    """Lambda's stream poller for one table and one handler, by hand: each ``run()`` delivers what is new,
    in order, and resumes from the first record the handler reported as failed."""

    def __init__(self, table_name: str, handler: Callable[[dict[str, Any], Any], Any]) -> None:
        self.handler = handler
        self.streams = set_up_clients().dynamodbstreams
        self.stream_arn = set_up_clients().dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = self.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        self.waiting: list[dict[str, Any]] = []
        self.invocations = 0

    def run(self) -> list[dict[str, str]]:
        """Deliver every unhandled record once; return the batch item failures reported (if any)."""
        from localcloud.streams import lambda_record  # noqa: PLC0415 (imported on use: see the note at the imports)

        response = self.streams.get_records(ShardIterator=self.iterator)
        self.iterator = response["NextShardIterator"]
        self.waiting += [lambda_record(record, self.stream_arn, REGION) for record in response["Records"]]
        if not self.waiting:
            return []
        self.invocations += 1
        failures: list[dict[str, str]] = self.handler({"Records": self.waiting}, FakeLambdaContext())[
            "batchItemFailures"
        ]
        sequence = [record["dynamodb"]["SequenceNumber"] for record in self.waiting]
        first = min((sequence.index(failure["itemIdentifier"]) for failure in failures), default=len(sequence))
        self.waiting = self.waiting[first:]
        return failures


@dataclass(frozen=True)
class _SetUpClients:
    dynamodb: Any
    dynamodb_resource: Any
    sqs: Any
    events: Any
    sns: Any
    s3: Any
    dynamodbstreams: Any
    scheduler: Any
    stepfunctions: Any


_set_up_clients: _SetUpClients | None = None


def set_up_clients() -> _SetUpClients:
    """The clients the fixtures set moto up with and the tests read it with, made once per test process: making
    a client copies the session's event hooks (a third of a handler test's set-up), and moto answers a client made
    in an earlier test as it answers a new one, from the current test's fresh account. The handlers' own clients
    are theirs (``handlers.shared.clients``)."""
    global _set_up_clients  # noqa: PLW0603 (one set per process, made inside the first test's moto)
    if _set_up_clients is None:
        _set_up_clients = _SetUpClients(
            dynamodb=boto3.client("dynamodb"),
            dynamodb_resource=boto3.resource("dynamodb"),
            sqs=boto3.client("sqs"),
            events=boto3.client("events"),
            sns=boto3.client("sns"),
            s3=boto3.client("s3"),
            dynamodbstreams=boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled")),
            scheduler=boto3.client("scheduler"),
            stepfunctions=boto3.client("stepfunctions"),
        )
    return _set_up_clients


@pytest.fixture
def shop(aws: None) -> Shop:
    clients = set_up_clients()
    resources = shop_state.shop_resources(clients)
    return Shop(
        tables=ShopTables(clients.dynamodb),
        capture_queue_url=resources.capture_queue_url,
        outbox_queue_url=resources.outbox_queue_url,
        topic_arn=resources.topic_arn,
        dynamodb=clients.dynamodb_resource,
        sqs=clients.sqs,
    )


def load_handler(module_name: str, monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str]) -> ModuleType:
    """Import ``module_name`` with ``env`` set; a module already imported is reused, as in a warm container.

    Handlers make their clients on first use (``handlers.shared.clients``), so no module holds a client made
    before moto started, and no reload is needed between tests."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return importlib.import_module(module_name)


@pytest.fixture
def api(shop: Shop, monkeypatch: pytest.MonkeyPatch, relay: StreamRelay) -> ModuleType:
    """The orders API; what it saves reaches the bus through the outbox relay (``relay``)."""
    return load_handler(
        "handlers.orders.api",
        monkeypatch,
        {
            "POWERTOOLS_SERVICE_NAME": "orders",
            "ORDERS_TABLE": shop.tables["orders"],
            "CATALOG_TABLE": shop.tables["catalog"],
            "INVENTORY_TABLE": shop.tables["inventory"],
            "IDEMPOTENCY_TABLE": shop.tables["idempotency"],
            "PAYMENT_INTENTS_TABLE": shop.tables["payment-intents"],
            "ORDERS_BY_CUSTOMER_INDEX": "byCustomer",
            "ALLOWED_ORIGIN": "https://shop.example.test",
        },
    )


@pytest.fixture
def outbox(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_handler(
        "handlers.orders.outbox",
        monkeypatch,
        {
            "POWERTOOLS_SERVICE_NAME": "orders-outbox",
            "ORDERS_TABLE": shop.tables["orders"],
            "EVENT_BUS_NAME": BUS,
            "EVENT_SOURCE": "eventshop.orders",
        },
    )


@pytest.fixture
def relay(shop: Shop, outbox: ModuleType) -> StreamRelay:
    """The orders outbox relay, run before every ``shop.emitted()``."""
    stream_relay = StreamRelay(shop.tables["orders"], outbox.handler)
    shop.before_reading_the_bus.append(stream_relay.run)
    return stream_relay


@pytest.fixture
def projector(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_handler(
        "handlers.orders.projector",
        monkeypatch,
        {
            "POWERTOOLS_SERVICE_NAME": "orders-projector",
            "ORDERS_TABLE": shop.tables["orders"],
            "IDEMPOTENCY_TABLE": shop.tables["idempotency"],
        },
    )


@pytest.fixture
def billing(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    set_up_clients().s3.create_bucket(Bucket=INVOICES_BUCKET)
    return load_handler(
        "handlers.billing.app",
        monkeypatch,
        {
            "POWERTOOLS_SERVICE_NAME": "billing",
            "PAYMENTS_TABLE": shop.tables["payments"],
            "PAYMENT_INTENTS_TABLE": shop.tables["payment-intents"],
            "IDEMPOTENCY_TABLE": shop.tables["idempotency"],
            "INVOICES_BUCKET": INVOICES_BUCKET,
            "EVENT_BUS_NAME": BUS,
            "EVENT_SOURCE": "eventshop.billing",
        },
    )


@pytest.fixture
def warehouse(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_handler(
        "handlers.warehouse.app",
        monkeypatch,
        {
            "POWERTOOLS_SERVICE_NAME": "warehouse",
            "INVENTORY_TABLE": shop.tables["inventory"],
            "RESERVATIONS_TABLE": shop.tables["reservations"],
            "IDEMPOTENCY_TABLE": shop.tables["idempotency"],
            "EVENT_BUS_NAME": BUS,
            "EVENT_SOURCE": "eventshop.warehouse",
        },
    )


@pytest.fixture
def email(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_handler(
        "handlers.email.app",
        monkeypatch,
        {
            "POWERTOOLS_SERVICE_NAME": "email",
            "CUSTOMER_TOPIC_ARN": shop.topic_arn,
            "IDEMPOTENCY_TABLE": shop.tables["idempotency"],
            "SENT_TABLE": shop.tables["email-sent"],
            "CARTS_TABLE": shop.tables["carts"],
        },
    )


@pytest.fixture
def context() -> FakeLambdaContext:
    return FakeLambdaContext()
