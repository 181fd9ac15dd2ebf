"""Live order status end to end: customers signed in through the stack's user pool hold WebSocket connections to
the local WebSocket API; an order's status changes reach its owner's connections only, in order; a connection
whose `$disconnect` was lost is forgotten on the next push (410); a bad or missing token is refused at the upgrade.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from devtools.program import RecordedResource
from localcloud.cloud import LocalCloud
from localcloud.identity import SignedIn
from localcloud.shop import Shopper, is_settled

#: The order a status can move in (handlers/orders/projector.py): pushes follow it, never go back.
FORWARD = ("PLACED", "PAID", "RESERVED", "SHIPPED")
#: A bound on waiting for a message the cloud has already sent (never a sleep: recv returns when it arrives).
RECEIVE_TIMEOUT_SECONDS = 30


@pytest.fixture(scope="module")
def websocket_url(cloud: LocalCloud) -> str:
    return cloud.serve_websocket(port=0)


def customer(cloud: LocalCloud, name: str) -> SignedIn:
    return cloud.identity.create_user({"email": f"{name}.{uuid.uuid4().hex[:8]}@example.com"})


@pytest.fixture
def clients(cloud: LocalCloud) -> Iterator[contextlib.ExitStack]:
    """Closes the test's clients afterwards, and waits until the server has run each one's `$disconnect`."""
    with contextlib.ExitStack() as opened:
        yield opened
    server = cloud.websocket
    if server is not None:
        cloud.wait_until(lambda: not server.open, what="every client's $disconnect")
    cloud.wait_idle()


def open_client(url: str, who: SignedIn, clients: contextlib.ExitStack) -> ClientConnection:
    client: ClientConnection = clients.enter_context(connect(f"{url}?token={who.id_token}"))
    return client


def refused_status(url: str) -> int:
    with pytest.raises(InvalidStatus) as refused, connect(url):
        pass
    return refused.value.response.status_code


def storefront_headers(cloud: LocalCloud, who: SignedIn) -> dict[str, str]:
    """What the storefront sends the REST API for a signed-in customer: the ID token and its API key."""
    return {"Authorization": who.id_token, **Shopper(cloud.api).client_headers()}


def place_order(cloud: LocalCloud, who: SignedIn, sku: str = "MUG-LOGO") -> str:
    """POST /orders as the signed-in customer, through the storefront (its API key sent): the order is the
    token's customer's (the API reads the customer from its claims, never from the body)."""
    body = {"items": [{"sku": sku, "quantity": 1}], "paymentToken": "tok_visa"}
    response = cloud.api.request("POST", "/orders", body=body, headers=storefront_headers(cloud, who))
    assert response.status == 202, response.body
    return str(json.loads(response.body)["orderId"])


def connection_ids(cloud: LocalCloud, who: SignedIn) -> list[str]:
    table = boto3.resource("dynamodb", region_name=cloud.region).Table(f"eventshop-{cloud.stack}-connections")
    items = table.query(IndexName="byCustomer", KeyConditionExpression=Key("customerId").eq(who.customer_id))
    return sorted(str(item["connectionId"]) for item in items["Items"])


def statuses_until_final(client: ClientConnection, order_id: str) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    while not received or received[-1]["status"] != "SHIPPED":
        received.append(json.loads(client.recv(timeout=RECEIVE_TIMEOUT_SECONDS)))
        assert received[-1]["orderId"] == order_id, received
    return received


def settle(cloud: LocalCloud, who: SignedIn, order_id: str) -> None:
    cloud.settle()
    response = cloud.api.request("GET", f"/orders/{order_id}", headers=storefront_headers(cloud, who))
    assert is_settled(json.loads(response.body)), response.body


def test_status_changes_reach_only_the_owners_connections_in_order(
    cloud: LocalCloud, websocket_url: str, clients: contextlib.ExitStack
) -> None:
    ada, bob = customer(cloud, "ada"), customer(cloud, "bob")
    ada_phone, ada_laptop = open_client(websocket_url, ada, clients), open_client(websocket_url, ada, clients)
    bob_phone = open_client(websocket_url, bob, clients)
    assert len(connection_ids(cloud, ada)) == 2 and len(connection_ids(cloud, bob)) == 1

    order_id = place_order(cloud, ada)
    settle(cloud, ada, order_id)

    phone, laptop = statuses_until_final(ada_phone, order_id), statuses_until_final(ada_laptop, order_id)
    assert phone == laptop
    statuses = [message["status"] for message in phone]
    assert statuses[0] == "PLACED" and statuses[-1] == "SHIPPED"
    assert [FORWARD.index(status) for status in statuses] == sorted({FORWARD.index(s) for s in statuses})
    for message in phone:
        assert set(message) == {"type", "orderId", "status", "updatedAt"} and message["type"] == "orderStatus"
        assert dt.datetime.fromisoformat(message["updatedAt"].replace("Z", "+00:00")).tzinfo is not None
    assert ada.email not in json.dumps(phone)

    # Bob's connection got nothing: the first thing it receives is a marker posted to it now.
    assert cloud.websocket is not None
    [bob_id] = connection_ids(cloud, bob)
    assert cloud.websocket.open[bob_id].sent == []
    cloud.websocket.post(cloud.websocket.spec.stage, bob_id, b'{"type": "marker"}')
    assert json.loads(bob_phone.recv(timeout=RECEIVE_TIMEOUT_SECONDS)) == {"type": "marker"}
    # The notifier called only ManageConnections on this API's connections of Ada's, and had a grant for it.
    pushes = [call for call in cloud.recorder.calls if call.action == "execute-api:ManageConnections"]
    assert {call.resource.rsplit("/", 1)[-1] for call in pushes} >= set(connection_ids(cloud, ada))
    assert all(f":{cloud.websocket.spec.api_id}/live/POST/@connections/" in call.resource for call in pushes)
    assert not [missing for missing in cloud.missing_grants() if "live-" in missing.call.principal]


def test_a_connection_whose_disconnect_was_lost_is_forgotten_on_the_next_push(
    cloud: LocalCloud, websocket_url: str, clients: contextlib.ExitStack
) -> None:
    ada = customer(cloud, "ada")
    staying = open_client(websocket_url, ada, clients)
    leaving = open_client(websocket_url, ada, clients)
    before = connection_ids(cloud, ada)
    assert len(before) == 2
    assert cloud.websocket is not None
    # The next run of the connections function (this close's $disconnect) crashes: its row stays behind.
    cloud.set_faults({"seed": 1, "faults": [{"kind": "crash", "function": "live-connections", "times": 1}]})
    leaving.close()
    server = cloud.websocket
    cloud.wait_until(lambda: len(set(before) & server.closed.keys()) == 1, what="the close to be handled")
    cloud.wait_idle()
    assert connection_ids(cloud, ada) == before, "the lost $disconnect left its row"

    order_id = place_order(cloud, ada)
    settle(cloud, ada, order_id)
    assert statuses_until_final(staying, order_id)[0]["status"] == "PLACED"
    [remaining] = connection_ids(cloud, ada)
    assert remaining in cloud.websocket.open


@pytest.mark.parametrize("query", ["", "?token=", "?token=not-a-jwt", "?other=1"])
def test_a_missing_or_bad_token_is_refused_at_the_upgrade(cloud: LocalCloud, websocket_url: str, query: str) -> None:
    opened = len(cloud.websocket.open) if cloud.websocket else 0
    assert refused_status(f"{websocket_url}{query}") == 401
    assert cloud.websocket is not None and len(cloud.websocket.open) == opened


def test_a_token_of_another_app_client_or_a_forged_one_is_refused(cloud: LocalCloud, websocket_url: str) -> None:
    ada = customer(cloud, "ada")
    header, body, signature = ada.id_token.split(".")
    forged = f"{header}.{body}.{signature[:-4]}AAAA"
    for token in (forged, f"{header}.{body}."):
        assert refused_status(f"{websocket_url}?token={token}") == 401


def test_the_websocket_endpoint_is_published(cloud: LocalCloud, websocket_url: str) -> None:
    assert cloud.endpoints["websocket"] == websocket_url and websocket_url.startswith("ws://127.0.0.1:")


#: A source ARN fnmatch would match (``*`` reaching across the ARN's colons) but ``ArnLike`` does not.
ONLY_FNMATCH_MATCHES = "arn:aws:execute-api:*"


@pytest.mark.parametrize("invoked", ["authorizer", "$connect"])
@pytest.mark.parametrize("source_arn", [None, ONLY_FNMATCH_MATCHES], ids=["no-permission", "fnmatch-only-permission"])
def test_an_invocation_the_functions_resource_policy_does_not_allow_is_refused(
    cloud: LocalCloud, websocket_url: str, monkeypatch: pytest.MonkeyPatch, invoked: str, source_arn: str | None
) -> None:
    """API Gateway invokes the authorizer and each route's function only as their Lambda permissions allow
    (``Deployment.allows_invoke``, the check the REST API and rules use too): without a permission for this API,
    or with one whose source ARN matches only as fnmatch would read it, the upgrade fails (500) and the
    function never runs."""
    server = cloud.websocket
    assert server is not None
    spec = server.spec
    function = spec.authorizer_function if invoked == "authorizer" else spec.routes["$connect"][0]
    assert function is not None
    deployment = cloud.deployment

    def restricted(permission: RecordedResource) -> RecordedResource | None:
        if str(permission.inputs.get("function")) != function:
            return permission
        if source_arn is None:
            return None
        return dataclasses.replace(permission, inputs=permission.inputs | {"sourceArn": source_arn})

    kept = [changed for changed in map(restricted, deployment.permissions) if changed is not None]
    assert len(kept) < len(deployment.permissions) or source_arn is not None, f"{function} had no permission"
    monkeypatch.setattr(deployment, "permissions", kept)
    ada = customer(cloud, "ada")
    # An earlier test's connection may still be closing: what must not happen is a connection added.
    runs_before, opened = cloud.functions[function].invocations, set(server.open)

    assert refused_status(f"{websocket_url}?token={ada.id_token}") == 500
    assert cloud.functions[function].invocations == runs_before, f"{function} ran without a permission"
    assert set(server.open) <= opened and connection_ids(cloud, ada) == []
    refusals = [entry.message for entry in cloud.trace.entries(kind="error") if entry.where == function]
    assert refusals and "may not invoke" in refusals[-1]

    monkeypatch.undo()
    with connect(f"{websocket_url}?token={ada.id_token}"):
        cloud.wait_until(lambda: len(connection_ids(cloud, ada)) == 1, what="the permitted $connect")
