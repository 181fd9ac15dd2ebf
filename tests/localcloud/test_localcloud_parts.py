"""The local cloud's parts on their own: provisioning and unknown types, the moto pin, VTL, the clock."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest
from moto import mock_aws

from devtools.program import run_callable
from localcloud import moto_patches, vtl
from localcloud.clock import Clock
from localcloud.provision import PROVISIONERS, Clients, MotoMocks


def test_unknown_resource_types_are_recorded_and_listed_never_dropped() -> None:
    def program() -> None:
        bus = aws.cloudwatch.EventBus("bus", name="parts-bus")
        aws.sfn.Activity("flow", name="parts-flow")
        pulumi.export("bus_arn", bus.arn)

    with mock_aws():
        mocks = MotoMocks("parts", "eu-west-1", Clients("eu-west-1"))
        run = run_callable(program, "parts", mocks=mocks, config={"aws:region": "eu-west-1"})
        buses = Clients("eu-west-1")("events").list_event_buses()["EventBuses"]

    assert [r.typ for r in mocks.unprovisioned] == ["aws:sfn/activity:Activity"]
    assert "aws:sfn/activity:Activity" not in PROVISIONERS
    assert run.named("flow").outputs["arn"], "the program still gets provider-shaped outputs"
    assert "parts-bus" in [bus["Name"] for bus in buses]
    assert run.named("bus").outputs["arn"] == "arn:aws:events:eu-west-1:123456789012:event-bus/parts-bus"


def test_the_moto_patches_refuse_another_moto_version() -> None:
    with pytest.raises(moto_patches.UnsupportedMotoVersionError, match=r"patches moto 5\.2\.5, but moto 5\.3\.0"):
        moto_patches.check_version("5.3.0")


def test_hyphenated_override_headers_render_and_come_back_hyphenated() -> None:
    context: dict[str, object] = {"requestOverride": {"header": {}}, "requestId": "r-1"}
    template = (
        '#set($context.requestOverride.header.X-Amz-Target = "AWSEvents.PutEvents")\n{"id": "$context.requestId"}'
    )

    rendered = vtl.render(template, vtl.Input("{}"), context)

    assert rendered.strip() == '{"id": "r-1"}'
    header = context["requestOverride"]
    assert isinstance(header, dict)
    assert vtl.unhyphen(header["header"]) == {"X-Amz-Target": "AWSEvents.PutEvents"}


def test_input_json_and_escape_javascript_compose_as_on_api_gateway() -> None:
    body = '{"customerId": "c\\"1", "items": [{"sku": "A"}]}'
    template = "$util.escapeJavaScript($input.json('$.customerId')) $input.path('$.items[0].sku') $input.params('id')"

    rendered = vtl.render(template, vtl.Input(body, {"id": "p-1"}), {})

    assert rendered == '\\"c\\\\\\"1\\" A p-1'


def test_due_timers_fire_when_the_clock_is_advanced_and_not_before() -> None:
    clock = Clock()
    fired: list[str] = []
    clock.call_later(60, lambda: fired.append("retry"))

    assert clock.fire_due() == 0
    clock.advance(59)
    assert fired == []
    clock.advance(1.5)
    assert fired == ["retry"]
    assert clock.pending == 0


def _registry_program(content: str, schema_type: str = "JSONSchemaDraft4") -> None:
    registry = aws.schemas.Registry("registry", name="parts-registry")
    aws.schemas.Schema(
        "schema", registry_name=registry.name, name="eventshop.orders@OrderPlaced", type=schema_type, content=content
    )


def test_schema_registry_and_schemas_are_checked_and_recorded_without_moto() -> None:
    content = '{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["orderId"]}'

    with mock_aws():
        mocks = MotoMocks("parts", "eu-west-1", Clients("eu-west-1"))
        run = run_callable(lambda: _registry_program(content), "parts", mocks=mocks, config={"aws:region": "eu-west-1"})

    assert mocks.unprovisioned == []
    assert mocks.context.schema_registries == {"parts-registry": {"eventshop.orders@OrderPlaced": content}}
    assert run.named("schema").outputs["arn"] == (
        "arn:aws:schemas:eu-west-1:123456789012:schema/parts-registry/eventshop.orders@OrderPlaced"
    )


def test_a_schema_that_is_not_draft_4_is_refused_naming_the_resource() -> None:
    content = '{"type": "object", "required": "orderId"}'

    with mock_aws():
        mocks = MotoMocks("parts", "eu-west-1", Clients("eu-west-1"))
        with pytest.raises(Exception, match="required"):
            run_callable(lambda: _registry_program(content), "parts", mocks=mocks, config={"aws:region": "eu-west-1"})

    assert len(mocks.errors) == 1
    assert mocks.errors[0].startswith("aws:schemas/schema:Schema 'schema': SchemaError:")
def test_clock_watchers_see_every_advance_with_the_new_time() -> None:
    clock = Clock()
    seen: list[float] = []
    clock.watch(seen.append)
    now = clock.advance(600)
    assert seen and seen[-1] >= now - 1
    assert clock.pending == 0, "a watcher is not a timer: settling never waits on it"
