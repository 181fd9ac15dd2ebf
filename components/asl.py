"""A structural check of an Amazon States Language document, so a broken definition fails `pulumi preview`
with the states it names instead of failing CreateStateMachine (or worse, an execution) later.

It checks what the States Language specification makes a definition invalid for: a StartAt and every
transition (Next, Default, each Choice's and each Catch's Next) naming an existing state, each state's Type,
a Task's Resource, exactly one of Next and End where a state continues, and no state that nothing reaches.
It does not replace AWS's validation (service integrations, JSONPath syntax): it catches the mistakes an
edit of a definition built in code makes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

TYPES = frozenset({"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"})
#: States that end an execution path: they take neither Next nor End.
TERMINAL = frozenset({"Choice", "Succeed", "Fail"})


def _transitions(state: Mapping[str, Any]) -> Iterator[str]:
    if "Next" in state:
        yield str(state["Next"])
    if "Default" in state:
        yield str(state["Default"])
    for rule in state.get("Choices", ()):
        yield str(rule.get("Next"))
    for catcher in state.get("Catch", ()):
        yield str(catcher.get("Next"))


def definition_problems(document: Mapping[str, Any]) -> list[str]:
    """Every structural problem of a state machine's definition (nested Parallel branches and Map
    iterators are checked as definitions of their own)."""
    states: Mapping[str, Mapping[str, Any]] = document.get("States") or {}
    problems: list[str] = []
    if not states:
        return ["the definition has no States"]
    start = document.get("StartAt")
    if start not in states:
        problems.append(f"StartAt {start!r} names no state")
    for name, state in states.items():
        kind = state.get("Type")
        if kind not in TYPES:
            problems.append(f"state {name!r}: Type {kind!r} is not one of {', '.join(sorted(TYPES))}")
            continue
        problems.extend(
            f"state {name!r}: goes to {target!r}, which is no state"
            for target in _transitions(state)
            if target not in states
        )
        if kind == "Task" and not state.get("Resource"):
            problems.append(f"state {name!r}: a Task needs a Resource")
        if kind not in TERMINAL and ("Next" in state) == bool(state.get("End")):
            problems.append(f"state {name!r}: needs exactly one of Next and End")
        for index, branch in enumerate(state.get("Branches", ())):
            problems.extend(f"state {name!r} branch {index}: {p}" for p in definition_problems(branch))
        iterator = state.get("ItemProcessor") or state.get("Iterator")
        if iterator:
            problems.extend(f"state {name!r} items: {p}" for p in definition_problems(iterator))
    problems.extend(f"state {name!r}: nothing goes to it" for name in sorted(_unreachable(states, start)))
    return problems


def _unreachable(states: Mapping[str, Mapping[str, Any]], start: Any) -> set[str]:
    seen: set[str] = set()
    queue = [start] if start in states else []
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        queue.extend(target for target in _transitions(states[name]) if target in states)
    return set(states) - seen if start in states else set()
