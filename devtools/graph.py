"""The resource graph of a stack under mocks, by URN: what `pulumi up` would compare with the deployed state.

`python -m devtools.graph --out DIR` writes `<stack>.json` for dev and prod: every resource's URN (as the
engine forms it, the parent chain's types included), type, logical name, parent URN, the URNs its aliases
resolve to, and its inputs. Two dumps diff with `python -m devtools.graph --diff OLD_DIR NEW_DIR`, which
prints what was added, removed (and whether an alias of an added resource still resolves to it), and changed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from pulumi.runtime import mocks as pulumi_mocks

from devtools.lean_monitor import LeanMockMonitor
from devtools.program import STACKS, ProgramRun, RecordingMocks, load_stack_config, project_name, run_program

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Node:
    urn: str
    typ: str
    name: str
    parent: str | None
    aliases: tuple[str, ...]
    custom: bool
    #: The URNs this resource waits for before the engine creates it: its explicit dependencies and the
    #: resources whose outputs its inputs read.
    dependencies: tuple[str, ...] = ()


@dataclass
class UrnRecorder:
    """Keeps, for every registration, the URN the engine would give it and the URNs its aliases name."""

    stack: str
    project: str
    nodes: dict[tuple[str, str], Node] = field(default_factory=dict)
    _real_urn: dict[str, str] = field(default_factory=dict)  # the mock monitor's URN -> the engine's
    _aliases_of: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a URN -> the URNs its aliases name

    def urn(self, parent: str | None, typ: str, name: str) -> str:
        """The engine's URN: the parent's qualified type, `$`, the type; the root stack adds no prefix."""
        qualified = typ
        if parent and parent.split("::")[2] != ROOT_STACK_TYPE:
            qualified = f"{parent.split('::')[2]}${typ}"
        return f"urn:pulumi:{self.stack}::{self.project}::{qualified}::{name}"

    def record(self, request: Any, mock_urn: str) -> None:
        if request.type == ROOT_STACK_TYPE:
            self._real_urn[mock_urn] = self.urn(None, request.type, request.name)
            return
        parent = self._real_urn.get(request.parent) if request.parent else None
        urn = self.urn(parent, request.type, request.name)
        self._real_urn[mock_urn] = urn
        own = {self._alias_urn(alias, parent, request) for alias in request.aliases}
        # The engine gives a child of an aliased parent the same name under each of the parent's old URNs.
        inherited = {self.urn(old, request.type, request.name) for old in self._aliases_of.get(parent or "", ())}
        aliases = tuple(sorted(own | inherited))
        self._aliases_of[urn] = aliases
        waits_for = {*request.dependencies, *(u for deps in request.propertyDependencies.values() for u in deps.urns)}
        dependencies = tuple(sorted(self._real_urn.get(mock_urn, mock_urn) for mock_urn in waits_for))
        node = Node(urn, request.type, request.name, parent, aliases, request.custom, dependencies)
        self.nodes[(request.type, request.name)] = node

    def _alias_urn(self, alias: Any, parent: str | None, request: Any) -> str:
        if alias.urn:
            return str(alias.urn)
        spec = alias.spec
        if spec.noParent:
            alias_parent = None
        elif spec.parentUrn:
            alias_parent = self._real_urn.get(spec.parentUrn, spec.parentUrn)
        else:
            alias_parent = parent
        qualified = self.urn(alias_parent, spec.type or request.type, spec.name or request.name)
        stack, project = spec.stack or self.stack, spec.project or self.project
        return qualified.replace(f"urn:pulumi:{self.stack}::{self.project}::", f"urn:pulumi:{stack}::{project}::", 1)


@contextlib.contextmanager
def recording_urns(recorder: UrnRecorder) -> Iterator[None]:
    """Records every registration the run's monitor answers: the SDK's (``sdk_defaults``) or the lean run's."""

    def recording(register: Callable[[Any, Any], Any]) -> Callable[..., Any]:
        def recorded(monitor: pulumi_mocks.MockMonitor, request: Any) -> Any:
            response = register(monitor, request)
            recorder.record(request, response.urn)
            return response

        return recorded

    with (
        mock.patch.object(
            pulumi_mocks.MockMonitor, "RegisterResource", recording(pulumi_mocks.MockMonitor.RegisterResource)
        ),
        mock.patch.object(LeanMockMonitor, "RegisterResource", recording(LeanMockMonitor.RegisterResource)),
    ):
        yield


