"""The one place the service modules are registered. A new AWS service is a module of this package with its own
``PROVISIONERS`` table (Pulumi type token -> provisioner), and its name added to ``SERVICE_MODULES``."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from types import ModuleType

from localcloud.provision.base import Provisioner

#: The package's service modules, one a line.
SERVICE_MODULES = (
    "apigateway",
    "apigateway_auth",
    "apigatewayv2",
    "cloudfront",
    "cloudwatch",
    "cognito",
    "dynamodb",
    "events",
    "iam",
    "kms",
    "lambda_",
    "s3",
    "scheduler",
    "schemas",
    "sns",
    "sqs",
    "stepfunctions",
    "wafv2",
)

SERVICES: tuple[ModuleType, ...] = tuple(importlib.import_module(f"{__package__}.{name}") for name in SERVICE_MODULES)


class DuplicateProvisionerError(ValueError):
    """Two service modules claim the same resource type."""


def merged(services: Iterable[ModuleType]) -> dict[str, Provisioner]:
    """Every service's table in one; a type token claimed twice is an error naming both modules."""
    table: dict[str, Provisioner] = {}
    owner: dict[str, str] = {}
    for service in services:
        own: Mapping[str, Provisioner] = service.PROVISIONERS
        for token, provisioner in own.items():
            if token in table:
                raise DuplicateProvisionerError(f"{token} is provisioned by both {owner[token]} and {service.__name__}")
            table[token] = provisioner
            owner[token] = service.__name__
    return table


#: Every provisioner, by Pulumi type token.
PROVISIONERS = merged(SERVICES)
