"""localcloud.stepfunctions.program_copy: each execution's program is a copy as deepcopy makes it, unpickled."""

from __future__ import annotations

import copy
import enum
import json
import pickle
import types
from types import SimpleNamespace
from typing import Any

import pytest
from moto.stepfunctions.parser.backend import execution_worker

from localcloud import stepfunctions, stepfunctions_patches

DEFINITION = json.dumps(
    {
        "StartAt": "Price",
        "States": {
            "Price": {
                "Type": "Pass",
                "Parameters": {"orderId.$": "$.orderId", "lines.$": "$.lines", "currency": "EUR"},
                "ResultPath": "$.priced",
                "Next": "Big?",
            },
            "Big?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.total", "NumericGreaterThan": 100, "Next": "Notify"}],
                "Default": "Done",
            },
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/q", "MessageBody.$": "$"},
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}],
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
)

_SHARED_SAFELY = (
    str,
    bytes,
    int,
    float,
    bool,
    type(None),
    type,
    enum.Enum,
    types.FunctionType,
    types.BuiltinFunctionType,
)


def _mutable_objects(root: Any) -> dict[int, Any]:
    """Every list, dict, set and object with attributes reachable from ``root``, by id."""
    found: dict[int, Any] = {}
    seen: set[int] = set()
    stack = [root]
    while stack:
        value = stack.pop()
        if id(value) in seen or isinstance(value, _SHARED_SAFELY):
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            found[id(value)] = value
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, set)):
            found[id(value)] = value
            stack.extend(value)
        elif isinstance(value, (tuple, frozenset)):
            stack.extend(value)
        elif hasattr(value, "__dict__"):
            found[id(value)] = value
            stack.append(vars(value))
    return found


def test_a_program_copy_holds_what_a_deep_copy_holds() -> None:
    parsed = stepfunctions.parsed_program(DEFINITION)
    ours = stepfunctions.program_copy(DEFINITION)
    deep = copy.deepcopy(parsed)

    assert ours is not parsed
    assert type(ours) is type(parsed)
    assert pickle.dumps(ours) == pickle.dumps(deep) == pickle.dumps(parsed)
    assert len(_mutable_objects(ours)) == len(_mutable_objects(deep)) > 20


def test_program_copies_share_no_state_with_the_parsed_program_or_each_other() -> None:
    parsed = _mutable_objects(stepfunctions.parsed_program(DEFINITION))
    first = _mutable_objects(stepfunctions.program_copy(DEFINITION))
    second = _mutable_objects(stepfunctions.program_copy(DEFINITION))

    assert not parsed.keys() & first.keys()
    assert not parsed.keys() & second.keys()
    assert not first.keys() & second.keys()


def test_an_execution_takes_its_program_without_deep_copying_it(monkeypatch: pytest.MonkeyPatch) -> None:
    stepfunctions_patches.install()

    def no_deepcopy(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the program was deep-copied")

    monkeypatch.setattr(copy, "deepcopy", no_deepcopy)
    worker = SimpleNamespace(
        _evaluation_details=SimpleNamespace(state_machine_details=SimpleNamespace(definition=DEFINITION))
    )
    program = execution_worker.ExecutionWorker._get_evaluation_entrypoint(worker)  # type: ignore[arg-type]

    assert program is not stepfunctions.parsed_program(DEFINITION)
    assert pickle.dumps(program) == pickle.dumps(stepfunctions.parsed_program(DEFINITION))
