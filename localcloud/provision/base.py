"""What every provisioner gets and gives: the ``Context`` (the cloud's clients, region, account), the ``Declared``
resource (its physical name and raw camelCase inputs), and the ``(id, outputs)`` it answers with."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.clients import Clients

Outputs = dict[str, Any]
#: The provider's id for the resource, and the outputs moto gave beyond the inputs (ARNs, URLs, ids).
Provisioned = tuple[str, Outputs]


def json_text(value: Any) -> str:
    """A JSON document input (a policy, a pattern), as text whether it arrived as text or as a value."""
    return value if isinstance(value, str) else json.dumps(value)


def mapping(value: Any) -> dict[str, Any]:
    """A map input; a few (templates) arrive as Python-literal text rather than a map."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = ast.literal_eval(value)
        return dict(parsed)
    return dict(value or {})


def as_int(value: Any) -> int:
    """A number input (mock inputs carry numbers as floats)."""
    return int(float(value))


class Context:
    """What a provisioner gets: clients, region and account, and helpers over the raw mock inputs."""

    json_text = staticmethod(json_text)
    mapping = staticmethod(mapping)

    def __init__(self, clients: Clients, region: str, account: str) -> None:
        self.client = clients
        self.region = region
        self.account = account
        #: EventBridge Schema Registry, which moto does not implement: registry -> schema name -> content.
        self.schema_registries: dict[str, dict[str, str]] = {}


@dataclass(frozen=True)
class Declared:
    """A resource as the program declared it: its physical name and its raw (camelCase) inputs."""

    name: str
    inputs: Mapping[str, Any]


Provisioner = Callable[[Context, Declared], Provisioned]
