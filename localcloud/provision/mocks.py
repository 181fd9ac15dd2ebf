"""Deploys the real Pulumi program into moto: every resource the program declares is created for real.

``MotoMocks`` answers Pulumi's mock runtime with the ids and ARNs moto gives back, keeping the provider's id
conventions (queue id = URL, role id = name, role policy id = ``role:name``, rule on a custom bus id =
``bus/name``). A type without a provisioner is still recorded (with provider-shaped outputs, so the program
completes) and listed as ``unprovisioned`` at start-up, never silently dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pulumi

from devtools.program import ACCOUNT_ID, ProgramRun, RecordedResource, RecordingMocks, physical_name
from localcloud.clients import Clients
from localcloud.provision.base import Context, Declared, Provisioner
from localcloud.provision.registry import PROVISIONERS


class ProvisioningError(RuntimeError):
    """moto refused a resource; the message names the resource, its type and moto's answer."""


class ReplayMismatchError(RuntimeError):
    """Replaying a recorded run did not give the recorded ids and outputs; names the first resource that differed."""


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
        # Provisioned and recorded under one lock, so the run lists the provisioned resources in the order moto
        # created them: the order ``replay`` creates them in again.
        with self._provision_lock:
            try:
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

    def replay(self, recorded: ProgramRun) -> ProgramRun:
        """Creates in moto, in the recorded order, every resource an earlier run of this program provisioned,
        without evaluating the program: the recorded inputs already hold the ids and ARNs the resources they
        reference were given. moto's ids are random, so this holds only when moto's random source starts from
        the seed it started from in that run (``deploy_cache.MOTO_SEED``); every id and output moto gives is
        checked against the recorded one, and the first that differs raises ``ReplayMismatchError``."""
        for resource, provisioner in self._recorded_provisioners(recorded):
            if provisioner is None:
                self.unprovisioned.append(resource)
                continue
            declared = Declared(physical_name(resource.name, resource.inputs), resource.inputs)
            try:
                resource_id, extra = provisioner(self.context, declared)
            except Exception as error:
                failure = f"{resource.typ} {resource.name!r}: {type(error).__name__}: {error}"
                raise ReplayMismatchError(failure) from error
            differing = [key for key, value in extra.items() if resource.outputs.get(key) != value]
            if resource_id != resource.id or differing:
                raise ReplayMismatchError(
                    f"{resource.typ} {resource.name!r}: moto gave id {resource_id!r}"
                    + "".join(f", {key} {extra[key]!r}" for key in differing)
                    + f" where the recorded run has id {resource.id!r}"
                    + "".join(f", {key} {resource.outputs.get(key)!r}" for key in differing)
                )
        self.run = recorded
        return recorded

    def restored(self, recorded: ProgramRun, schema_registries: Mapping[str, Mapping[str, str]]) -> ProgramRun:
        """Takes ``recorded`` as this deployment's run when moto's state after replaying it was put back whole
        (``moto_snapshot``) instead of replayed: the same unprovisioned resources and schema registries as the
        replay left."""
        self.unprovisioned = [
            resource for resource, provisioner in self._recorded_provisioners(recorded) if provisioner is None
        ]
        self.context.schema_registries = {name: dict(schemas) for name, schemas in schema_registries.items()}
        self.run = recorded
        return recorded

    def _recorded_provisioners(self, recorded: ProgramRun) -> Iterator[tuple[RecordedResource, Provisioner | None]]:
        """Each custom resource of ``recorded`` (providers aside), in order, with its provisioner (None: none)."""
        for resource in recorded.resources:
            if resource.custom and not resource.typ.startswith("pulumi:providers:"):
                yield resource, self.provisioners.get(resource.typ)
