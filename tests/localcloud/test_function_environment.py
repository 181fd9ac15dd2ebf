"""localcloud.functions.environment: an invocation's environment is applied and put back as before, writing only
the variables whose values differ."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.functions import environment

PREFIX = "LOCALCLOUD_ENV_TEST_"


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names ``os.environ`` writes (each a putenv), from the test's own variables."""
    written: list[str] = []
    environ_class = type(os.environ)
    setitem = environ_class.__setitem__

    def counted(environ: Any, name: str, value: str) -> None:
        if name.startswith(PREFIX):
            written.append(name.removeprefix(PREFIX))
        setitem(environ, name, value)

    monkeypatch.setattr(environ_class, "__setitem__", counted)
    for name in ("SAME", "CHANGED", "UNSET"):
        monkeypatch.delenv(PREFIX + name, raising=False)
    monkeypatch.setenv(PREFIX + "SAME", "same")
    monkeypatch.setenv(PREFIX + "CHANGED", "before")
    written.clear()
    yield written
    for name in ("SAME", "CHANGED", "UNSET"):
        os.environ.pop(PREFIX + name, None)


def _overlay() -> dict[str, str]:
    return {PREFIX + "SAME": "same", PREFIX + "CHANGED": "during", PREFIX + "UNSET": "set"}


def test_the_overlay_applies_during_and_earlier_values_return_after(writes: list[str]) -> None:
    with environment(_overlay()):
        assert {k: os.environ[k] for k in _overlay()} == _overlay()

    assert os.environ[PREFIX + "SAME"] == "same"
    assert os.environ[PREFIX + "CHANGED"] == "before"
    assert os.environ[PREFIX + "UNSET"] == "set"  # a variable not set before stays set (see the docstring)


def test_only_differing_values_are_written(writes: list[str]) -> None:
    with environment(_overlay()):
        assert sorted(writes) == ["CHANGED", "UNSET"]

    assert sorted(writes) == ["CHANGED", "CHANGED", "UNSET"]  # CHANGED put back; SAME never rewritten


def test_a_value_changed_during_the_invocation_is_put_back(writes: list[str]) -> None:
    with environment(_overlay()):
        os.environ[PREFIX + "SAME"] = "changed by the handler"

    assert os.environ[PREFIX + "SAME"] == "same"
