"""Reading the catalog and inventory tables (Scan and BatchGetItem only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from handlers.shared.wire import money

#: BatchGetItem accepts at most 100 keys per call.
MAX_KEYS_PER_BATCH = 100
#: How many times unprocessed keys are asked for again before giving up.
MAX_BATCH_ATTEMPTS = 5


class CatalogUnavailableError(RuntimeError):
    """DynamoDB kept returning unprocessed keys."""


def batch_get(dynamodb: Any, table_name: str, key_name: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Items of ``table_name`` by key value; missing keys are simply absent from the result."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), MAX_KEYS_PER_BATCH):
        request: dict[str, Any] = {
            table_name: {"Keys": [{key_name: key} for key in wanted[start : start + MAX_KEYS_PER_BATCH]]}
        }
        for _ in range(MAX_BATCH_ATTEMPTS):
            response = dynamodb.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table_name, []):
                found[str(item[key_name])] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise CatalogUnavailableError(f"{table_name}: keys still unprocessed after {MAX_BATCH_ATTEMPTS} attempts")
    return found


def scan_all(table: Any) -> list[dict[str, Any]]:
    """Every item of a (small) table, following ``LastEvaluatedKey``."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        response = table.scan(**kwargs)
        items.extend(response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return items
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def products(dynamodb: Any, catalog_table: Any, inventory_table_name: str) -> list[dict[str, Any]]:
    """``[{sku, name, price, currency, inStock}]`` sorted by sku; a sku with no inventory row is out of stock."""
    catalog = scan_all(catalog_table)
    stock = batch_get(dynamodb, inventory_table_name, "sku", (str(row["sku"]) for row in catalog))
    return [
        {
            "sku": str(row["sku"]),
            "name": str(row["name"]),
            "price": money(row["price"]),
            "currency": str(row["currency"]),
            "inStock": int(stock.get(str(row["sku"]), {}).get("available", 0)) > 0,
        }
        for row in sorted(catalog, key=lambda row: str(row["sku"]))
    ]
