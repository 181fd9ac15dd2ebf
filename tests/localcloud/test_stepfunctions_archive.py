"""An ended execution's history is archived from moto's own event list, without deep-copying it first, and
answers what moto's ``get_event_history`` answered."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

from localcloud import stepfunctions_patches


def _history() -> list[dict[str, Any]]:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    shared = {"payload": "x" * 100}
    return [
        {"id": 1, "timestamp": when, "type": "ExecutionStarted", "details": {"input": shared}},
        {"id": 2, "previousEventId": 1, "timestamp": when, "type": "PassStateExited", "details": {"output": shared}},
    ]


def _execution(manager: Any) -> Any:
    return SimpleNamespace(exec_worker=SimpleNamespace(env=SimpleNamespace(event_manager=manager)))


def test_an_archived_history_answers_what_moto_s_copy_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    manager: Any = EventManager()
    manager._history_event_list.extend(_history())
    by_moto = manager.get_event_history()
    monkeypatch.setattr(EventManager, "get_event_history", lambda _self: pytest.fail("deep-copied the history"))
    execution = _execution(manager)

    stepfunctions_patches.archive_history(execution)

    archived = execution.exec_worker.env.event_manager
    assert isinstance(archived, stepfunctions_patches.ArchivedHistory)
    events = archived.get_event_history()
    assert events == by_moto
    assert events[0]["details"]["input"] is events[1]["details"]["output"], "shared values stay shared, as copied"
    events[0]["details"]["input"]["payload"] = "changed"
    assert archived.get_event_history() == by_moto, "each answer a fresh copy"


def test_a_manager_without_moto_s_private_list_is_archived_from_its_own_copy() -> None:
    history = _history()
    manager = SimpleNamespace(get_event_history=lambda: list(history))
    execution = _execution(manager)

    stepfunctions_patches.archive_history(execution)

    assert execution.exec_worker.env.event_manager.get_event_history() == history
