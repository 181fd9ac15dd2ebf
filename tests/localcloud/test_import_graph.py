"""The local cloud's modules form no import cycle: each part depends on the parts below it, never back on the
composition root (``cloud.py``) or on a part that depends on it. Imports under ``TYPE_CHECKING`` and inside
functions count too: a cycle in the types is a cycle in the design.

A package's ``__init__`` importing its own modules is how a package is built, so importing ``pkg.mod`` adds an
edge to ``pkg.mod`` only, not to ``pkg``.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "localcloud"


def module_names() -> dict[str, Path]:
    names: dict[str, Path] = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imported(tree: ast.AST, known: set[str]) -> set[str]:
    """The known modules an AST imports: ``import a.b``, ``from a import b`` (b a module) and ``from a.b import c``."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & known
            if submodules:
                found |= submodules
            elif node.module in known:
                found.add(node.module)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    known = set(modules)
    return {name: imported(ast.parse(path.read_text(), str(path)), known) - {name} for name, path in modules.items()}


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            cycle = visit(target, [*path, node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def test_no_import_cycle_among_the_local_cloud_modules() -> None:
    cycle = find_cycle(import_graph())

    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_parts_reach_the_cloud_through_protocols_not_through_cloud_py() -> None:
    graph = import_graph()
    parts = {"api", "pollers", "streams", "alarms", "async_invoke", "targets", "idle", "runtime", "host", "deployment"}

    importers = {name for name, targets in graph.items() if f"{PACKAGE}.cloud" in targets}

    assert not importers & {f"{PACKAGE}.{part}" for part in parts}


@pytest.mark.parametrize("name", sorted(module_names()))
def test_every_module_imports(name: str) -> None:
    importlib.import_module(name)


def test_the_check_finds_a_cycle_and_names_it() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_imports_under_type_checking() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from localcloud.cloud import LocalCloud\n"

    assert imported(ast.parse(source), {"localcloud.cloud"}) == {"localcloud.cloud"}
