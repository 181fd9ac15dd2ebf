"""EventBridge Schema Registry, which moto does not implement: what the registry would refuse is refused here, and
what it holds is kept in the provisioning context.
"""

from __future__ import annotations

import json

import jsonschema

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner

SCHEMA_TYPES = {"JSONSchemaDraft4": jsonschema.Draft4Validator, "OpenApi3": None}
#: (type, content) pairs the type's metaschema accepted in this process. Checking a document is a pure function of
#: the two, and every boot of a stack registers the same dozen schemas: ~2% of a replayed boot's CPU, once.
_accepted: set[tuple[str, str]] = set()


def schema_registry(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    if name in ctx.schema_registries:
        raise ValueError(f"registry {name} already exists")
    ctx.schema_registries[name] = {}
    return name, {"arn": f"arn:aws:schemas:{ctx.region}:{ctx.account}:registry/{name}"}


def schema(ctx: Context, resource: Declared) -> Provisioned:
    """What the registry would refuse is refused here: no registry, an unknown type, content that is no schema."""
    name = resource.name
    inputs = resource.inputs
    registry = str(inputs["registryName"])
    if registry not in ctx.schema_registries:
        raise ValueError(f"registry {registry} does not exist")
    if inputs["type"] not in SCHEMA_TYPES:
        raise ValueError(f"schema type {inputs['type']} is not one of {', '.join(SCHEMA_TYPES)}")
    content = ctx.json_text(inputs["content"])
    _check(str(inputs["type"]), content)
    schemas = ctx.schema_registries[registry]
    if name in schemas:
        raise ValueError(f"schema {name} already exists in registry {registry}")
    schemas[name] = content
    return f"{name}/{registry}", {
        "arn": f"arn:aws:schemas:{ctx.region}:{ctx.account}:schema/{registry}/{name}",
        "version": "1",
    }


def _check(schema_type: str, content: str) -> None:
    """Raises what the type's metaschema finds wrong with ``content`` (a refused content is checked again each time)."""
    if (schema_type, content) in _accepted:
        return
    document = json.loads(content)
    validator = SCHEMA_TYPES[schema_type]
    if validator is not None:
        validator.check_schema(document)
    _accepted.add((schema_type, content))


PROVISIONERS: dict[str, Provisioner] = {
    "aws:schemas/registry:Registry": schema_registry,
    "aws:schemas/schema:Schema": schema,
}