@dataclass
class StackGraph:
    run: ProgramRun
    nodes: dict[tuple[str, str], Node]

    def waits_for(self, urn: str) -> set[str]:
        """Every resource `urn` waits for, directly or not; waiting for a component is waiting for its children."""
        nodes = {node.urn: node for node in self.nodes.values()}
        children: dict[str, list[str]] = {}
        for node in nodes.values():
            if node.parent is not None:
                children.setdefault(node.parent, []).append(node.urn)
        seen: set[str] = set()
        todo = list(nodes[urn].dependencies)
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            found = nodes.get(current)
            if found is not None:
                todo += [*found.dependencies, *([] if found.custom else children.get(current, []))]
        return seen

    def as_json(self) -> list[dict[str, Any]]:
        inputs = {(r.typ, r.name): r.inputs for r in self.run.resources}
        return sorted(
            (
                {
                    "urn": node.urn,
                    "type": node.typ,
                    "name": node.name,
                    "parent": node.parent,
                    "aliases": list(node.aliases),
                    "inputs": plain(inputs.get((node.typ, node.name), {})),
                }
                for node in self.nodes.values()
                if not node.typ.startswith("pulumi:providers:")
            ),
            key=lambda entry: str(entry["urn"]),
        )


def stack_graph(stack: str) -> StackGraph:
    recorder = UrnRecorder(stack=stack, project=project_name())
    with recording_urns(recorder):
        run = run_program(stack, mocks=RecordingMocks(stack, load_stack_config(stack).get("aws:region", "eu-west-1")))
    return StackGraph(run=run, nodes=recorder.nodes)


def plain(value: Any) -> Any:
    """Assets and archives as their class and fields, so two runs compare by content, not identity."""
    if hasattr(value, "__dict__"):
        return {"__class__": type(value).__name__, **{k: plain(v) for k, v in vars(value).items()}}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def diff(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    """What `pulumi up` would see: resources gone (and whether an alias carries them over), new, changed."""
    before = {entry["urn"]: entry for entry in old}
    after = {entry["urn"]: entry for entry in new}
    carried = {alias: entry["urn"] for entry in new for alias in entry["aliases"]}
    lines = []
    for urn in sorted(set(before) - set(after)):
        target = carried.get(urn)
        if target is None:
            lines.append(f"- DELETED (no alias) {urn}")
            continue
        moved = "" if before[urn]["inputs"] == after[target]["inputs"] else "  (inputs differ)"
        lines.append(f"~ aliased {urn}\n      -> {target}{moved}")
    lines.extend(f"+ new {urn}" for urn in sorted(set(after) - set(before)) if urn not in carried.values())
    lines.extend(
        f"! inputs changed {urn}"
        for urn in sorted(set(before) & set(after))
        if before[urn]["inputs"] != after[urn]["inputs"]
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="write <stack>.json for each stack into this folder")
    parser.add_argument("--diff", nargs=2, type=Path, metavar=("OLD", "NEW"), help="compare two --out folders")
    options = parser.parse_args(argv)
    if options.diff:
        for stack in STACKS:
            old, new = (json.loads((folder / f"{stack}.json").read_text()) for folder in options.diff)
            lines = diff(old, new)
            print(f"== {stack}: {len(old)} -> {len(new)} resources, {len(lines)} differences")
            print("\n".join(lines))
        return 0
    if options.out is None:
        parser.error("give --out or --diff")
    options.out.mkdir(parents=True, exist_ok=True)
    for stack in STACKS:
        path = options.out / f"{stack}.json"
        path.write_text(json.dumps(stack_graph(stack).as_json(), indent=1, sort_keys=True, default=repr) + "\n")
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
