"""docs/asyncapi.yaml is the program's AsyncAPI document: fresh, true to the rules, valid for the official parser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from devtools.asyncapi import DOCUMENT, SCHEMA_FORMAT, SchemaConversionError, draft07, render
from devtools.asyncapi_live import message_schema
from devtools.event_catalog import rule_targets
from devtools.program import ROOT, ProgramRun
from handlers.shared.event_contracts import contract_name, sample_path
from services.events import EVENT_TYPES, UNCONSUMED

TOOLS = ROOT / "tools" / "asyncapi"


@pytest.fixture(scope="module")
def document(runs: dict[str, ProgramRun]) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(render(runs["dev"]))
    return loaded


def test_the_asyncapi_document_is_generated_from_the_dev_stack(runs: dict[str, ProgramRun]) -> None:
    assert DOCUMENT.read_text() == render(runs["dev"]), "docs/asyncapi.yaml is stale: run `make diagram`"


def test_one_channel_per_detail_type_with_its_bus_source_and_registry_name(document: dict[str, Any]) -> None:
    channels = {key: channel for key, channel in document["channels"].items() if "x-eventbridge" in channel}

    assert set(channels) == {contract_name(name) for name in EVENT_TYPES}
    assert all(channel["servers"] == [{"$ref": "#/servers/bus"}] for channel in channels.values())
    placed = channels["OrderPlaced"]
    assert placed["address"] == "OrderPlaced"
    assert placed["x-eventbridge"] == {
        "eventBus": "eventshop-dev",
        "source": "eventshop.orders",
        "detailType": "OrderPlaced",
        "schemaRegistryName": "eventshop-dev",
        "schemaName": "eventshop.orders@OrderPlaced",
    }
    for detail_type, reason in UNCONSUMED.items():
        assert channels[contract_name(detail_type)]["x-eventbridge"]["unconsumed"] == reason
    consumed = [name for name in EVENT_TYPES if name not in UNCONSUMED]
    assert all("unconsumed" not in channels[contract_name(name)]["x-eventbridge"] for name in consumed)


def test_receive_operations_are_exactly_the_rules_targets(
    document: dict[str, Any], runs: dict[str, ProgramRun]
) -> None:
    received = {
        (op["x-eventbridge"]["ruleName"], op["x-eventbridge"]["target"], op["x-eventbridge"]["detailType"])
        for op in document["operations"].values()
        if op["action"] == "receive"
    }
    declared = {
        (target.rule_name, target.target_arn, detail_type)
        for target in rule_targets(runs["dev"])
        for detail_type in target.detail_types
    }

    assert received == declared
    assert ("eventshop-dev-billing-orders", "OrderPlaced") in {(rule, dt) for rule, _, dt in received}
    billing = document["operations"]["billing.billing-queue.receiveOrderPlaced"]
    assert billing["channel"] == {"$ref": "#/channels/OrderPlaced"}
    assert billing["x-eventbridge"]["targetKind"] == "SQS"
    assert billing["x-eventbridge"]["eventPattern"] == {"source": ["eventshop.orders"], "detail-type": ["OrderPlaced"]}


def test_each_detail_type_has_one_send_operation_by_its_producer(document: dict[str, Any]) -> None:
    sends = {
        op["x-eventbridge"]["detailType"]: op["x-eventbridge"]
        for op in document["operations"].values()
        if op["action"] == "send" and "x-eventbridge" in op
    }

    assert set(sends) == set(EVENT_TYPES)
    for detail_type, event in EVENT_TYPES.items():
        assert sends[detail_type]["source"] == event.source
        assert sends[detail_type]["producer"] == event.producer
        assert sends[detail_type]["putEventsGrantedTo"], f"no role may put {detail_type} ({event.source})"
    assert sends["OrderPlaced"]["putEventsGrantedTo"] == ["eventshop-dev-orders-outbox-role"]
    assert sends["ItemAddedToCart"]["putEventsGrantedTo"] == ["eventshop-dev-orders-api-cart-events"]
    # The forwarder's role names no source: only its trust policy (EventBridge acting for its rule) limits it.
    assert sends["Object Created"]["putEventsGrantedTo"] == ["eventshop-dev-invoices-forward-role"]


def test_every_message_payload_is_draft_07_and_accepts_its_sample_and_rejects_a_broken_detail(
    document: dict[str, Any],
) -> None:
    for detail_type in EVENT_TYPES:
        message = document["components"]["messages"][contract_name(detail_type)]
        payload = message["payload"]
        assert payload["schemaFormat"] == SCHEMA_FORMAT
        validator = jsonschema.Draft7Validator(payload["schema"], format_checker=jsonschema.FormatChecker())
        sample = json.loads(sample_path(detail_type).read_text())
        assert message["examples"][0]["payload"] == sample
        validator.validate(sample)
        broken = {**sample, "detail": {key: value for key, value in sample["detail"].items() if key != "metadata"}}
        if "metadata" in payload["schema"]["properties"]["detail"].get("required", []):
            assert not validator.is_valid(broken), detail_type
        assert not validator.is_valid({**sample, "detail-type": "Something else"}), detail_type


def test_draft_04_keywords_are_converted_to_their_draft_07_spelling() -> None:
    converted = draft07(
        {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "id": "urn:x",
            "type": "object",
            "properties": {"amount": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 9}},
        }
    )

    assert converted == {
        "$id": "urn:x",
        "type": "object",
        "properties": {"amount": {"type": "number", "exclusiveMinimum": 0, "maximum": 9}},
    }
    with pytest.raises(SchemaConversionError, match="exclusiveMaximum is true but there is no maximum"):
        draft07({"exclusiveMaximum": True})


def _parser() -> list[str]:
    """The command that runs the official parser, or a skip (locally) / failure (CI) saying what is missing."""
    node = shutil.which("node")
    installed = (TOOLS / "node_modules" / "@asyncapi" / "parser").is_dir()
    if node and installed:
        # --no-opt: a run lasts a couple of seconds, too short for V8's optimizing compiler to earn back its
        # compiles (a tenth of the run's CPU); the code it runs, and so every diagnostic, is the same.
        return [node, "--no-opt", str(TOOLS / "validate.mjs")]
    missing = "node is not installed" if not node else "tools/asyncapi/node_modules is missing: run `make install`"
    if os.environ.get("CI") or node:
        pytest.fail(f"cannot run the official AsyncAPI parser: {missing} (.ci/run installs both)")
    pytest.skip(f"{missing}: the official AsyncAPI parser cannot run here (CI installs node and runs it)")


@dataclass(frozen=True)
class ParserRun:
    """One run of the official parser over several documents: its exit status and each document's lines."""

    returncode: int
    stdout: str
    stderr: str

    def stdout_of(self, path: Path) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith(f"{path}: ")]

    def stderr_of(self, path: Path) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith(f"{path}: ")]


