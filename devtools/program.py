"""Runs the real Pulumi program for a stack under Pulumi's mock runtime, without the CLI.

The stack's configuration is read from `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the engine
reads it, and every resource the program declares is recorded with its inputs and the outputs a
real deployment would give it (ids and ARNs in each service's own format).
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import runpy
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.log
import pulumi.runtime.resource as pulumi_resource_runtime
import pulumi.runtime.rpc as pulumi_rpc
import yaml
from pulumi.runtime import known_types
from pulumi.runtime.proto import source_pb2

from devtools.lean_monitor import LeanMockMonitor
from devtools.lean_outputs import lean_outputs
from devtools.lean_types import lean_types
from devtools.provider_shapes import provider_outputs, short_hash

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "123456789012"
#: The project's stacks: one `Pulumi.<stack>.yaml` each (what the tools and tests run the program for).
STACKS: tuple[str, ...] = tuple(sorted(path.name.split(".")[1] for path in ROOT.glob("Pulumi.*.yaml")))
_run_lock = threading.Lock()


class StackConfigError(ValueError):
    """A stack file is missing or cannot be read."""


def load_stack_config(stack: str, root: Path = ROOT) -> dict[str, str]:
    """Project defaults from Pulumi.yaml, overlaid by Pulumi.<stack>.yaml, as the engine passes them:
    every key namespaced, every value a string (objects and lists as JSON text)."""
    project_file = root / "Pulumi.yaml"
    stack_file = root / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        raise StackConfigError(f"stack '{stack}' has no {stack_file.name}")
    project = yaml.safe_load(project_file.read_text()) or {}
    name = project["name"]
    config: dict[str, str] = {}
    for key, spec in (project.get("config") or {}).items():
        if isinstance(spec, dict) and ("default" in spec or "value" in spec):
            value = spec.get("value", spec.get("default"))
        else:
            value = spec
        config[_namespaced(name, key)] = _as_config_string(value)
    stack_doc = yaml.safe_load(stack_file.read_text()) or {}
    for key, value in (stack_doc.get("config") or {}).items():
        if isinstance(value, dict) and "secure" in value:
            raise StackConfigError(f"{stack_file.name}: {key} is a secret; the mock runtime cannot decrypt it")
        config[_namespaced(name, key)] = _as_config_string(value)
    return config


def project_name(root: Path = ROOT) -> str:
    """The project's name from Pulumi.yaml: what `pulumi.get_project()` answers when the engine runs it."""
    project = yaml.safe_load((root / "Pulumi.yaml").read_text()) or {}
    return str(project["name"])


