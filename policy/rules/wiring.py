"""Stack rules on how event-driven resources are wired together: every rule delivers somewhere, every
dead-letter reference lands on a queue of the stack, rules invoke functions only with a scoped permission,
queue consumers can fail one message at a time, and every alarm tells someone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import PolicyResource, ReportViolation

from .graph import DEAD_LETTER_REFERENCES, Stack, identifiers, refers_to
from .resource_types import (
    EVENT_RULE,
    EVENT_SOURCE_MAPPING,
    EVENT_TARGET,
    FUNCTION,
    METRIC_ALARM,
    PERMISSION,
    QUEUE,
    QUEUE_POLICY,
)
from .values import UNKNOWN, as_document, as_list, statements, value_at

EVENTS_PRINCIPAL: Final = "events.amazonaws.com"
PARTIAL_BATCH_RESPONSE: Final = "ReportBatchItemFailures"
VISIBILITY_PER_TIMEOUT: Final = 6
"""AWS's advice for an SQS event source: the queue's visibility timeout at least six times the function's
timeout, so a batch still being retried by Lambda is not handed out again (Lambda developer guide, SQS)."""
LAMBDA_DEFAULT_TIMEOUT: Final = 3
SQS_DEFAULT_VISIBILITY: Final = 30


def check_rules_have_targets(stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation) -> None:
    for rule in stack.of_type(EVENT_RULE):
        if not stack.referrers(EVENT_TARGET, ("rule",), rule):
            report_violation(
                f"Rule {rule.name} has no target: the events it matches go nowhere. Give it an EventTarget "
                "(components/rule_delivery.RuleDelivery) or remove the rule.",
                rule.urn,
            )


def _delivers_to(source: PolicyResource) -> str | None:
    """The ARN a rule target delivers to (None for other resources)."""
    target = value_at(source.props, "arn") if source.resource_type == EVENT_TARGET else None
    return target if isinstance(target, str) else None


def check_dead_letters_land_in_the_stack(
    stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation
) -> None:
    queues = stack.of_type(QUEUE)
    for reference in DEAD_LETTER_REFERENCES:
        for source in stack.of_type(reference.typ):
            value = value_at(source.props, *reference.path)
            if not isinstance(value, str):  # absent, or unknown until deployed
                continue
            where = ".".join(str(step) for step in reference.path)
            if value in identifiers(source) or value == _delivers_to(source):
                report_violation(
                    f"{source.name} dead-letters into the very queue it delivers from or to ({where}): a failure "
                    "would come back to the consumer that failed. Point it at a queue of its own.",
                    source.urn,
                )
            elif not any(refers_to(source, reference.path, queue) for queue in queues):
                report_violation(
                    f"{source.name} dead-letters to {value} ({where}), which is not a queue of this stack, so no "
                    "rule here can check it exists, may receive, and is alarmed. Use a queue this stack declares.",
                    source.urn,
                )


def check_lambda_targets_have_scoped_permissions(
    stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation
) -> None:
    permissions = [p for p in stack.of_type(PERMISSION) if value_at(p.props, "principal") == EVENTS_PRINCIPAL]
    for permission in permissions:
        if value_at(permission.props, "sourceArn") is None:
            report_violation(
                f"Permission {permission.name} lets any EventBridge rule invoke the function. Set source_arn to the "
                "ARN of the one rule that targets it.",
                permission.urn,
            )
    for function in stack.of_type(FUNCTION):
        for target in stack.referrers(EVENT_TARGET, ("arn",), function):
            rules = [rule for rule in stack.of_type(EVENT_RULE) if refers_to(target, ("rule",), rule)]
            allowed = any(
                refers_to(permission, ("function",), function) and refers_to(permission, ("sourceArn",), rule)
                for permission in permissions
                for rule in rules
            )
            if rules and not allowed:
                report_violation(
                    f"Target {target.name} invokes function {function.name}, but no lambda Permission lets "
                    f"{EVENTS_PRINCIPAL} do so with source_arn = its rule's ARN: every delivery would be refused.",
                    target.urn,
                )


def _number(resource: PolicyResource, key: str, default: int) -> Any:
    value = value_at(resource.props, key)
    return default if value is None else value


def check_queue_consumers_fail_one_message_at_a_time(
    stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation
) -> None:
    for queue in stack.of_type(QUEUE):
        for mapping in stack.referrers(EVENT_SOURCE_MAPPING, ("eventSourceArn",), queue):
            response_types = as_list(value_at(mapping.props, "functionResponseTypes"))
            if UNKNOWN not in response_types and PARTIAL_BATCH_RESPONSE not in response_types:
                report_violation(
                    f"{mapping.name} feeds {queue.name} to its function without {PARTIAL_BATCH_RESPONSE}: one bad "
                    "message makes the whole batch retry, and its good messages run again. Set "
                    f'function_response_types=["{PARTIAL_BATCH_RESPONSE}"] (QueuedConsumer does).',
                    mapping.urn,
                )
            visibility = _number(queue, "visibilityTimeoutSeconds", SQS_DEFAULT_VISIBILITY)
            for function in stack.of_type(FUNCTION):
                if not refers_to(mapping, ("functionName",), function):
                    continue
                timeout = _number(function, "timeout", LAMBDA_DEFAULT_TIMEOUT)
                if (
                    isinstance(visibility, int)
                    and isinstance(timeout, int)
                    and visibility < VISIBILITY_PER_TIMEOUT * timeout
                ):
                    report_violation(
                        f"Queue {queue.name} hides a message for {visibility}s, less than {VISIBILITY_PER_TIMEOUT} "
                        f"times the {timeout}s timeout of {function.name}: messages still being processed are "
                        "handed out again. Raise visibility_timeout_seconds.",
                        queue.urn,
                    )


def check_alarms_notify(stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation) -> None:
    for alarm in stack.of_type(METRIC_ALARM):
        if not as_list(value_at(alarm.props, "alarmActions")):
            report_violation(
                f"Alarm {alarm.name} notifies nobody when it fires. Set alarm_actions to the ops topic's ARN.",
                alarm.urn,
            )


def _source_arns(statement: Mapping[str, Any]) -> list[Any] | None:
    """The aws:SourceArn values a statement is limited to (ArnEquals or ArnLike), None when it is not."""
    conditions = value_at(statement, "Condition")
    if not isinstance(conditions, Mapping):
        return None
    blocks = [value_at(conditions, operator) for operator in ("ArnEquals", "ArnLike")]
    found = [
        value
        for block in blocks
        if isinstance(block, Mapping)
        for key, values in block.items()
        if str(key).lower() == "aws:sourcearn"
        for value in as_list(values)
    ]
    return found or None


def check_queue_targets_scoped_to_their_rules(
    stack: Stack, _config: Mapping[str, Any], report_violation: ReportViolation
) -> None:
    for queue in stack.of_type(QUEUE):
        targets = stack.referrers(EVENT_TARGET, ("arn",), queue)
        if not targets:
            continue
        rule_arns = {
            value_at(rule.props, "arn")
            for target in targets
            for rule in stack.of_type(EVENT_RULE)
            if refers_to(target, ("rule",), rule)
        }
        documents = [value_at(p.props, "policy") for p in stack.referrers(QUEUE_POLICY, ("queueUrl",), queue)]
        if UNKNOWN in rule_arns or any(document is UNKNOWN for document in documents):
            continue  # a preview of new resources: the ARNs are not known yet
        allows = [
            statement
            for document in documents
            for statement in statements(as_document(document) or {})
            if value_at(statement, "Effect") == "Allow"
            and EVENTS_PRINCIPAL in as_list(value_at(statement, "Principal", "Service"))
        ]
        if not any(set(_source_arns(statement) or ()) == rule_arns for statement in allows):
            report_violation(
                f"Queue {queue.name} is a target of {len(rule_arns)} rule(s), but no queue policy statement lets "
                f"{EVENTS_PRINCIPAL} send to it under aws:SourceArn = exactly those rules' ARNs, so deliveries are "
                "refused or other rules could send too. QueuedConsumer writes that statement.",
                queue.urn,
            )
        for statement in allows:
            scope = _source_arns(statement)
            if scope is None or not set(scope) <= rule_arns:
                report_violation(
                    f"Queue {queue.name}'s policy lets {EVENTS_PRINCIPAL} send on behalf of "
                    f"{'any rule' if scope is None else sorted(set(scope) - rule_arns)}, not only the rules that "
                    "target it (the confused deputy problem). Limit it with ArnEquals aws:SourceArn.",
                    queue.urn,
                )