@pytest.fixture(scope="module")
def broken_document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/asyncapi.yaml with a payload schema that is not draft-07: OrderPlaced's total has type "money"."""
    document = yaml.safe_load(DOCUMENT.read_text())
    detail = document["components"]["messages"]["OrderPlaced"]["payload"]["schema"]["properties"]["detail"]
    detail["properties"]["total"]["type"] = "money"
    broken = tmp_path_factory.mktemp("asyncapi") / "asyncapi.yaml"
    broken.write_text(yaml.safe_dump(document, sort_keys=False))
    return broken


@pytest.fixture(scope="module")
def official_parser(broken_document: Path) -> ParserRun:
    """The official parser over the program's document and the broken one, in one node process (starting node and
    loading the parser is half of a run); it parses each with a parser of its own and reports each by its path."""
    command = [*_parser(), str(DOCUMENT), str(broken_document)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)  # noqa: S603
    return ParserRun(result.returncode, result.stdout, result.stderr)


def test_the_official_asyncapi_parser_accepts_the_document(official_parser: ParserRun) -> None:
    report = official_parser.stdout + official_parser.stderr
    assert official_parser.stderr_of(DOCUMENT) == [], report
    assert not [line for line in official_parser.stdout_of(DOCUMENT) if f"{DOCUMENT}: error " in line], report
    assert any(f"{DOCUMENT}: valid AsyncAPI 3.0.0 (" in line for line in official_parser.stdout_of(DOCUMENT))


def test_the_official_parser_rejects_a_payload_schema_that_is_not_draft_07(
    official_parser: ParserRun, broken_document: Path
) -> None:
    assert official_parser.returncode == 1, official_parser.stdout + official_parser.stderr
    errors = [
        line for line in official_parser.stdout_of(broken_document) if line.startswith(f"{broken_document}: error ")
    ]
    assert any("properties/detail/properties/total/type" in line for line in errors), official_parser.stdout
    assert official_parser.stderr_of(broken_document) == [f"{broken_document}: INVALID ({len(errors)} errors)"]
    assert not [line for line in official_parser.stdout_of(broken_document) if ": valid AsyncAPI" in line]


def test_the_live_order_status_channel_is_the_websocket_apis_with_the_notifiers_schema(
    document: dict[str, Any], runs: dict[str, ProgramRun]
) -> None:
    [api] = [a for a in runs["dev"].of_type("aws:apigatewayv2/api:Api") if a.inputs["protocolType"] == "WEBSOCKET"]
    server = document["servers"]["live"]
    assert (server["protocol"], server["host"], server["pathname"]) == (
        "wss",
        f"{api.id}.execute-api.eu-west-1.amazonaws.com",
        "/live",
    )
    assert document["components"]["securitySchemes"]["idToken"] == {
        **document["components"]["securitySchemes"]["idToken"],
        "type": "httpApiKey",
        "name": "token",
        "in": "query",
    }
    channel = document["channels"]["orderStatus"]
    assert channel["servers"] == [{"$ref": "#/servers/live"}]
    assert channel["bindings"]["ws"]["query"]["required"] == ["token"]
    schema = {key: value for key, value in message_schema().items() if key != "examples"}
    assert document["components"]["messages"]["orderStatus"]["payload"] == schema
    [send] = [op for op in document["operations"].values() if op["channel"] == {"$ref": "#/channels/orderStatus"}]
    assert send["action"] == "send"
