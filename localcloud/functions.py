"""Runs the real handlers in process, each function in its own "sandbox" of modules and environment.

Handlers read their environment at import and create their clients on first use, and two functions may share a
package (the orders API and the projector both live in ``handlers/orders``) with different environments.
So each function gets its own copy of every ``handlers.*`` module: the ``handlers`` entries of
``sys.modules`` are set aside, the function's environment is applied, the handler's module is imported
fresh, and the modules that import created are kept as that function's own (its "sandbox") before
``sys.modules`` is put back. Module-level state (clients, idempotency stores, caches) is never shared
between functions, exactly as between two Lambda functions.

Invocations run one at a time under a runtime lock, with the function's environment applied around each
call. Python threads share one interpreter lock anyway, so this costs little, and it keeps the process
environment exact for code that reads it at call time. A function that runs past its configured
timeout is reported as ``Task timed out`` (its result is discarded), as Lambda would.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from localcloud.faults import current_function
from localcloud.iam import CallRecorder

PACKAGE = "handlers"
#: Set in every function's environment: X-Ray is not emulated, so the tracer must not try to send.
RUNTIME_ENVIRONMENT = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_DEV": "false"}

_import_lock = threading.Lock()


@dataclass(frozen=True)
class FunctionSpec:
    """A function as the program defined it."""

    name: str
    arn: str
    handler: str
    environment: Mapping[str, str]
    timeout_seconds: int
    memory_mb: int
    role_arn: str
    log_group: str

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]


@dataclass
class LambdaContext:
    """The parts of the Lambda context handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    log_group_name: str
    deadline: float
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_stream_name: str = "localcloud"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class Invocation:
    """What one run of a handler produced."""

    function: str
    request_id: str
    ok: bool
    payload: Any
    error_type: str | None
    error_message: str | None
    duration_ms: float

    def error_payload(self) -> dict[str, Any]:
        return {"errorType": self.error_type, "errorMessage": self.error_message}


class LogSink(io.TextIOBase):
    """The function's stdout (its log group): the last lines, kept in memory."""

    def __init__(self, limit: int = 2000) -> None:
        self.lines: deque[str] = deque(maxlen=limit)

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                self.lines.append(line)
        return len(text)

    def writable(self) -> bool:
        return True


@contextlib.contextmanager
def environment(overlay: Mapping[str, str]) -> Iterator[None]:
    """Apply ``overlay`` to ``os.environ`` and put back the values that were there before.

    A variable that was not set before stays set afterwards: threads outside the runtime lock (moto's Step
    Functions executions) read the environment while an invocation runs, and a key removed while another
    thread iterates ``os.environ`` raises KeyError there. No handler code runs between invocations, and
    every invocation applies its function's whole environment first, so a leftover value is never read.

    Only values that differ are written, both ways: each write is a ``putenv`` (and encodes the key and
    value), and consecutive invocations of a function, or of functions sharing most variables, find most of
    them already set (~1% of the bench's CPU went to rewriting them).
    """
    environ = os.environ
    saved = {key: environ.get(key) for key in overlay}
    for key, value in overlay.items():
        if saved[key] != value:
            environ[key] = value
    try:
        yield
    finally:
        for key, before in saved.items():
            if before is not None and environ.get(key) != before:
                environ[key] = before


_SUBMODULE_PREFIX = f"{PACKAGE}."


def _handler_modules(names: Iterable[str]) -> list[str]:
    """The names of ``handlers`` and its submodules among ``names``: a test inline, not a call per name (a boot
    looks through the ~2,000 names of ``sys.modules`` once per function)."""
    return [name for name in names if name.startswith(_SUBMODULE_PREFIX) or name == PACKAGE]


class LocalFunction:
    """One function: its own modules, environment, log sink; ``invoke`` runs its handler."""

    def __init__(self, spec: FunctionSpec, region: str, runtime_lock: threading.RLock, recorder: CallRecorder) -> None:
        self.spec = spec
        self.region = region
        self.logs = LogSink()
        self._runtime_lock = runtime_lock
        self._recorder = recorder
        self.environment: dict[str, str] = {
            **RUNTIME_ENVIRONMENT,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "_HANDLER": spec.handler,
            **spec.environment,
        }
        self.modules: dict[str, ModuleType] = {}
        self.module, self.entry = self._load()
        self.invocations = 0
        #: Runs inside each invocation before the handler (fault injection: latency, crashes); may raise.
        self.before_run: Callable[[str], None] | None = None
        #: Seconds spent running the handler, over every invocation.
        self.busy_seconds = 0.0

    def _load(self) -> tuple[ModuleType, Callable[..., Any]]:
        module_name, _, attribute = self.spec.handler.rpartition(".")
        with _import_lock:
            saved = {name: sys.modules.pop(name) for name in _handler_modules(sys.modules)}
            # With every handlers module set aside, the ones there after the import are the ones it created: found
            # among the new names (a set difference) instead of by testing each of the ~2,000 names twice more.
            before = set(sys.modules)
            try:
                with environment(self.environment), contextlib.redirect_stdout(self.logs):
                    module = importlib.import_module(module_name)
            finally:
                created = _handler_modules(sys.modules.keys() - before)
                self.modules = {name: sys.modules.pop(name) for name in sorted(created)}
                sys.modules.update(saved)
        entry = getattr(module, attribute, None)
        if not callable(entry):
            raise ImportError(f"{self.spec.name}: handler {self.spec.handler} is not a callable in {module_name}")
        return module, entry

    def module_of(self, name: str) -> ModuleType:
        """This function's own copy of a handlers module, e.g. ``handlers.billing.app``."""
        return self.modules[name]

    def invoke(self, event: Any) -> Invocation:
        context = LambdaContext(
            function_name=self.spec.name,
            invoked_function_arn=self.spec.arn,
            memory_limit_in_mb=self.spec.memory_mb,
            log_group_name=self.spec.log_group,
            deadline=time.monotonic() + self.spec.timeout_seconds,
        )
        with self._runtime_lock, environment(self.environment), self._recorder.acting_as(self.spec.name):
            self.invocations += 1
            started = time.perf_counter()
            marker = current_function.set(self.spec.name)
            try:
                if self.before_run is not None:
                    self.before_run(self.spec.name)
                payload = self.entry(event, context)
            except Exception as error:  # a handler error is an invocation result, as in Lambda
                self.logs.write(traceback.format_exc())
                return Invocation(
                    self.spec.name,
                    context.aws_request_id,
                    False,
                    None,
                    type(error).__name__,
                    str(error),
                    (time.perf_counter() - started) * 1000,
                )
            finally:
                current_function.reset(marker)
            duration = (time.perf_counter() - started) * 1000
            self.busy_seconds += duration / 1000
        if duration > self.spec.timeout_seconds * 1000:
            message = f"Task timed out after {self.spec.timeout_seconds:.2f} seconds"
            return Invocation(self.spec.name, context.aws_request_id, False, None, "TimeoutError", message, duration)
        return Invocation(self.spec.name, context.aws_request_id, True, payload, None, None, duration)
