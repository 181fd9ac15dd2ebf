"""The handler tests' shop (conftest.py ``shop_resources``): the first test that starts from an empty moto creates
the bus, queues, rule and topic through the API; every later test gets moto put back exactly as that creation
left it, a fresh copy of its own; a moto that already holds something gets the API calls."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from typing import Any

import pytest
from moto import mock_aws

from localcloud import moto_snapshot
from tests.handlers import conftest
from tests.handlers.conftest import BUS, ShopResources, create_shop_resources, set_up_clients, shop_resources
from tests.localcloud.moto_state import differences, leaf_differences, moto_state


@pytest.fixture
def restores(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """No shop created yet in this process (so this test's first moto creates it), and each put-back counted."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", conftest.REGION)
    monkeypatch.setattr(conftest, "_created_shop", None)
    counted: list[object] = []
    real_restore = moto_snapshot.restore

    def counting_restore(snapshot: moto_snapshot.MotoSnapshot) -> None:
        counted.append(snapshot)
        real_restore(snapshot)

    monkeypatch.setattr(moto_snapshot, "restore", counting_restore)
    return counted


def _shop_in_a_fresh_moto() -> tuple[ShopResources, dict[str, Any]]:
    with mock_aws():
        resources = shop_resources(set_up_clients())
        return resources, moto_state()


def test_a_later_shop_is_put_back_exactly_as_the_first_creation_left_moto(restores: list[object]) -> None:
    created = _shop_in_a_fresh_moto()
    assert restores == []
    put_back = _shop_in_a_fresh_moto()
    assert len(restores) == 1
    assert put_back[0] == created[0]
    assert created[1] == put_back[1], differences(created[1], put_back[1])


def test_the_shop_put_back_differs_from_a_new_creation_only_in_creation_times_and_random_ids(
    restores: list[object],
) -> None:
    started = time.time() - 1
    _shop_in_a_fresh_moto()
    resources, put_back = _shop_in_a_fresh_moto()
    with mock_aws():
        assert create_shop_resources(set_up_clients()) == resources, "the same names and ARNs"
        created_again = moto_state()
    window = (started, time.time() + 1)
    found = leaf_differences(put_back, created_again)
    assert found, "the creation times differ, so the comparison sees them"
    unexplained = [
        (where, left, right)
        for where, left, right in found
        if not (_a_time(left, window) and _a_time(right, window))
        and not _the_same_but_for_random_ids(left, right)
        and not where.startswith("moto's random source/")
    ]
    assert not unexplained, unexplained[:5]


def test_each_test_gets_a_shop_of_its_own(restores: list[object]) -> None:
    _shop_in_a_fresh_moto()
    with mock_aws():
        clients = set_up_clients()
        resources = shop_resources(clients)
        clients.sqs.send_message(QueueUrl=resources.capture_queue_url, MessageBody=json.dumps({"left": "behind"}))
        clients.events.remove_targets(Rule="capture-all", EventBusName=BUS, Ids=["capture"])
    with mock_aws():
        clients = set_up_clients()
        resources = shop_resources(clients)
        received = clients.sqs.receive_message(QueueUrl=resources.capture_queue_url, WaitTimeSeconds=0)
        assert received.get("Messages", []) == []
        targets = clients.events.list_targets_by_rule(Rule="capture-all", EventBusName=BUS)["Targets"]
        assert [target["Id"] for target in targets] == ["capture"]
    assert len(restores) == 2


def test_a_moto_that_already_holds_something_gets_the_shop_through_the_api(restores: list[object]) -> None:
    resources, _ = _shop_in_a_fresh_moto()
    with mock_aws():
        clients = set_up_clients()
        clients.sqs.create_queue(QueueName="already-there")
        assert shop_resources(clients) == resources
        names = sorted(url.rsplit("/", 1)[1] for url in clients.sqs.list_queues()["QueueUrls"])
        assert names == ["already-there", "capture", "outbox"]
    assert restores == []


#: A UUID moto draws from its random source (the subscription's ARN ends in one).
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _the_same_but_for_random_ids(left: Any, right: Any) -> bool:
    return (
        isinstance(left, str)
        and isinstance(right, str)
        and bool(_UUID.search(left))
        and _UUID.sub("<uuid>", left) == _UUID.sub("<uuid>", right)
    )


def _a_time(value: Any, window: tuple[float, float]) -> bool:
    """Whether ``value`` is a time inside ``window``: a datetime, epoch seconds or milliseconds, or ISO text."""
    start, end = window
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("000Z", "Z"))
        except ValueError:
            return False
    if isinstance(value, dt.datetime):
        return start <= (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp() <= end
    if isinstance(value, int | float) and not isinstance(value, bool):
        return start <= value <= end or start * 1000 <= value <= end * 1000
    return False
