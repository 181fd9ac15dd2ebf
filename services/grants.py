"""The grants services give their functions on what they own: exact actions on one table."""

from __future__ import annotations

from components import Grant, Table

# What Powertools' DynamoDB idempotency store does, and nothing more.
IDEMPOTENCY_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


def table_grant(table: Table, *actions: str) -> Grant:
    return Grant(actions=tuple(actions), resources=(table.table.arn,))


def idempotency_grant(table: Table) -> Grant:
    return table_grant(table, *IDEMPOTENCY_ACTIONS)
