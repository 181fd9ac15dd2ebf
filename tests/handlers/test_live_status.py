"""The WebSocket routes and the status notifier on moto: connections are recorded per customer and expire,
each status of an order is pushed once to its owner's open connections only, and gone connections are
forgotten. ``@connections`` calls reach a fake API (``localcloud.connections_api``), which answers 410 for a
connection it does not hold, as API Gateway does."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import jsonschema
import pytest

from localcloud import connections_api
from localcloud.iam import CallRecorder
from tests.handlers.call_count import counting_calls
from tests.handlers.conftest import FakeLambdaContext, Shop, StreamRelay, load_handler
from tests.handlers.shop_state import ACCOUNT, REGION

MESSAGE_SCHEMA = json.loads(
    (Path(__file__).parents[2] / "handlers" / "live" / "contracts" / "order_status.json").read_text()
)
API_ID = "abc123"
ENDPOINT = f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/live"
CONNECTIONS = "eventshop-test-connections"
ADA, BOB = "sub-ada", "sub-bob"


@dataclass
class FakeApi:
    """The connections API Gateway holds open: what was posted to each."""

    open: set[str] = field(default_factory=set)
    sent: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def post(self, stage: str, connection_id: str, data: bytes) -> None:
        assert stage == "live"
        if connection_id not in self.open:
            raise connections_api.ConnectionGoneError(connection_id)
        message = json.loads(data)
        # The shape docs/asyncapi.yaml publishes for clients.
        jsonschema.validate(message, MESSAGE_SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
        self.sent.setdefault(connection_id, []).append(message)

    def describe(self, stage: str, connection_id: str) -> Mapping[str, Any]:
        assert stage == "live"
        if connection_id not in self.open:
            raise connections_api.ConnectionGoneError(connection_id)
        return {"connectedAt": "2026-01-01T00:00:00Z"}

    def close(self, stage: str, connection_id: str) -> None:
        assert stage == "live"
        self.open.discard(connection_id)


@pytest.fixture
def connections_table(shop: Shop) -> Any:
    boto3.client("dynamodb").create_table(
        TableName=CONNECTIONS,
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "connectionId", "AttributeType": "S"},
            {"AttributeName": "customerId", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byCustomer",
                "KeySchema": [{"AttributeName": "customerId", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return boto3.resource("dynamodb").Table(CONNECTIONS)


@pytest.fixture
def recorder() -> CallRecorder:
    return CallRecorder(REGION, ACCOUNT)


@pytest.fixture
def api(aws: None, recorder: CallRecorder) -> Iterator[FakeApi]:
    fake = FakeApi()
    connections_api.install(recorder.record, REGION, ACCOUNT)
    connections_api.serve(API_ID, fake)
    yield fake
    connections_api.stop_serving(API_ID)
    connections_api.install(None, REGION, ACCOUNT)


@pytest.fixture
def routes(connections_table: Any, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_handler(
        "handlers.live.connections",
        monkeypatch,
        {"POWERTOOLS_SERVICE_NAME": "live-connections", "CONNECTIONS_TABLE": CONNECTIONS},
    )


@pytest.fixture
def notifier(shop: Shop, connections_table: Any, api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_handler(
        "handlers.live.notifier",
        monkeypatch,
        {
            "POWERTOOLS_SERVICE_NAME": "live-notifier",
            "CONNECTIONS_TABLE": CONNECTIONS,
            "CONNECTIONS_INDEX": "byCustomer",
            "MANAGEMENT_ENDPOINT": ENDPOINT,
            "IDEMPOTENCY_TABLE": shop.tables["idempotency"],
        },
    )


@pytest.fixture
def stream(shop: Shop, notifier: ModuleType, recorder: CallRecorder) -> StreamRelay:
    def invoke(event: dict[str, Any], context: Any) -> Any:
        with recorder.acting_as("live-notifier"):
            return notifier.handler(event, context)

    return StreamRelay(shop.tables["orders"], invoke)


def route_event(
    route_key: str, connection_id: str, customer_id: str | None = ADA, body: str | None = None
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route_key, "MESSAGE"),
        "connectionId": connection_id,
        "stage": "live",
        "apiId": API_ID,
        "requestId": "req",
        "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
        "identity": {"sourceIp": "192.0.2.1"},
        "connectedAt": 1_700_000_000_000,
        "requestTimeEpoch": 1_700_000_000_000,
    }
    if customer_id is not None:
        context["authorizer"] = {"principalId": customer_id, "customerId": customer_id, "integrationLatency": 3}
    return {"requestContext": context, "isBase64Encoded": False, **({"body": body} if body is not None else {})}


def connect(routes: ModuleType, api: FakeApi, connection_id: str, customer_id: str) -> None:
    assert routes.handler(route_event("$connect", connection_id, customer_id), FakeLambdaContext()) == {
        "statusCode": 200
    }
    api.open.add(connection_id)


def test_connect_records_the_authorized_customer_and_disconnect_forgets_it(
    routes: ModuleType, connections_table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "now", lambda: dt.datetime.fromtimestamp(1_800_000_000.5, dt.UTC))
    event = route_event("$connect", "conn-1", ADA)
    event["queryStringParameters"] = {"token": "never-stored"}
    assert routes.handler(event, FakeLambdaContext()) == {"statusCode": 200}
    assert connections_table.get_item(Key={"connectionId": "conn-1"})["Item"] == {
        "connectionId": "conn-1",
        "customerId": ADA,
        "connectedAt": 1_800_000_000,
        "expiresAt": 1_800_000_000 + 2 * 3600 + 600,
    }
    assert routes.handler(route_event("$disconnect", "conn-1"), FakeLambdaContext()) == {"statusCode": 200}
    assert "Item" not in connections_table.get_item(Key={"connectionId": "conn-1"})


def test_a_connect_without_an_authorized_customer_is_refused_and_not_recorded(
    routes: ModuleType, connections_table: Any
) -> None:
    answer = routes.handler(route_event("$connect", "conn-2", customer_id=None), FakeLambdaContext())
    assert answer["statusCode"] == 401
    assert connections_table.scan()["Items"] == []


def test_a_message_from_a_client_is_answered_with_an_error_and_goes_nowhere(
    routes: ModuleType, connections_table: Any, api: FakeApi
) -> None:
    connect(routes, api, "conn-3", ADA)
    answer = routes.handler(route_event("$default", "conn-3", body='{"action": "spam"}'), FakeLambdaContext())
    assert answer["statusCode"] == 400
    assert api.sent == {}


def save_order(shop: Shop, order_id: str, customer_id: str, history: list[tuple[str, str]], **extra: Any) -> None:
    shop.table("orders").put_item(
        Item={
            "orderId": order_id,
            "customerId": customer_id,
            "email": "ada@example.com",
            "status": history[-1][0],
            "history": [{"status": s, "at": at, "event": "Something"} for s, at in history],
            "createdAt": history[0][1],
            "total": 1299,
        }
        | extra
    )


def update(shop: Shop, order_id: str, expression: str, values: dict[str, Any]) -> None:
    names = {"ExpressionAttributeNames": {"#status": "status"}} if "#status" in expression else {}
    shop.table("orders").update_item(
        Key={"orderId": order_id}, UpdateExpression=expression, ExpressionAttributeValues=values, **names
    )


def status_message(order_id: str, status: str, at: str) -> dict[str, str]:
    return {"type": "orderStatus", "orderId": order_id, "status": status, "updatedAt": at}


def test_each_status_reaches_every_open_connection_of_its_owner_once_and_no_one_else(
    shop: Shop, routes: ModuleType, api: FakeApi, stream: StreamRelay
) -> None:
    for connection_id, customer in (("ada-phone", ADA), ("ada-laptop", ADA), ("bob-phone", BOB)):
        connect(routes, api, connection_id, customer)
    save_order(shop, "o-1", ADA, [("PLACED", "2026-01-01T10:00:00Z")])
    assert stream.run() == []
    # The relay marks the order published and a history-only entry joins: the status did not change.
    update(shop, "o-1", "SET published = :true", {":true": True})
    update(
        shop,
        "o-1",
        "SET history = list_append(history, :entry)",
        {":entry": [{"status": "PLACED", "at": "2026-01-01T10:00:01Z", "event": "OrderPlaced"}]},
    )
    update(
        shop,
        "o-1",
        "SET #status = :status, history = list_append(history, :entry)",
        {":status": "PAID", ":entry": [{"status": "PAID", "at": "2026-01-01T10:00:05Z", "event": "PaymentSucceeded"}]},
    )
    assert stream.run() == []
    expected = [
        status_message("o-1", "PLACED", "2026-01-01T10:00:00Z"),
        status_message("o-1", "PAID", "2026-01-01T10:00:05Z"),
    ]
    assert api.sent == {"ada-phone": expected, "ada-laptop": expected}
    assert "ada@example.com" not in json.dumps(api.sent)


def test_a_retried_batch_pushes_nothing_twice(
    shop: Shop, routes: ModuleType, api: FakeApi, stream: StreamRelay
) -> None:
    connect(routes, api, "ada-phone", ADA)
    save_order(shop, "o-2", ADA, [("PLACED", "2026-01-01T10:00:00Z")])
    assert stream.run() == []
    # The same records delivered again from the start of the stream (a Lambda retry after a timeout): the
    # idempotency record answers, nothing is posted again.
    assert StreamRelay(shop.tables["orders"], stream.handler).run() == []
    assert api.sent == {"ada-phone": [status_message("o-2", "PLACED", "2026-01-01T10:00:00Z")]}


def test_a_status_already_pushed_costs_only_the_lookup_in_the_same_container_and_is_not_pushed_by_another(
    shop: Shop,
    routes: ModuleType,
    api: FakeApi,
    stream: StreamRelay,
    notifier: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connect(routes, api, "ada-phone", ADA)
    save_order(shop, "o-5", ADA, [("PLACED", "2026-01-01T10:00:00Z")])
    with counting_calls(monkeypatch) as first:
        assert stream.run() == []
    # Later writes that leave the status as it was (the relay's mark, a history-only entry).
    update(shop, "o-5", "SET published = :true", {":true": True})
    update(shop, "o-5", "SET note = :note", {":note": "history-only"})
    with counting_calls(monkeypatch) as repeats:
        assert stream.run() == []
    # Another container (nothing in its memory) redelivered the same records: the table answers.
    notifier.persistence._cache.clear()
    with counting_calls(monkeypatch) as elsewhere:
        assert StreamRelay(shop.tables["orders"], stream.handler).run() == []

    assert first["dynamodb:PutItem"] == 1 and first["execute-api:PostToConnection"] == 1
    # The owner's connections are looked up; the pushed status is answered from the container's memory.
    assert {call: n for call, n in repeats.items() if not call.startswith("streams.dynamodb")} == {"dynamodb:Query": 2}
    assert elsewhere["dynamodb:PutItem"] >= 1 and "execute-api:PostToConnection" not in elsewhere
    assert api.sent == {"ada-phone": [status_message("o-5", "PLACED", "2026-01-01T10:00:00Z")]}


def test_a_status_nobody_watches_costs_one_lookup_and_is_pushed_once_its_owner_connects(
    shop: Shop,
    routes: ModuleType,
    api: FakeApi,
    stream: StreamRelay,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    save_order(shop, "o-6", ADA, [("PLACED", "2026-01-01T10:00:00Z")])
    with counting_calls(monkeypatch) as unwatched:
        assert stream.run() == []
    connect(routes, api, "ada-phone", ADA)
    update(shop, "o-6", "SET published = :true", {":true": True})  # the same status, seen again
    update(shop, "o-6", "SET note = :note", {":note": "history-only"})
    assert stream.run() == []

    assert {call: n for call, n in unwatched.items() if not call.startswith("streams.dynamodb")} == {
        "dynamodb:Query": 1
    }, "no idempotency record for a push that reached no one"
    assert api.sent == {"ada-phone": [status_message("o-6", "PLACED", "2026-01-01T10:00:00Z")]}


def test_a_gone_or_expired_connection_is_forgotten_and_the_others_still_get_the_push(
    shop: Shop,
    routes: ModuleType,
    api: FakeApi,
    stream: StreamRelay,
    connections_table: Any,
) -> None:
    connect(routes, api, "ada-open", ADA)
    # A connection whose $disconnect never ran: API Gateway no longer has it (410).
    connections_table.put_item(
        Item={"connectionId": "ada-gone", "customerId": ADA, "connectedAt": 1, "expiresAt": 4_000_000_000}
    )
    # A row past its TTL that DynamoDB has not removed yet: never posted to.
    connections_table.put_item(Item={"connectionId": "ada-stale", "customerId": ADA, "connectedAt": 1, "expiresAt": 2})
    api.open.add("ada-stale")
    save_order(shop, "o-3", ADA, [("PLACED", "2026-01-01T10:00:00Z")])
    assert stream.run() == []
    assert api.sent == {"ada-open": [status_message("o-3", "PLACED", "2026-01-01T10:00:00Z")]}
    remaining = sorted(item["connectionId"] for item in connections_table.scan()["Items"])
    assert remaining == ["ada-open"]


def test_pushes_are_authorised_as_manage_connections_on_this_apis_connection(
    shop: Shop, routes: ModuleType, api: FakeApi, stream: StreamRelay, recorder: CallRecorder
) -> None:
    connect(routes, api, "ada-phone", ADA)
    save_order(shop, "o-4", ADA, [("PLACED", "2026-01-01T10:00:00Z")])
    stream.run()
    pushes = [call for call in recorder.calls if call.action.startswith("execute-api:")]
    assert [(c.principal, c.action, c.resource) for c in pushes] == [
        (
            "live-notifier",
            "execute-api:ManageConnections",
            f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/live/POST/@connections/ada-phone",
        )
    ]
