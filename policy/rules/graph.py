"""The stack as a graph: which resource names which, resolved through values or, in a preview, dependencies."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from .resource_types import (
    EVENT_SOURCE_MAPPING,
    EVENT_TARGET,
    FUNCTION,
    INVOKE_CONFIG,
    QUEUE,
    SCHEDULE,
    TOPIC_SUBSCRIPTION,
)
from .values import UNKNOWN, value_at


@dataclass(frozen=True)
class Reference:
    """Where one resource names another: a property (top-level name) and the path to the ARN/name in it."""

    typ: str
    path: tuple[str | int, ...]


DEAD_LETTER_REFERENCES: Final = (
    Reference(QUEUE, ("redrivePolicy", "deadLetterTargetArn")),
    Reference(EVENT_TARGET, ("deadLetterConfig", "arn")),
    Reference(INVOKE_CONFIG, ("destinationConfig", "onFailure", "destination")),
    Reference(EVENT_SOURCE_MAPPING, ("destinationConfig", "onFailure", "destinationArn")),
    Reference(TOPIC_SUBSCRIPTION, ("redrivePolicy", "deadLetterTargetArn")),
    Reference(SCHEDULE, ("target", "deadLetterConfig", "arn")),
    Reference(FUNCTION, ("deadLetterConfig", "targetArn")),
    # Schedules a function creates at run time (cart reminders) dead-letter to the queue it is handed.
    Reference(FUNCTION, ("environment", "variables", "SCHEDULER_DLQ_ARN")),
)
"""Every way a queue becomes some consumer's dead-letter queue."""


def identifiers(resource: PolicyResource) -> set[str]:
    """The known strings other resources use to point at this one."""
    found = set()
    for key in ("arn", "name", "id", "url", "bucket"):
        value = value_at(resource.props, key)
        if isinstance(value, str) and value:
            found.add(value)
    return found


def refers_to(source: PolicyResource, path: Sequence[str | int], target: PolicyResource) -> bool:
    """Whether `source` names `target` at `path`.

    A known value is compared with the target's ARN, name, id or URL. A value the engine cannot
    know yet (preview) falls back to the engine's property dependencies on the top-level property.
    """
    value = value_at(source.props, *path)
    if value is None:
        return False
    if value is UNKNOWN:
        return any(dependency.urn == target.urn for dependency in source.property_dependencies.get(str(path[0]), []))
    return isinstance(value, str) and value in identifiers(target)


def has_value(resource: PolicyResource, *path: str | int) -> bool:
    return value_at(resource.props, *path) is not None


class Stack:
    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = list(resources)

    def of_type(self, *types: str) -> list[PolicyResource]:
        return [resource for resource in self.resources if resource.resource_type in types]

    def dead_letter_queues(self) -> list[PolicyResource]:
        return [
            queue
            for queue in self.of_type(QUEUE)
            if any(
                refers_to(source, reference.path, queue)
                for reference in DEAD_LETTER_REFERENCES
                for source in self.of_type(reference.typ)
                if source is not queue
            )
        ]

    def referrers(self, typ: str, path: Sequence[str | int], target: PolicyResource) -> list[PolicyResource]:
        return [source for source in self.of_type(typ) if refers_to(source, path, target)]


StackCheck = Callable[[Stack, Mapping[str, Any], ReportViolation], None]


def stack_validation(check: StackCheck) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        check(Stack(args.resources), args.get_config(), report_violation)

    return validate
