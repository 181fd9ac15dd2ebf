"""Cart state: whether a cart was ordered, so that an ordered cart is never reminded.

ItemAddedToCart and OrderPlaced reach Reminders through one standard (unordered) queue, and either may be
redelivered or replayed from the archive at any time. The carts table (``CARTS_TABLE``, key ``cartId``,
owned by Reminders) keeps the one fact that decides: ``orderedAt`` / ``orderId``, set by the first
OrderPlaced for the cart and never removed. Reminders only schedules while the cart is not ordered
(a conditional write), and Email asks again before it mails a reminder.

No TTL: the marker must outlive every redelivery and replay of the cart's events (see
``handlers.email.sent`` for the same choice); a row holds the cart id, an order id and timestamps only.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any

import boto3
from botocore.exceptions import ClientError


class CartBook:
    """The carts table; its DynamoDB resource is created on first use."""

    def __init__(self, table_name: str | None = None) -> None:
        self._table_name = table_name

    @cached_property
    def table(self) -> Any:
        return boto3.resource("dynamodb").Table(self._table_name or os.environ["CARTS_TABLE"])

    def ordered_by(self, cart_id: str) -> str | None:
        """The order that was placed for the cart, or ``None`` while it is not ordered."""
        item = self.table.get_item(Key={"cartId": cart_id}, ConsistentRead=True).get("Item")
        if item is None or "orderedAt" not in item:
            return None
        return str(item["orderId"])

    def note_item(self, cart_id: str, at: str) -> bool:
        """Record an item added at ``at``; ``False`` (and nothing written) when the cart was ordered."""
        try:
            self.table.update_item(
                Key={"cartId": cart_id},
                UpdateExpression="SET lastItemAt = :at",
                ConditionExpression="attribute_not_exists(orderedAt)",
                ExpressionAttributeValues={":at": at},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def mark_ordered(self, cart_id: str, order_id: str, at: str) -> str:
        """Mark the cart ordered (the first order wins; repeats change nothing); return the order that won."""
        response = self.table.update_item(
            Key={"cartId": cart_id},
            UpdateExpression="SET orderedAt = if_not_exists(orderedAt, :at), orderId = if_not_exists(orderId, :order)",
            ExpressionAttributeValues={":at": at, ":order": order_id},
            ReturnValues="ALL_NEW",
        )
        return str(response["Attributes"]["orderId"])
