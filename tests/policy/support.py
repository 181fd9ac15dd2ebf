"""Builds the arguments pulumi_policy hands to policies, by hand or from a mock run of the program.

The engine wraps every property bag in `unknown_checking_proxy`; so do these helpers, so a policy
that reads a value the engine could not know would fail here the way it fails in a preview.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from devtools.program import ProgramRun, RecordedResource
from policy.rules.pack import POLICIES

UNKNOWN = UNKNOWN_STRING_VALUE
"""What the engine sends for a value only the deployment will know (a new resource's ARN in a preview)."""


def urn(typ: str, name: str, stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::eventshop::{typ}::{name}"


def options(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def provider(environment: str | None, name: str = "default-aws") -> PolicyProviderResource:
    props: dict[str, Any] = {"region": "eu-west-1"}
    if environment is not None:
        # Providers' object-valued inputs reach analyzers as JSON text.
        props["defaultTags"] = json.dumps({"tags": {"environment": environment}})
    return PolicyProviderResource(
        "pulumi:providers:aws", unknown_checking_proxy(props), urn("pulumi:providers:aws", name), name
    )


def resource_args(
    typ: str,
    props: Mapping[str, Any],
    name: str = "subject",
    environment: str | None = "dev",
    config: Mapping[str, Any] | None = None,
) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        typ,
        unknown_checking_proxy(json.loads(json.dumps(props))),
        urn(typ, name),
        name,
        options(),
        provider(environment),
        config,
    )


def stack_resource(
    typ: str,
    name: str,
    props: Mapping[str, Any],
    depends_on: Mapping[str, Sequence[PolicyResource]] | None = None,
) -> PolicyResource:
    return PolicyResource(
        typ,
        unknown_checking_proxy(json.loads(json.dumps(props))),
        urn(typ, name),
        name,
        options(),
        None,
        None,
        [],
        {key: list(value) for key, value in (depends_on or {}).items()},
    )


def violations(policy: ResourceValidationPolicy | StackValidationPolicy, args: Any) -> list[str]:
    """The messages a policy reports (each prefixed with the resource's name when it gives a URN)."""
    found: list[str] = []

    def report(message: str, where: str | None = None) -> None:
        found.append(f"{where.rsplit('::', 1)[1]}: {message}" if where else message)

    policy.validate(args, report)
    return found


def stack_violations(policy: StackValidationPolicy, resources: Sequence[PolicyResource]) -> list[str]:
    return violations(policy, StackValidationArgs(list(resources)))


# --- whole program ------------------------------------------------------------------------------


def _json_text(value: Any) -> str:
    """Properties as the engine would serialize them (assets become opaque markers)."""
    return json.dumps(value, default=lambda item: f"<{type(item).__name__}>")


def _jsonable(value: Any) -> Any:
    return json.loads(_json_text(value))


def _providers(run: ProgramRun) -> dict[str, PolicyProviderResource]:
    return {
        resource.name: PolicyProviderResource(
            resource.typ,
            unknown_checking_proxy(_jsonable(resource.inputs)),
            urn(resource.typ, resource.name),
            resource.name,
        )
        for resource in run.resources
        if resource.typ.startswith("pulumi:providers:")
    }


def _provider_of(
    resource: RecordedResource, providers: Mapping[str, PolicyProviderResource]
) -> PolicyProviderResource | None:
    if not resource.provider:
        return None
    reference = resource.provider.rsplit("::", 1)[0]
    return providers.get(reference.rsplit("::", 1)[1])


@dataclass(frozen=True)
class Finding:
    policy: str
    level: EnforcementLevel
    resource: str
    message: str

    def __str__(self) -> str:
        return f"[{self.level.value}] {self.policy} on {self.resource}: {self.message}"


def _stack_properties(resource: RecordedResource) -> str:
    # A provider echoes every input among the outputs; the mocks invent an `arn` for every resource, even an
    # EventTarget whose `arn` input names what it delivers to, so the inputs win.
    return _json_text({**resource.outputs, **resource.inputs})


def _stack_resource(
    resource: RecordedResource, properties: str, stack: str, providers: Mapping[str, PolicyProviderResource]
) -> PolicyResource:
    return PolicyResource(
        resource.typ,
        unknown_checking_proxy(json.loads(properties)),
        urn(resource.typ, resource.name, stack),
        resource.name,
        options(),
        _provider_of(resource, providers),
        None,
        [],
        {},
    )


def _resource_args(
    resource: RecordedResource, inputs: str, stack: str, providers: Mapping[str, PolicyProviderResource]
) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        resource.typ,
        unknown_checking_proxy(json.loads(inputs)),
        urn(resource.typ, resource.name, stack),
        resource.name,
        options(),
        _provider_of(resource, providers),
    )


def findings_for(run: ProgramRun, policy_name: str | None = None) -> list[Finding]:
    """Runs every policy of the pack (or only the one named) over a mock run the way the engine does: resource
    policies on each resource's inputs, stack policies once on every resource's outputs. A policy's findings do
    not depend on the other policies, so a test about one policy runs only that one."""
    policies = [policy for policy in POLICIES if policy_name is None or policy.name == policy_name]
    if not policies:
        raise ValueError(f"no policy named {policy_name!r} in the pack")
    providers = _providers(run)
    resources = run.custom_resources
    found: list[Finding] = []
    # Every policy gets properties of its own, parsed afresh as the engine parses its request for each; the
    # serialized text is the same for every policy, so each resource's is made once (it was a third of the CPU).
    inputs: list[str] = []
    stack_properties: list[str] = []

    def reporter(policy: ResourceValidationPolicy | StackValidationPolicy, subject: str) -> ReportViolation:
        level = policy.enforcement_level or EnforcementLevel.ADVISORY

        def report(message: str, where: str | None = None) -> None:
            found.append(Finding(policy.name, level, where.rsplit("::", 1)[1] if where else subject, message))

        return report

    for policy in policies:
        if isinstance(policy, ResourceValidationPolicy):
            inputs = inputs or [_json_text(resource.inputs) for resource in resources]
            for resource, text in zip(resources, inputs, strict=True):
                policy.validate(_resource_args(resource, text, run.stack, providers), reporter(policy, resource.name))
        else:
            stack_properties = stack_properties or [_stack_properties(resource) for resource in resources]
            stack = [
                _stack_resource(resource, text, run.stack, providers)
                for resource, text in zip(resources, stack_properties, strict=True)
            ]
            policy.validate(StackValidationArgs(stack), reporter(policy, "the stack"))
    return found
