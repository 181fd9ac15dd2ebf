"""The program's rules against the contracts, in both stacks: patterns match exactly the samples they name,
and every produced detail-type has a consumer or is declared unconsumed on purpose (the catalogue)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any, cast

import pytest
from moto.events.models import EventPattern

from devtools.program import ProgramRun, RecordedResource
from handlers.shared.event_contracts import sample_path
from services.events import EVENT_TYPES, UNCONSUMED

RULE = "aws:cloudwatch/eventRule:EventRule"


def rules(run: ProgramRun) -> list[tuple[RecordedResource, dict[str, Any]]]:
    return [(rule, rule.json_input("eventPattern")) for rule in run.of_type(RULE) if rule.inputs.get("eventPattern")]


def named_detail_types(pattern: dict[str, Any]) -> set[str]:
    return {name for name in pattern.get("detail-type", []) if isinstance(name, str)}


def pinned_values(pattern: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Exact string values a pattern pins below ``detail`` or in ``resources`` (an invoice bucket's name...)."""
    for key, value in pattern.items():
        here = (*path, key)
        if isinstance(value, dict):
            yield from pinned_values(value, here)
        elif here[0] in {"detail", "resources"} and value and all(isinstance(item, str) for item in value):
            yield here, value[0]


def sample_for(pattern: dict[str, Any], detail_type: str) -> dict[str, Any]:
    """The detail-type's sample envelope, carrying the resource names the rule pins (samples are generic)."""
    envelope: dict[str, Any] = json.loads(sample_path(detail_type).read_text())
    envelope = copy.deepcopy(envelope)
    for path, value in pinned_values(pattern):
        if path == ("resources",):
            envelope["resources"] = [value]
            continue
        node = envelope
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return envelope


def test_every_stack_has_rules_naming_catalogued_detail_types(runs: dict[str, ProgramRun]) -> None:
    for stack, run in runs.items():
        named = [named_detail_types(pattern) for _, pattern in rules(run)]
        assert named, f"{stack} declares no rules"
        assert all(names and names <= set(EVENT_TYPES) for names in named), f"{stack}: {named}"


def pattern_mismatches(rule_name: str, pattern: dict[str, Any]) -> list[str]:
    """Every sample the pattern matches without naming its detail-type, or names without matching."""
    matcher = EventPattern.load(json.dumps(pattern))
    named = named_detail_types(pattern)
    found = []
    for detail_type in EVENT_TYPES:
        matched = matcher.matches_event(cast(Any, sample_for(pattern, detail_type)))
        if matched != (detail_type in named):
            found.append(f"{rule_name} {'matches' if matched else 'misses'} {detail_type}")
    return found


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_rule_matches_the_samples_it_names_and_no_other(runs: dict[str, ProgramRun], stack: str) -> None:
    mismatches = [found for rule, pattern in rules(runs[stack]) for found in pattern_mismatches(rule.name, pattern)]

    assert mismatches == []


def consumed(run: ProgramRun) -> dict[str, list[str]]:
    """Each detail-type some rule of the stack names, with those rules."""
    found: dict[str, list[str]] = {}
    for rule, pattern in rules(run):
        for name in named_detail_types(pattern):
            found.setdefault(name, []).append(rule.name)
    return found


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_produced_detail_type_is_consumed_or_declared_unconsumed(runs: dict[str, ProgramRun], stack: str) -> None:
    consumers = consumed(runs[stack])

    orphans = sorted(set(EVENT_TYPES) - set(consumers) - set(UNCONSUMED))
    assert orphans == [], f"no rule consumes {orphans}: add a consumer or an `unconsumed` reason in the catalogue"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_nothing_declared_unconsumed_has_a_consumer(runs: dict[str, ProgramRun], stack: str) -> None:
    consumers = consumed(runs[stack])

    stale = {name: consumers[name] for name in UNCONSUMED if name in consumers}
    assert stale == {}, f"remove the `unconsumed` reason of these from the catalogue, rules consume them: {stale}"
    assert set(UNCONSUMED) <= set(EVENT_TYPES)
    assert all(reason.strip() for reason in UNCONSUMED.values())


def test_the_pattern_check_reports_a_rule_matching_more_than_it_names() -> None:
    too_wide = {"source": ["eventshop.billing"], "detail-type": ["PaymentFailed", {"prefix": "Payment"}]}

    assert pattern_mismatches("too-wide", too_wide) == [
        "too-wide matches PaymentSucceeded",
        "too-wide matches PaymentRefunded",
    ]


def test_the_pattern_check_reports_a_rule_missing_what_it_names() -> None:
    wrong_source = {"source": ["eventshop.orders"], "detail-type": ["PaymentFailed"]}

    assert pattern_mismatches("wrong-source", wrong_source) == ["wrong-source misses PaymentFailed"]


def test_a_rule_pinning_a_bucket_is_matched_against_the_sample_for_that_bucket() -> None:
    invoices = {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": ["inv-1"]}}}

    assert sample_for(invoices, "Object Created")["detail"]["bucket"] == {"name": "inv-1"}
    assert pattern_mismatches("invoices", invoices) == []
