"""Deploys the real Pulumi program into moto: every resource the program declares is created for real.

``MotoMocks`` answers Pulumi's mock runtime with the ids and ARNs moto gives back, keeping the provider's id
conventions (queue id = URL, role id = name, role policy id = ``role:name``, rule on a custom bus id =
``bus/name``). A type without a provisioner is still recorded (with provider-shaped outputs, so the program
completes) and listed as ``unprovisioned`` at start-up, never silently dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pulumi

from devtools.program import ACCOUNT_ID, RecordedResource, RecordingMocks
from localcloud.clients import Clients
from localcloud.provision.base import Context, Declared, Provisioner
from localcloud.provision.registry import PROVISIONERS


class ProvisioningError(RuntimeError):
    """moto refused a resource; the message names the resource, its type and moto's answer."""


class MotoMocks(RecordingMocks):
    """Creates each resource the program declares in moto and answers with moto's ids and ARNs."""

    def __init__(
        self, stack: str, region: str, clients: Clients, provisioners: Mapping[str, Provisioner] = PROVISIONERS
    ) -> None:
        super().__init__(stack, region)
        self.provisioners = provisioners
        self.context = Context(clients, region, ACCOUNT_ID)
        self.unprovisioned: list[RecordedResource] = []
        self.errors: list[str] = []
        self._provision_lock = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        if not args.custom or args.typ.startswith("pulumi:providers:"):
            return super().new_resource(args)
        provisioner = self.provisioners.get(args.typ)
        if provisioner is None:
            resource_id, outputs = super().new_resource(args)
            self.unprovisioned.append(self.run.resources[-1])
            return resource_id, outputs
        name = self.physical_name(args)
        try:
            with self._provision_lock:
                resource_id, extra = provisioner(self.context, Declared(name, args.inputs))
        except Exception as error:
            message = f"{args.typ} {args.name!r}: {type(error).__name__}: {error}"
            self.errors.append(message)
            raise ProvisioningError(message) from error
        outputs = {**args.inputs, "name": name, **extra, "id": resource_id}
        missing = [key for key, value in extra.items() if value is None]
        if missing:
            raise ProvisioningError(f"{args.typ} {args.name!r}: moto gave no {', '.join(missing)}")
        self.record(args, resource_id, outputs)
        return resource_id, outputs
