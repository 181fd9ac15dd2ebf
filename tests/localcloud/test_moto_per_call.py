"""localcloud.moto_per_call: moto's per-call work made cheaper, with the answers and deliveries moto gives."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.events.models import EventsBackend
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.moto_random import MotoRandom

from localcloud import moto_patches, moto_per_call
from tests.localcloud.support import count_flattened_events

REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def installed() -> None:
    moto_patches.install()


def _no_choice(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a character was drawn with its own Random.choice call")


def test_random_strings_keep_moto_s_lengths_and_alphabets_in_one_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MotoRandom, "choice", _no_choice)
    letters_and_digits = set(string.ascii_letters + string.digits)

    request_ids = {mock_random.get_random_string(length=52) for _ in range(200)}
    assert len(request_ids) == 200
    assert all(len(value) == 52 and set(value) <= letters_and_digits for value in request_ids)
    drawn = "".join(request_ids)
    assert set(drawn) & set(string.digits) and set(drawn) & set(string.ascii_uppercase)  # the whole alphabet

    assert set("".join(mock_random.get_random_string(include_digits=False) for _ in range(50))) <= set(
        string.ascii_letters
    )
    lower = mock_random.get_random_string(length=30, lower_case=True)
    assert len(lower) == 30 and lower == lower.lower()
    hex_ids = [mock_random.get_random_hex(12) for _ in range(50)]
    assert all(len(value) == 12 and set(value) <= set("0123456789abcdef") for value in hex_ids)


def test_seeding_moto_s_random_still_repeats_its_ids() -> None:
    def draw() -> tuple[str, str, str]:
        return (
            mock_random.get_random_string(length=52),
            mock_random.get_random_hex(),
            moto_per_call.generate_receipt_handle(),
        )

    mock_random.seed(7)
    first = draw()
    mock_random.seed(7)
    assert draw() == first
    mock_random.seed(8)
    assert draw() != first


@pytest.fixture
def queue() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        yield sqs, sqs.create_queue(QueueName="receipts")["QueueUrl"]


def test_an_sqs_receipt_handle_is_moto_s_185_lower_case_letters_and_deletes_its_message(
    queue: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs, url = queue
    monkeypatch.setattr(MotoRandom, "choice", _no_choice)
    for body in ("one", "two", "three"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    handles = [message["ReceiptHandle"] for message in received]

    assert len(set(handles)) == 3
    assert all(len(handle) == 185 and set(handle) <= set(string.ascii_lowercase) for handle in handles)
    sqs.delete_message_batch(
        QueueUrl=url, Entries=[{"Id": str(n), "ReceiptHandle": handle} for n, handle in enumerate(handles)]
    )
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"][
            "ApproximateNumberOfMessagesNotVisible"
        ]
        == "0"
    )


#: Rules on one bus and the queue each delivers to; the events below match some of them each.
RULES: dict[str, dict[str, Any]] = {
    "orders": {"source": ["shop.orders"]},
    "placed": {"source": ["shop.orders"], "detail-type": ["OrderPlaced"]},
    "big": {"detail": {"total": [{"numeric": [">", 100]}]}},
    "eu": {"detail": {"address": {"country": ["DE", "FR"]}}},
    "billing": {"source": ["shop.billing"]},
    "disabled": {"source": ["shop.orders"]},
}
EVENTS: list[dict[str, Any]] = [
    {"Source": "shop.orders", "DetailType": "OrderPlaced", "Detail": {"total": 250, "address": {"country": "DE"}}},
    {"Source": "shop.orders", "DetailType": "OrderShipped", "Detail": {"total": 20, "address": {"country": "US"}}},
    {"Source": "shop.billing", "DetailType": "Charged", "Detail": {"total": 120}},
    {"Source": "shop.stock", "DetailType": "Reserved", "Detail": {"sku": "MUG"}},
]


def _deliveries(put_events: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Put ``EVENTS`` (and two refused entries) through ``put_events``; the entries' errors and what each
    rule's queue received, without the ids and times that differ per run."""
    monkeypatch.setattr(EventsBackend, "put_events", put_events)
    with mock_aws():
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        events.create_event_bus(Name="shop")
        urls = {}
        for name, pattern in RULES.items():
            urls[name] = sqs.create_queue(QueueName=f"rule-{name}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=urls[name], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            state = "DISABLED" if name == "disabled" else "ENABLED"
            events.put_rule(Name=name, EventBusName="shop", EventPattern=json.dumps(pattern), State=state)
            events.put_targets(Rule=name, EventBusName="shop", Targets=[{"Id": "queue", "Arn": arn}])
        entries = [
            {
                "Source": e["Source"],
                "DetailType": e["DetailType"],
                "Detail": json.dumps(e["Detail"]),
                "EventBusName": "shop",
            }
            for e in EVENTS
        ]
        refused = [
            {"Source": "shop.orders", "DetailType": "Broken", "Detail": "{not json", "EventBusName": "shop"},
            {"Source": "shop.orders", "Detail": "{}", "EventBusName": "shop"},
        ]
        answer = events.put_events(Entries=entries + refused)
        errors = [{k: v for k, v in entry.items() if k != "EventId"} for entry in answer["Entries"]]
        received = {}
        for name, url in urls.items():
            bodies = [
                json.loads(m["Body"])
                for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            ]
            received[name] = sorted(
                ({k: v for k, v in body.items() if k not in ("id", "time", "ingestion-time")} for body in bodies),
                key=json.dumps,
            )
    return errors, received


def test_put_events_delivers_to_each_rule_what_moto_s_own_put_events_delivers(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = _deliveries(moto_per_call.put_events, monkeypatch)
    moto_s = _deliveries(moto_per_call.moto_put_events, monkeypatch)

    assert ours == moto_s
    errors, received = ours
    assert [error.get("ErrorCode") for error in errors] == [
        None,
        None,
        None,
        None,
        "MalformedDetail",
        "InvalidArgument",
    ]
    assert {name: len(bodies) for name, bodies in received.items()} == {
        "orders": 2,
        "placed": 1,
        "big": 2,
        "eu": 1,
        "billing": 1,
        "disabled": 0,
    }
    assert received["placed"][0]["detail"] == {"total": 250, "address": {"country": "DE"}}


def test_put_events_flattens_an_event_once_for_all_rules_and_again_only_for_each_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flattened = count_flattened_events(monkeypatch)
    with mock_aws():
        events = boto3.client("events", region_name=REGION)
        for number in range(8):
            events.put_rule(Name=f"rule-{number}", EventPattern=json.dumps({"source": [f"source-{number}"]}))
        events.put_events(Entries=[{"Source": "source-3", "DetailType": "Nothing", "Detail": "{}"}])

    assert len(flattened) == 1  # once to match the eight rules; the matching rule's send knows it matched
