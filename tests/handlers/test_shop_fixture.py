"""The handler tests' shop (shop_state.py ``shop_resources``): the first test that starts from an empty moto creates
the bus, queues, rule and topic through the API; every later test gets moto put back exactly as that creation
left it, a fresh copy of its own; a moto that already holds something gets the API calls. Likewise each role's
table (``put_created_table``), once DynamoDB holds a table in the test's moto."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from moto import mock_aws

from localcloud import moto_snapshot
from tests.handlers import shop_state
from tests.handlers.conftest import ShopTables, set_up_clients
from tests.handlers.shop_state import BUS, REGION, TABLES, ShopResources, create_shop_resources, shop_resources
from tests.localcloud.moto_state import a_time_within, differences, leaf_differences, moto_state


def _counting(patch: pytest.MonkeyPatch) -> list[object]:
    """Each put-back, counted."""
    counted: list[object] = []
    real_restore = moto_snapshot.restore

    def counting_restore(snapshot: moto_snapshot.MotoSnapshot) -> None:
        counted.append(snapshot)
        real_restore(snapshot)

    patch.setattr(moto_snapshot, "restore", counting_restore)
    return counted


def _credentials(patch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        patch.setenv(name, value)
    patch.setenv("AWS_DEFAULT_REGION", REGION)


def _shop_in_a_fresh_moto() -> tuple[ShopResources, dict[str, Any]]:
    with mock_aws():
        resources = shop_resources(set_up_clients())
        return resources, moto_state()


@pytest.fixture(scope="module")
def shops() -> dict[str, Any]:
    """With no shop created yet in the process: moto after the first creation, after the shop put back in the next
    moto, and after a new creation through the API; with the restores counted and the wall-clock window."""
    found: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as patch:
        _credentials(patch)
        patch.setattr(shop_state, "_created_shop", None)
        restores = _counting(patch)
        started = time.time() - 1
        found["created"] = _shop_in_a_fresh_moto()
        found["restores after creating"] = len(restores)
        found["put back"] = _shop_in_a_fresh_moto()
        found["restores after putting back"] = len(restores)
        with mock_aws():
            found["created again"] = (create_shop_resources(set_up_clients()), moto_state())
        found["window"] = (started, time.time() + 1)
    return found


@pytest.fixture
def restores(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    _credentials(monkeypatch)
    return _counting(monkeypatch)


def test_a_later_shop_is_put_back_exactly_as_the_first_creation_left_moto(shops: dict[str, Any]) -> None:
    (created_names, created), (put_back_names, put_back) = shops["created"], shops["put back"]
    assert (shops["restores after creating"], shops["restores after putting back"]) == (0, 1)
    assert put_back_names == created_names
    assert created == put_back, differences(created, put_back)


def test_the_shop_put_back_differs_from_a_new_creation_only_in_creation_times_and_random_ids(
    shops: dict[str, Any],
) -> None:
    (names, put_back), (names_again, created_again) = shops["put back"], shops["created again"]
    assert names_again == names, "the same names and ARNs"
    found = leaf_differences(put_back, created_again)
    assert found, "the creation times differ, so the comparison sees them"
    unexplained = _not_times_nor_random_ids(found, shops["window"])
    assert not unexplained, unexplained[:5]


def test_each_test_gets_a_shop_of_its_own(restores: list[object]) -> None:
    with mock_aws():
        clients = set_up_clients()
        resources = shop_resources(clients)  # created, or put back
        clients.sqs.send_message(QueueUrl=resources.capture_queue_url, MessageBody=json.dumps({"left": "behind"}))
        clients.events.remove_targets(Rule="capture-all", EventBusName=BUS, Ids=["capture"])
    before = len(restores)
    with mock_aws():
        clients = set_up_clients()
        resources = shop_resources(clients)
        assert len(restores) == before + 1, "put back"
        received = clients.sqs.receive_message(QueueUrl=resources.capture_queue_url, WaitTimeSeconds=0)
        assert received.get("Messages", []) == []
        targets = clients.events.list_targets_by_rule(Rule="capture-all", EventBusName=BUS)["Targets"]
        assert [target["Id"] for target in targets] == ["capture"]


def test_a_moto_that_already_holds_something_gets_the_shop_through_the_api(restores: list[object]) -> None:
    with mock_aws():
        clients = set_up_clients()
        clients.sqs.create_queue(QueueName="already-there")
        resources = shop_resources(clients)
        names = sorted(url.rsplit("/", 1)[1] for url in clients.sqs.list_queues()["QueueUrls"])
        assert names == ["already-there", "capture", "outbox"]
        assert resources.capture_queue_url.endswith("/capture")
    assert restores == []


def _tables_in_a_fresh_moto() -> dict[str, Any]:
    with mock_aws():
        clients = set_up_clients()
        shop_resources(clients)
        tables = ShopTables(clients.dynamodb)
        for role in TABLES:
            tables[role]
        return moto_state()


@pytest.fixture(scope="module")
def tables() -> dict[str, Any]:
    """With no table created yet in the process: moto after the shop's nine tables were created through the API,
    then after they were asked for in a new moto (each put in or not, in ``puts``)."""
    found: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as patch:
        _credentials(patch)
        patch.setattr(shop_state, "_created_tables", {})
        puts: list[bool] = []
        real_put = shop_state.put_created_table

        def counting_put(client: Any, role: str, name: str) -> bool:
            puts.append(real_put(client, role, name))
            return puts[-1]

        patch.setattr(shop_state, "put_created_table", counting_put)
        started = time.time() - 1
        found["created"] = _tables_in_a_fresh_moto()
        found["puts after creating"] = list(puts)
        puts.clear()
        found["put"] = _tables_in_a_fresh_moto()
        found["puts"] = list(puts)
        found["window"] = (started, time.time() + 1)
    return found


def test_a_table_is_put_in_once_dynamodb_holds_one(tables: dict[str, Any]) -> None:
    assert tables["puts after creating"] == [False] * len(TABLES)
    assert tables["puts"] == [False] + [True] * (len(TABLES) - 1), "the first table of a moto is created"


def test_moto_with_tables_put_in_differs_from_their_creation_only_in_times_and_the_random_source(
    tables: dict[str, Any],
) -> None:
    found = leaf_differences(tables["created"], tables["put"])
    assert found, "the first table was created anew, so its times differ"
    unexplained = _not_times_nor_random_ids(found, tables["window"])
    assert not unexplained, unexplained[:5]


def test_each_test_gets_tables_of_its_own(restores: list[object]) -> None:
    for _ in range(2):
        with mock_aws():
            clients = set_up_clients()
            shop_resources(clients)
            names = ShopTables(clients.dynamodb)
            catalog, inventory = clients.dynamodb_resource.Table(names["catalog"]), names["inventory"]
            assert clients.dynamodb.scan(TableName=inventory)["Items"] == [], "empty in every test"
            catalog.put_item(Item={"sku": "left-behind"})
            clients.dynamodb.put_item(TableName=inventory, Item={"sku": {"S": "left-behind"}})


def _not_times_nor_random_ids(
    found: list[tuple[str, Any, Any]], window: tuple[float, float]
) -> list[tuple[str, Any, Any]]:
    """The differences that are neither two times inside ``window``, nor the same but for moto's random ids, nor
    moto's random source itself."""
    return [
        (where, left, right)
        for where, left, right in found
        if not (a_time_within(left, window) and a_time_within(right, window))
        and not _the_same_but_for_random_ids(left, right)
        and not where.startswith("moto's random source/")
    ]


#: A UUID moto draws from its random source (the subscription's ARN ends in one).
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _the_same_but_for_random_ids(left: Any, right: Any) -> bool:
    return (
        isinstance(left, str)
        and isinstance(right, str)
        and bool(_UUID.search(left))
        and _UUID.sub("<uuid>", left) == _UUID.sub("<uuid>", right)
    )
