"""The handler tests' shop creates each table in moto when its name is first asked for, as the program defines it."""

from __future__ import annotations

import pytest

from tests.handlers.conftest import Shop, set_up_clients
from tests.handlers.shop_state import TABLES


def _existing() -> list[str]:
    return list(set_up_clients().dynamodb.list_tables()["TableNames"])


def test_a_table_exists_once_its_name_is_asked_for_and_is_created_once(shop: Shop) -> None:
    assert _existing() == []
    name = shop.tables["orders"]
    shop.table("orders").put_item(Item={"orderId": "o-1"})

    assert shop.tables["orders"] == name
    assert _existing() == [name]
    assert shop.table("orders").get_item(Key={"orderId": "o-1"})["Item"] == {"orderId": "o-1"}, "not created anew"


def test_each_table_has_its_roles_key_and_the_orders_table_its_index_and_stream(shop: Shop) -> None:
    client = set_up_clients().dynamodb
    for role, key in TABLES.items():
        table = client.describe_table(TableName=shop.tables[role])["Table"]
        assert table["KeySchema"] == [{"AttributeName": key, "KeyType": "HASH"}], role
    orders = client.describe_table(TableName=shop.tables["orders"])["Table"]
    assert [index["IndexName"] for index in orders["GlobalSecondaryIndexes"]] == ["byCustomer"]
    assert orders["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    ttl = client.describe_time_to_live(TableName=shop.tables["idempotency"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiration"}
    assert sorted(_existing()) == sorted(shop.tables[role] for role in TABLES)


def test_an_unknown_role_is_a_key_error_naming_the_roles(shop: Shop) -> None:
    with pytest.raises(KeyError, match=r"no table for role 'order'.*'orders'"):
        shop.tables["order"]
