"""localcloud.moto_per_call: a rule ``PutEvents`` matched is sent its message without matching it again,
unless its pattern reads the message's clock (the one field that differs between the two messages)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.events.models import EventPattern, EventsBackend

from localcloud import moto_patches, moto_per_call
from tests.localcloud.support import count_flattened_events

REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def installed() -> None:
    moto_patches.install()


def _put_to_queue_rules(patterns: dict[str, Any], put_events: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """One event through ``put_events`` to a rule per pattern, each with a queue; what each queue received
    (without the id and the clock readings)."""
    monkeypatch.setattr(EventsBackend, "put_events", put_events)
    with mock_aws():
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        urls = {}
        for name, pattern in patterns.items():
            urls[name] = sqs.create_queue(QueueName=f"rule-{name}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=urls[name], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_rule(Name=name, EventPattern=json.dumps(pattern))
            events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])
        detail = json.dumps({"total": 250})
        events.put_events(Entries=[{"Source": "shop.orders", "DetailType": "OrderPlaced", "Detail": detail}])
        received = {}
        for name, url in urls.items():
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            received[name] = [
                {k: v for k, v in json.loads(m["Body"]).items() if k not in ("id", "time", "ingestion-time")}
                for m in messages
            ]
    return received


PATTERNS: dict[str, Any] = {
    "source": {"source": ["shop.orders"]},
    "total": {"detail": {"total": [{"numeric": [">", 100]}]}},
    "ingested": {"source": ["shop.orders"], "ingestion-time": [{"exists": True}]},
    "timed-or": {"$or": [{"time": [{"exists": True}]}, {"source": ["nobody"]}]},
    "other": {"source": ["shop.stock"]},
}


def test_each_rule_receives_what_moto_s_own_put_events_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = _put_to_queue_rules(PATTERNS, moto_per_call.put_events, monkeypatch)
    moto_s = _put_to_queue_rules(PATTERNS, moto_per_call.moto_put_events, monkeypatch)

    assert ours == moto_s
    assert {name: len(messages) for name, messages in ours.items()} == {
        "source": 1,
        "total": 1,
        "ingested": 1,
        "timed-or": 1,
        "other": 0,
    }


def test_a_matched_rule_is_sent_its_message_unmatched_again(monkeypatch: pytest.MonkeyPatch) -> None:
    flattened = count_flattened_events(monkeypatch)

    received = _put_to_queue_rules({"source": PATTERNS["source"]}, moto_per_call.put_events, monkeypatch)

    assert len(received["source"]) == 1
    assert len(flattened) == 1  # the match itself; neither the local cloud's send nor moto's matched again


def test_a_pattern_reading_the_clock_is_matched_on_the_message_it_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    flattened = count_flattened_events(monkeypatch)

    received = _put_to_queue_rules({"ingested": PATTERNS["ingested"]}, moto_per_call.put_events, monkeypatch)

    assert len(received["ingested"]) == 1
    assert len(flattened) == 3  # the match, then the local cloud's send and moto's, on the message sent


def test_a_pattern_names_the_clock_at_any_depth() -> None:
    assert not moto_per_call.names_clock_fields(PATTERNS["source"])
    assert not moto_per_call.names_clock_fields({"detail": {"timestamp": [1]}})
    assert moto_per_call.names_clock_fields(PATTERNS["ingested"])
    assert moto_per_call.names_clock_fields(PATTERNS["timed-or"])
    assert moto_per_call.names_clock_fields({"detail": {"time": ["x"]}})


def test_outside_put_events_a_pattern_is_matched_as_moto_matches() -> None:
    pattern = EventPattern.load(json.dumps({"source": ["shop.orders"]}))
    placed: Any = {"source": "shop.orders"}
    reserved: Any = {"source": "shop.stock"}

    assert pattern.matches_event(placed)
    assert not pattern.matches_event(reserved)
