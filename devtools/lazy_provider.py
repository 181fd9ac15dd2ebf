"""The provider SDK's service packages, imported one module at a time in the processes that run the program under
mocks (the tools, the tests, the local cloud); the Pulumi CLI's run of ``__main__.py`` never imports this.

``pulumi_aws`` already defers each service package (``aws.cloudwatch``) to its first use, but then imports every
module of it: each resource of the service and its Args class (about 50 modules for cloudwatch), where the program
uses a handful. That was a quarter of the import time a first evaluation pays (``make demo``'s cold boot).

Here a service package's ``__init__`` is not run; the package answers each name it would export by importing
just the module that defines it, which it finds in that module's ``__all__``, the list ``from .module import *``
copies names by, and in the order the ``__init__`` lists the modules (a later module's name wins, as there). A
package whose ``__init__`` does anything but those imports is imported as usual. The objects are the very ones
an eager import gives (same modules, same classes); tests/unit/test_lazy_provider.py compares both.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.abc
import importlib.machinery
import re
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

PROVIDER = "pulumi_aws"
_IMPORTED_NAMES = re.compile(r"^__all__ = (\[.*?\])", re.MULTILINE | re.DOTALL)
#: What a service package's generated ``__init__`` may hold besides ``from .module import *`` lines.
_PREAMBLE = {"import builtins as _builtins", "from .. import _utilities", "import typing", "from . import outputs"}
_STAR_IMPORT = re.compile(r"^from \.(\w+) import \*$")


def exports(package_directory: Path) -> dict[str, tuple[str, bool]] | None:
    """Each name the package's ``__init__`` would export: the module (file stem) that defines it and whether the
    name is one the module exports (else it is the module itself); ``None`` when the ``__init__`` does more than
    star-import its modules."""
    modules: list[str] = []
    submodules: list[str] = []
    for raw in (package_directory / "__init__.py").read_text().splitlines():
        line = raw.strip()
        if line == "from . import outputs":
            submodules.append("outputs")
        if not line or line.startswith("#") or line in _PREAMBLE:
            continue
        star = _STAR_IMPORT.match(line)
        if star is None:
            return None
        modules.append(star.group(1))
    # A module is its package's attribute once imported (``aws.cloudwatch.metric_alarm``) until a name a module
    # exports replaces it (``get_event_bus``, the function, over the module of that name); the last export wins.
    names: dict[str, tuple[str, bool]] = {module: (module, False) for module in [*modules, *submodules]}
    for module in modules:
        found = _IMPORTED_NAMES.search((package_directory / f"{module}.py").read_text())
        if found is None:
            return None  # a module without __all__ exports every public name: only importing it tells which
        for name in ast.literal_eval(found.group(1)):
            names[name] = (module, True)
    return names


class _ServicePackageLoader(importlib.abc.Loader):
    """Sets a service package up, when it is first used, to import each module on its first use; a package whose
    ``__init__`` does more than star-import its modules is run by ``eager``, its usual loader."""

    def __init__(self, eager: importlib.abc.Loader, directory: Path) -> None:
        self.eager = eager
        self.directory = directory

    def exec_module(self, module: ModuleType) -> None:
        # Imported here, not at the top: this module is imported before the provider SDK, so as to intercept it.
        utilities = importlib.import_module(f"{PROVIDER}._utilities")
        names = exports(self.directory)
        if names is None:
            self.eager.exec_module(module)
            return
        package = module.__name__
        module.__dict__.update(_builtins=builtins, _utilities=utilities, typing=typing)

        exported_by: dict[str, list[str]] = {}
        for name, (defining, exported) in names.items():
            if exported:
                exported_by.setdefault(defining, []).append(name)
        # Importing a module makes it its package's attribute, over a name another module exports by that name.
        shadowed = [name for name, (_, exported) in names.items() if exported and name in exported_by]

        def __getattr__(name: str) -> Any:  # noqa: N807 - a module's attribute hook (PEP 562)
            if name not in names:
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            defining, exported = names[name]
            # importlib serialises concurrent imports of one module; setting the attributes twice is harmless.
            found = importlib.import_module(f"{package}.{defining}")
            for each in exported_by.get(defining, ()):  # what `from .module import *` copies
                setattr(module, each, getattr(found, each))
            for stem in shadowed:
                if isinstance(module.__dict__.get(stem), ModuleType):
                    owner = sys.modules.get(f"{package}.{names[stem][0]}")
                    if owner is None:
                        del module.__dict__[stem]  # answered by __getattr__ once asked for
                    else:
                        setattr(module, stem, getattr(owner, stem))
            return getattr(found, name) if exported else found

        def __dir__() -> list[str]:  # noqa: N807
            return sorted(set(module.__dict__) | set(names))

        module.__dict__.update(__getattr__=__getattr__, __dir__=__dir__)


class _ServicePackageFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, _target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.count(".") != 1 or not fullname.startswith(f"{PROVIDER}."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not spec.submodule_search_locations:
            return spec
        spec.loader = _ServicePackageLoader(spec.loader, Path(spec.submodule_search_locations[0]))
        return spec


_FINDER = _ServicePackageFinder()


def install() -> None:
    """From now on, service packages not yet looked up import their modules on first use (idempotent). Packages
    looked up before (``pulumi_aws`` imported earlier in the process) stay as they were."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def installed() -> bool:
    return _FINDER in sys.meta_path
