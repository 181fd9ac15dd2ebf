"""localcloud.functions.LocalFunction's sandbox: each function imports its handler's ``handlers.*`` modules afresh
and keeps them as its own, and the process's ``sys.modules`` holds afterwards exactly the ``handlers`` modules it
held before, whether the import worked or failed."""

from __future__ import annotations

import dataclasses
import sys
import threading
import types

import pytest

from localcloud.functions import FunctionSpec, LocalFunction
from localcloud.iam import CallRecorder
from tests.localcloud.support import REGION, function_spec

#: A handler whose module imports another handlers module and reads no environment at import.
HANDLER = "handlers.email.templates.order_placed"


def load(handler: str) -> LocalFunction:
    spec: FunctionSpec = dataclasses.replace(function_spec("sandbox"), handler=handler)
    return LocalFunction(spec, REGION, threading.RLock(), CallRecorder(REGION, "123456789012"))


def handler_modules() -> dict[str, types.ModuleType]:
    return {name: module for name, module in sys.modules.items() if name == "handlers" or name.startswith("handlers.")}


@pytest.fixture
def set_aside(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A handlers module the process already holds: a sandbox must put it back, never hand it to a function."""
    module = types.ModuleType("handlers.sandbox_probe")
    monkeypatch.setitem(sys.modules, "handlers.sandbox_probe", module)
    return module


def test_each_function_gets_its_own_copy_of_every_handlers_module_its_import_made(set_aside: types.ModuleType) -> None:
    held = handler_modules()
    first, second = load(HANDLER), load(HANDLER)

    assert handler_modules() == held, "sys.modules holds the handlers modules it held before, no others"
    assert {"handlers", "handlers.email", "handlers.email.templates", "handlers.shared.wire"} <= set(first.modules)
    assert set(first.modules) == set(second.modules)
    assert "handlers.sandbox_probe" not in first.modules
    for name in first.modules:
        assert first.module_of(name) is not second.module_of(name), f"{name} is shared by two functions"
    assert first.module is first.module_of("handlers.email.templates")
    assert first.entry is first.module.order_placed


def test_a_failed_import_leaves_sys_modules_as_it_was(set_aside: types.ModuleType) -> None:
    held = handler_modules()
    with pytest.raises(ModuleNotFoundError, match=r"handlers\.no_such_function"):
        load("handlers.no_such_function.app.handler")
    assert handler_modules() == held
    assert sys.modules["handlers.sandbox_probe"] is set_aside


def test_a_handler_that_is_not_a_callable_is_refused_naming_it() -> None:
    with pytest.raises(ImportError, match=r"handlers\.email\.templates\.no_such_name is not a callable"):
        load("handlers.email.templates.no_such_name")
