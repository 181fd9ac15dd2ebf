"""Writes the AsyncAPI 3.0 document of the stack's bus (docs/asyncapi.yaml) from the program and the contracts.

- one channel per detail-type of the catalogue (handlers/shared/contracts/catalogue.json), addressed by its detail-type;
- one `send` operation per detail-type (its producer, from the catalogue, and the roles the program lets put
  its source) and one `receive` operation per
  rule target naming it (from the rules and targets the program declares under Pulumi mocks);
- one message per detail-type whose payload is the EventBridge envelope with the draft-04 detail schema
  (handlers/shared/contracts/events) converted to draft-07, declared as `application/schema+json;version=draft-07`
  so the official parser validates it, and the contract's sample envelope as its example;
- `x-eventbridge` extensions carry what AsyncAPI has no binding for yet: bus, source, detail-type, rule names.

python -m devtools.asyncapi            print the document for the dev stack
python -m devtools.asyncapi --write    refresh docs/asyncapi.yaml
python -m devtools.asyncapi --check    exit 1 if docs/asyncapi.yaml is stale
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import Any

import yaml

from devtools.asyncapi_live import live_parts
from devtools.event_catalog import RuleTarget, rule_targets
from devtools.generated import document_command
from devtools.program import ROOT, ProgramRun, run_program
from handlers.shared.event_contracts import contract_name, load_schema, sample_path
from services.contracts import schema_file, schema_name
from services.events import EVENT_TYPES, UNCONSUMED

DOCUMENT = ROOT / "docs" / "asyncapi.yaml"
SCHEMA_FORMAT = "application/schema+json;version=draft-07"
DRAFT_07 = "http://json-schema.org/draft-07/schema#"
#: draft-04 keywords that draft-07 spells differently; anything else in our contracts means the same in both.
_RENAMED = {"id": "$id"}


class SchemaConversionError(ValueError):
    """A draft-04 contract uses something this converter does not know how to express in draft-07."""


def draft07(schema: Any, where: str = "#") -> Any:
    """The draft-07 equivalent of a draft-04 schema: `id` becomes `$id`, boolean `exclusiveMinimum`/
    `exclusiveMaximum` become the numeric bounds they qualify, and `$schema` is dropped (the message's
    schemaFormat declares the dialect)."""
    if isinstance(schema, list):
        return [draft07(item, f"{where}/{index}") for index, item in enumerate(schema)]
    if not isinstance(schema, Mapping):
        return schema
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$schema":
            continue
        if key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if value:
                if bound not in schema:
                    raise SchemaConversionError(f"{where}: {key} is true but there is no {bound} to make exclusive")
                converted[key] = schema[bound]
            continue
        if key in ("minimum", "maximum") and schema.get(f"exclusive{key.capitalize()}") is True:
            continue
        if key in ("properties", "patternProperties", "definitions", "dependencies") and isinstance(value, Mapping):
            converted[key] = {name: draft07(spec, f"{where}/{key}/{name}") for name, spec in value.items()}
        else:
            converted[_RENAMED.get(str(key), str(key))] = draft07(value, f"{where}/{key}")
    return converted


def _identifier(text: str) -> str:
    """An AsyncAPI component key (`^[a-zA-Z0-9.\\-_]+$`)."""
    return re.sub(r"[^A-Za-z0-9.\-_]+", "-", text).strip("-")


def _operation_id(target: RuleTarget, detail_type: str) -> str:
    return _identifier(f"{target.service}.{target.target_name}.receive{contract_name(detail_type)}")


def _forwarded_sources(run: ProgramRun) -> dict[str, list[str]]:
    """Role name -> the sources of the rules whose targets put events with that role (a bus-to-bus forwarder)."""
    sources_by_rule = {
        str(rule.outputs.get("name")): [str(s) for s in (rule.json_input("eventPattern") or {}).get("source", [])]
        for rule in run.of_type("aws:cloudwatch/eventRule:EventRule")
    }
    found: dict[str, list[str]] = {}
    for target in run.of_type("aws:cloudwatch/eventTarget:EventTarget"):
        role_arn = target.inputs.get("roleArn")
        if role_arn:
            role = str(role_arn).rsplit("/", 1)[-1]
            found.setdefault(role, []).extend(sources_by_rule.get(str(target.inputs.get("rule")), []))
    return found


def put_events_roles(run: ProgramRun) -> dict[str, list[str]]:
    """Source -> the roles the program allows to put events of that source: PutEvents conditioned on
    ``events:source``, or, for a rule target's role that names no source (the invoice forwarder, whose trust
    policy lets only EventBridge acting for its one rule assume it), the sources that rule matches."""
    forwarded = _forwarded_sources(run)
    found: dict[str, set[str]] = {}
    for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        role = str(policy.inputs.get("role"))
        for statement in (policy.json_input("policy") or {}).get("Statement", []):
            actions = statement.get("Action")
            if statement.get("Effect") != "Allow" or "events:PutEvents" not in (
                actions if isinstance(actions, list) else [actions]
            ):
                continue
            condition = (statement.get("Condition") or {}).get("StringEquals", {})
            sources = condition.get("events:source") if "events:source" in condition else forwarded.get(role, [])
            for source in sources if isinstance(sources, list) else [sources]:
                found.setdefault(str(source), set()).add(role)
    return {source: sorted(roles) for source, roles in found.items()}


def _payload(detail_type: str, bus: str) -> dict[str, Any]:
    event = EVENT_TYPES[detail_type]
    detail = draft07(load_schema(detail_type))
    return {
        "schemaFormat": SCHEMA_FORMAT,
        "schema": {
            "$schema": DRAFT_07,
            "title": f"{detail_type} event",
            "description": f"The EventBridge envelope of {detail_type} on {bus}; `detail` is the contract.",
            "type": "object",
            "required": ["version", "id", "detail-type", "source", "account", "time", "region", "detail"],
            "properties": {
                "version": {"type": "string"},
                "id": {"type": "string"},
                "detail-type": {"type": "string", "const": detail_type},
                "source": {"type": "string", "const": event.source},
                "account": {"type": "string", "pattern": "^[0-9]{12}$"},
                "time": {"type": "string", "format": "date-time"},
                "region": {"type": "string"},
                "resources": {"type": "array", "items": {"type": "string"}},
                "detail": detail,
            },
        },
    }


def render(run: ProgramRun) -> str:
    """The AsyncAPI document of ``run``'s stack, as YAML (stable: same program, same bytes)."""
    bus = run.prefix
    targets = rule_targets(run)
    region = _region(run)
    senders = put_events_roles(run)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for detail_type, event in EVENT_TYPES.items():
        key = contract_name(detail_type)
        extension = {"eventBus": bus, "source": event.source, "detailType": detail_type}
        channels[key] = {
            "address": detail_type,
            "title": detail_type,
            "description": f"`{detail_type}` events from `{event.source}` on the `{bus}` bus.",
            "servers": [{"$ref": "#/servers/bus"}],
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "x-eventbridge": extension | {"schemaRegistryName": bus, "schemaName": schema_name(detail_type)},
        }
        sample = json.loads(sample_path(detail_type).read_text(encoding="utf-8"))
        messages[key] = {
            "name": key,
            "title": detail_type,
            "summary": f"{detail_type} from {event.producer}",
            "contentType": "application/json",
            "payload": _payload(detail_type, bus),
            "examples": [{"name": f"{key}-sample", "summary": schema_file(detail_type).name, "payload": sample}],
            "x-eventbridge": extension,
        }
        operations[_identifier(f"{event.source}.send{key}")] = {
            "action": "send",
            "title": f"{event.producer} puts {detail_type}",
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
            "x-eventbridge": extension
            | {"producer": event.producer, "putEventsGrantedTo": senders.get(event.source, [])},
        }
        consumed = [target for target in targets if detail_type in target.detail_types]
        if not consumed:
            channels[key]["x-eventbridge"]["unconsumed"] = UNCONSUMED.get(detail_type, "undeclared")
        for target in consumed:
            operations[_operation_id(target, detail_type)] = {
                "action": "receive",
                "title": f"{target.service}: {target.target_name} ({target.target_kind}) receives {detail_type}",
                "channel": {"$ref": f"#/channels/{key}"},
                "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
                "x-eventbridge": {
                    "eventBus": target.bus,
                    "source": event.source,
                    "detailType": detail_type,
                    "ruleName": target.rule_name,
                    "ruleArn": target.rule_arn,
                    "eventPattern": target.pattern,
                    "service": target.service,
                    "target": target.target_arn,
                    "targetKind": target.target_kind,
                },
            }
    live = live_parts(run, region)
    document = {
        "asyncapi": "3.0.0",
        "id": f"urn:eventshop:{run.stack}:events",
        "info": {
            "title": f"{run.project} events ({run.stack})",
            "version": "1",
            "description": (
                "Generated by `python -m devtools.asyncapi --write` from the program's rules (under Pulumi mocks), "
                "the event catalogue (handlers/shared/contracts/catalogue.json) and the event contracts "
                "(handlers/shared/contracts/events); "
                "do not edit. AsyncAPI has no EventBridge binding yet, so bus, source, detail-type and rule names "
                "are `x-eventbridge` extensions. Each payload is the EventBridge envelope; its `detail` is the "
                "contract (draft-04 in the repository, converted to draft-07 here)."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "bus": {
                "host": f"events.{region}.amazonaws.com",
                "protocol": "https",
                "title": f"EventBridge bus {bus}",
                "description": "Producers call PutEvents on this bus; consumers are rule targets (SQS, Lambda, ...).",
                "x-eventbridge": {"eventBus": bus, "region": region},
            },
            **live["servers"],
        },
        "channels": channels | live["channels"],
        "operations": operations | live["operations"],
        "components": {
            "messages": messages | live["messages"],
            **({"securitySchemes": live["securitySchemes"]} if live["securitySchemes"] else {}),
        },
    }
    header = "# Generated by `python -m devtools.asyncapi --write`; do not edit (a test fails when it is stale).\n"
    return header + str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120))


def _region(run: ProgramRun) -> str:
    for resource in run.of_type("aws:cloudwatch/eventBus:EventBus"):
        arn = resource.arn or ""
        if arn.count(":") >= 5:
            return arn.split(":")[3]
    raise ValueError(f"the {run.stack} stack declares no event bus")


def main(argv: list[str] | None = None) -> int:
    return document_command(
        argv,
        description=__doc__,
        document=DOCUMENT,
        module="devtools.asyncapi",
        render=lambda stack: render(run_program(stack)),
        source=lambda stack: f"the {stack} stack",
    )


if __name__ == "__main__":
    sys.exit(main())
