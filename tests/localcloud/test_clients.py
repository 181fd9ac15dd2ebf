"""The local cloud's own clients (localcloud/clients.py): one set per process and region, shared by every cloud
booted in the process, made again when a hook on botocore's client factory is installed after them."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from moto import mock_aws

from localcloud.clients import Clients, shared_clients
from localcloud.cloud import LocalCloud

REGION = "eu-west-1"


def test_clouds_of_one_process_share_their_clients_per_region() -> None:
    first, second = LocalCloud("dev"), LocalCloud("dev")
    assert first.clients is second.clients, "a second cloud would make every client again"
    assert first.clients is shared_clients(first.region)
    assert shared_clients("eu-central-1") is not shared_clients(REGION)
    assert shared_clients("eu-central-1").region == "eu-central-1"


def test_a_client_is_made_once_while_the_client_factory_stays_the_same() -> None:
    clients = Clients(REGION)
    assert clients("sqs") is clients("sqs")
    assert clients("sqs") is not clients("sns")


def test_a_client_made_before_a_hook_was_installed_is_made_again_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    clients = Clients(REGION)
    before = clients("sqs")
    original = botocore.session.Session.create_client
    hooked: list[Any] = []

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        hooked.append(client)
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    after = clients("sqs")
    assert after is not before and hooked == [after], "the client of before the hook was reused"
    assert clients("sqs") is after


def test_a_client_made_under_one_moto_context_reaches_the_moto_of_the_next() -> None:
    clients = Clients(REGION)
    with mock_aws():
        clients("sqs").create_queue(QueueName="from-the-first-boot")
        assert len(clients("sqs").list_queues()["QueueUrls"]) == 1
    with mock_aws():
        assert "QueueUrls" not in clients("sqs").list_queues(), "the second context's moto starts empty"
        clients("sqs").create_queue(QueueName="from-the-second-boot")
        [url] = clients("sqs").list_queues()["QueueUrls"]
        assert url.endswith("/from-the-second-boot")