def _namespaced(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _as_config_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


@dataclass
class RecordedResource:
    """One resource the program declared: what it asked for and what the mock answered."""

    typ: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str
    provider: str | None
    custom: bool = True

    @property
    def arn(self) -> str | None:
        value = self.outputs.get("arn")
        return str(value) if value is not None else None

    def json_input(self, key: str) -> Any:
        """An input that arrives as JSON text (policies, patterns, redrive policies)."""
        value = self.inputs.get(key)
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class ProgramRun:
    stack: str
    resources: list[RecordedResource] = field(default_factory=list)
    #: The project the engine reported to the program (`pulumi.get_project()`), default Pulumi.yaml's.
    project: str = field(default_factory=project_name)

    @property
    def prefix(self) -> str:
        """`<project>-<stack>`, the prefix `components.base.name_prefix()` gave every physical name of the run."""
        return f"{self.project}-{self.stack}"

    def short_name(self, physical: str) -> str:
        """A physical name without the run's prefix (`eventshop-dev-billing` -> `billing`)."""
        return physical.removeprefix(f"{self.prefix}-")

    @property
    def custom_resources(self) -> list[RecordedResource]:
        """Real cloud resources: no components, no providers."""
        return [r for r in self.resources if r.custom and not r.typ.startswith("pulumi:providers:")]

    def of_type(self, typ: str) -> list[RecordedResource]:
        return [resource for resource in self.resources if resource.typ == typ]

    def named(self, name: str) -> RecordedResource:
        matches = [resource for resource in self.resources if resource.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources are named {name!r}")
        return matches[0]

    def by_arn(self, arn: str) -> RecordedResource:
        for resource in self.resources:
            if resource.arn == arn:
                return resource
        raise KeyError(f"no resource has ARN {arn}")


def physical_name(logical_name: str, inputs: Mapping[str, Any]) -> str:
    """The name a resource gets in the cloud: its ``name`` input, else the logical name and a short suffix, as the
    provider's auto-naming would give it."""
    given = inputs.get("name")
    return str(given) if given else f"{logical_name}-{short_hash(logical_name)}"


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers every resource with provider-shaped ids and ARNs and records it."""

    def __init__(self, stack: str, region: str) -> None:
        self.run = ProgramRun(stack=stack)
        self.region = region
        self._lock = threading.Lock()

    def physical_name(self, args: pulumi.runtime.MockResourceArgs) -> str:
        return physical_name(args.name, args.inputs)

    def outputs_for(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """The id and outputs AWS would give this resource (``devtools.provider_shapes``)."""
        name = self.physical_name(args)
        return provider_outputs(args.typ, args.name, name, args.inputs, self.region, ACCOUNT_ID)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        if args.typ.startswith("pulumi:providers:"):
            outputs = dict(args.inputs)
            resource_id = f"{args.name}-provider-id"
        else:
            resource_id, extra = self.outputs_for(args)
            outputs = {**args.inputs, "name": self.physical_name(args), **extra}
            if "id" not in outputs:
                outputs["id"] = resource_id
        self.record(args, resource_id, outputs)
        return resource_id, outputs

    def record(self, args: pulumi.runtime.MockResourceArgs, resource_id: str, outputs: dict[str, Any]) -> None:
        """Keep the resource as declared (``args``) with the id and outputs it was answered with."""
        with self._lock:
            self.run.resources.append(
                RecordedResource(
                    typ=args.typ,
                    name=args.name,
                    inputs=dict(args.inputs),
                    outputs=outputs,
                    id=resource_id,
                    provider=args.provider,
                    custom=bool(args.custom),
                )
            )

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]]]:
        answers = {
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/eventshop",
                "userId": "AIDAEVENTSHOP",
                "id": ACCOUNT_ID,
            },
            "aws:index/getRegion:getRegion": {"name": self.region, "region": self.region, "id": self.region},
        }
        if args.token not in answers:
            raise NotImplementedError(f"the program called {args.token}, which the mocks do not answer")
        return answers[args.token], []


@contextlib.contextmanager
def _without_source_positions() -> Iterator[None]:
    """The SDK walks the Python stack and turns every frame into a file URI for each resource it registers,
    so the engine can point at the line that declared it. The mock monitor drops that stack trace unread,
    and building it costs about a fifth of a stack's evaluation, so under mocks it is left empty."""
    compute = pulumi_resource_runtime._get_stack_trace
    pulumi_resource_runtime._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        pulumi_resource_runtime._get_stack_trace = compute


def _contains_unknowns(val: Any) -> bool:
    """``pulumi.runtime.rpc.contains_unknowns``, answered the same way without its recursive closure: the SDK's
    version defines a nested function that refers to itself on every call (tens of thousands a run), and each
    such function, its cell and its annotations form a cycle only the cycle collector reclaims; those cycles
    were most of a run's garbage and a quarter of its CPU. Most values are scalars, answered without a set."""
    if isinstance(val, dict | list):
        return _unknown_within(val, set())
    return known_types.is_unknown(val)


def _unknown_within(value: dict[Any, Any] | list[Any], seen_ids: set[int]) -> bool:
    """Whether a dict's values or a list's items hold an Unknown, at any depth, each container visited once."""
    if id(value) in seen_ids:
        return False
    seen_ids.add(id(value))
    for item in value.values() if isinstance(value, dict) else value:
        if isinstance(item, dict | list):
            if _unknown_within(item, seen_ids):
                return True
        elif known_types.is_unknown(item):
            return True
    return False


@contextlib.contextmanager
def _without_cyclic_unknowns_check() -> Iterator[None]:
    sdk_version = pulumi_rpc.contains_unknowns
    pulumi_rpc.contains_unknowns = _contains_unknowns
    try:
        yield
    finally:
        pulumi_rpc.contains_unknowns = sdk_version


@contextlib.contextmanager
def _debug_messages_only_when_logged() -> Iterator[None]:
    """The SDK sends a debug message per resource step (hundreds a run) to the engine; the mock engine hands
    them to the root logger, which drops them unless DEBUG is on. Building each one's request only to drop it
    costs about 5% of a run, so a message is sent only when the root logger would keep it."""
    sdk_debug = pulumi.log.debug
    root = logging.getLogger()

    def debug(
        msg: str, resource: pulumi.Resource | None = None, stream_id: int | None = None, ephemeral: bool | None = None
    ) -> None:
        if root.isEnabledFor(logging.DEBUG):
            sdk_debug(msg, resource, stream_id, ephemeral)

    pulumi.log.debug = debug
    try:
        yield
    finally:
        pulumi.log.debug = sdk_debug


@contextlib.contextmanager
def deferred_cycle_collection() -> Iterator[None]:
    """One evaluation allocates hundreds of thousands of short-lived objects (futures, Outputs, protobufs)
    beside the pulumi_aws modules' large, long-lived heap; the cycle collector's passes over that heap cost
    more than the evaluation itself. The run is bounded, so the collector waits until it ends and then
    resumes on its own schedule, reclaiming the run's cycles at its next pass. The local cloud's boot
    (deploy, then load every function's modules and clients) defers it the same way."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def _in_project_root() -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(previous)


def run_program(
    stack: str,
    mocks: RecordingMocks | None = None,
    config: dict[str, str] | None = None,
    preview: bool = False,
    project: str | None = None,
    sdk_defaults: bool = False,
) -> ProgramRun:
    """Runs `__main__.py` for a stack to completion under mocks and returns what it declared.

    project: the project name the engine would report, default Pulumi.yaml's (a fork renames it there).
    """
    return run_callable(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        stack,
        mocks=mocks,
        config=load_stack_config(stack) if config is None else config,
        preview=preview,
        project=project,
        sdk_defaults=sdk_defaults,
    )


def run_callable(
    program: Callable[[], object],
    stack: str = "test",
    mocks: RecordingMocks | None = None,
    config: dict[str, str] | None = None,
    preview: bool = False,
    project: str | None = None,
    sdk_defaults: bool = False,
) -> ProgramRun:
    """Runs any Pulumi program function (a whole stack, or one component alone) under mocks.

    Unless ``sdk_defaults`` is set, the run skips what the mocks never read (each resource's declaring stack
    trace, debug messages the log drops), checks for unknowns without leaving garbage cycles, builds each
    resource's outputs and URN with fewer futures (``devtools.lean_outputs``), keeps the SDK's answers about
    each type annotation and resource class and tracks Outputs without re-reading settings
    (``devtools.lean_types``), answers registrations without an event loop run each (``devtools.lean_monitor``),
    and defers cycle collection to its end; ``sdk_defaults=True`` runs as the SDK
    does by default, for the test that shows the graph is the same and for the bench's before/after ratio."""
    stack_config = config or {}
    region = stack_config.get("aws:region", "eu-west-1")
    recorder = mocks or RecordingMocks(stack, region)
    recorder.run.project = project or project_name()
    lean = contextlib.ExitStack()
    if not sdk_defaults:
        lean.enter_context(_without_source_positions())
        lean.enter_context(_without_cyclic_unknowns_check())
        lean.enter_context(_debug_messages_only_when_logged())
        lean.enter_context(lean_outputs())
        lean.enter_context(lean_types())
        lean.enter_context(deferred_cycle_collection())
    with _run_lock, _in_project_root(), lean:
        pulumi.runtime.settings.ROOT.set(None)
        monitor = None if sdk_defaults else LeanMockMonitor(recorder)
        pulumi.runtime.set_mocks(recorder, project=recorder.run.project, stack=stack, preview=preview, monitor=monitor)
        pulumi.runtime.set_all_config(stack_config, [])
        run_to_completion: Callable[[], None] = pulumi.runtime.test(program)  # type: ignore[no-untyped-call]
        run_to_completion()
    return recorder.run
