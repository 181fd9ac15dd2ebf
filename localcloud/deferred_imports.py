"""moto packages the local cloud imports without using them: their ``__init__`` runs on first use (moto 5.2.5).

moto's Step Functions interpreter imports its Batch integration, which reads one enum from ``moto.batch.utils``;
importing that submodule first runs ``moto/batch/__init__.py``, which imports Batch's models and, through them,
all of EC2 (~0.6 s of CPU in every process that imports the local cloud). The program uses neither Batch nor EC2.
Likewise moto's API Gateway models import ``openapi_spec_validator`` (~0.15 s, paid at the first API Gateway call of
every boot) for the one function that validates an imported OpenAPI body, which the program never sends.

``install()`` puts a finder on ``sys.meta_path`` that imports those packages empty (their path set, so their
submodules import as before) and runs a package's ``__init__`` when an attribute it defines is first read (moto's
backend index reads ``batch_backends``; ``from moto.batch import models`` reads ``models``). A name imported
from the package at module level (``from openapi_spec_validator import validate``) is bound ahead to a function
that runs the ``__init__`` and then calls the package's own function. Everything that uses the packages then sees
what their ``__init__`` would have made.

``after_import`` runs a function once a module has been imported, however it is imported first: how
``moto_footprint`` trims EC2's tables if something does import EC2, without importing it itself.

Written against moto ``moto_version.MOTO_VERSION``. Another moto is left alone here; the boot's
``moto_patches.check_version`` refuses it with the error that says what to do.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.metadata
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

from localcloud.moto_version import MOTO_VERSION

#: Packages whose ``__init__`` waits for the first read of an attribute it defines, with the functions read ahead.
DEFERRED_PACKAGES: Mapping[str, tuple[str, ...]] = {
    "moto.batch": (),
    "openapi_spec_validator": ("validate", "validate_spec"),  # moto.apigateway.models imports one of them
    "openapi_spec_validator.validation": (),  # moto.apigateway.models imports its exceptions module
}


class _WrappedLoader(importlib.abc.Loader):
    """A package's own loader, with ``exec_module`` left to the subclass."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def __getattr__(self, name: str) -> Any:
        # The rest of the package's own loader (its resource reader, file name, source) as it was.
        return getattr(self.loader, name)


class _InitOnFirstRead(_WrappedLoader):
    """Makes the package module (path and spec set by the import system) and runs its code on first read."""

    def __init__(self, loader: importlib.abc.Loader, functions_ahead: tuple[str, ...]) -> None:
        super().__init__(loader)
        self.functions_ahead = functions_ahead

    def exec_module(self, module: ModuleType) -> None:
        lock = threading.RLock()
        ran: list[bool] = []

        def run_init() -> None:
            with lock:
                if not ran:
                    ran.append(True)
                    self.loader.exec_module(module)

        def __getattr__(attribute: str) -> Any:  # noqa: N807  # the module-level hook Python calls
            if attribute.startswith("__"):
                raise AttributeError(attribute)
            run_init()
            try:
                return module.__dict__[attribute]
            except KeyError:
                raise AttributeError(f"module {module.__name__!r} has no attribute {attribute!r}") from None

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
        for name in self.functions_ahead:
            setattr(module, name, _forward(module, name, run_init))


def _forward(module: ModuleType, name: str, run_init: Callable[[], None]) -> Callable[..., Any]:
    def forward(*args: Any, **kwargs: Any) -> Any:
        run_init()
        function = module.__dict__[name]
        if function is forward:  # the package's __init__ no longer defines it
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")
        return function(*args, **kwargs)

    forward.__name__ = forward.__qualname__ = name
    return forward


class _ThenCall(_WrappedLoader):
    """Runs the module as its own loader would, then the functions waiting for it."""

    def __init__(self, loader: importlib.abc.Loader, callbacks: list[Callable[[ModuleType], None]]) -> None:
        super().__init__(loader)
        self.callbacks = callbacks

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        for callback in self.callbacks:
            callback(module)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self.deferred: Mapping[str, tuple[str, ...]] = {}
        self.waiting: dict[str, list[Callable[[ModuleType], None]]] = {}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.deferred and fullname not in self.waiting:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        if fullname in self.deferred:
            spec.loader = _InitOnFirstRead(spec.loader, self.deferred[fullname])
        else:
            spec.loader = _ThenCall(spec.loader, self.waiting.pop(fullname))
        return spec


_finder = _Finder()
_lock = threading.Lock()


def _on_meta_path() -> None:
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def install(version: str | None = None) -> None:
    """Defer ``DEFERRED_PACKAGES``' ``__init__`` (once per process; a package already imported stays as it is)."""
    installed = version or importlib.metadata.version("moto")
    if installed != MOTO_VERSION:
        return
    with _lock:
        _finder.deferred = DEFERRED_PACKAGES
        _on_meta_path()


def after_import(name: str, callback: Callable[[ModuleType], None]) -> None:
    """``callback(module)`` now if ``name`` is imported, else right after it is."""
    with _lock:
        module = sys.modules.get(name)
        if module is None:
            _finder.waiting.setdefault(name, []).append(callback)
            _on_meta_path()
            return
    callback(module)
