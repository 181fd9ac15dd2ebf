"""What only this shop knows, kept in localcloud/shop.py: its functions by short name, its outbox queue."""

from __future__ import annotations

import pytest

from devtools.program import project_name
from localcloud import shop
from localcloud.deployment import QueueInfo


def queue(name: str) -> QueueInfo:
    return QueueInfo(name, f"https://sqs/{name}", f"arn:aws:sqs:us-east-1:123456789012:{name}", 30, None, None)


def test_a_function_is_found_by_its_short_or_its_full_name() -> None:
    billing = f"{project_name()}-dev-billing"
    names = [billing, f"{project_name()}-dev-billing-dlq-redrive"]

    assert shop.function_name(names, "dev", "billing") == billing
    assert shop.function_name(names, "dev", billing) == billing
    with pytest.raises(KeyError, match="no function 'billing'"):
        shop.function_name(names, "prod", "billing")


def test_the_outbox_queue_is_found_by_its_name_and_may_be_absent() -> None:
    outbox = queue(f"{project_name()}-dev-customer-notifications-outbox")

    assert shop.outbox_queue([queue("orders-dlq"), outbox]) == outbox
    assert shop.outbox_queue([queue("orders-dlq")]) is None
