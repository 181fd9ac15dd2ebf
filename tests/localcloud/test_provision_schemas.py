"""The schema registry's provisioner checks each schema against its type's metaschema once per process per
content: every boot of a stack registers the same schemas, and a refused content is refused every time."""

from __future__ import annotations

import json
import uuid
from typing import Any

import jsonschema
import pytest

from localcloud.clients import Clients
from localcloud.provision import schemas
from localcloud.provision.base import Context, Declared


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every document Draft 4's metaschema is asked to check."""
    seen: list[Any] = []
    check = jsonschema.Draft4Validator.check_schema

    def counting(document: Any) -> None:
        seen.append(document)
        check(document)

    monkeypatch.setattr(jsonschema.Draft4Validator, "check_schema", counting)
    return seen


def registered(content: str, schema_type: str = "JSONSchemaDraft4") -> tuple[Context, str]:
    """A fresh context (one boot) with a registry, and the schema registered in it under a new name."""
    context = Context(Clients("eu-west-1"), "eu-west-1", "123456789012")
    schemas.schema_registry(context, Declared("registry", {}))
    name = f"schema-{uuid.uuid4().hex[:8]}"
    schemas.schema(context, Declared(name, {"registryName": "registry", "type": schema_type, "content": content}))
    return context, name


def unique_schema(**extra: Any) -> str:
    """A content no other test registered (the process remembers what it accepted)."""
    return json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "title": uuid.uuid4().hex, **extra})


def test_a_content_the_metaschema_accepted_is_not_checked_again_at_the_next_boot(checks: list[Any]) -> None:
    content = unique_schema(type="object", required=["orderId"])
    first, name = registered(content)
    second, again = registered(content)
    assert len(checks) == 1, "the same content was checked at every boot"
    assert first.schema_registries["registry"] == {name: content}
    assert second.schema_registries["registry"] == {again: content}


def test_a_refused_content_is_refused_at_every_boot(checks: list[Any]) -> None:
    content = unique_schema(type="object", required="orderId")
    for _ in range(2):
        with pytest.raises(jsonschema.SchemaError, match="required"):
            registered(content)
    assert len(checks) == 2


def test_a_content_accepted_under_one_type_is_still_checked_under_another(checks: list[Any]) -> None:
    content = unique_schema(type="object", required="orderId")
    registered(content, schema_type="OpenApi3")  # not checked against Draft 4's metaschema
    with pytest.raises(jsonschema.SchemaError, match="required"):
        registered(content)
    assert len(checks) == 1
