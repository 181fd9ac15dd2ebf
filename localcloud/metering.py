"""Billable units, as the local cloud's run recorded them: every AWS call a principal made, every Lambda run.

Like ``localcloud.iam``, this hooks every botocore client created while it is installed: the request's
parameters are kept at ``before-parameter-build`` and the call is recorded at ``after-call`` with the parsed
answer (an empty receive, the items a read returned). A call is attributed to the principal running on the
thread (the function, the API integration role, Lambda acting with a function's role); moto's Step Functions
interpreter calls services with clients of its own (access key ``ak``), so those are the state machines'
calls. The local cloud's own calls (provisioning, polling for idleness, the tests' reads) have no principal
and are recorded under ``LOCAL_CLOUD``: the cost model takes from them only what AWS does on a rule's or a
schedule's behalf. Lambda runs (memory, duration) and the bytes each function logs are taken by wrapping
each ``LocalFunction`` of a booted cloud.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import botocore.session

from localcloud import iam
from localcloud.functions import Invocation, LocalFunction

LOCAL_CLOUD = "(local cloud)"
STATES = "states"
#: The access key moto's Step Functions interpreter gives the clients it calls services with.
SFN_INTERPRETER_KEY = "ak"
_PARAMS = "localcloud.metering.params"
_PRINCIPAL = "localcloud.metering.principal"


@dataclass(frozen=True)
class MeteredCall:
    """One AWS API call: who made it, what it asked and what it got back (``error`` if it failed)."""

    principal: str
    service: str
    operation: str
    params: Mapping[str, Any]
    response: Mapping[str, Any]
    error: str | None = None


@dataclass(frozen=True)
class LambdaRun:
    function: str
    memory_mb: int
    duration_ms: float
    ok: bool


@dataclass
class Meter:
    """What one run recorded. Thread-safe; ``recording()`` turns it on for a block."""

    calls: list[MeteredCall] = field(default_factory=list)
    lambda_runs: list[LambdaRun] = field(default_factory=list)
    log_bytes: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, call: MeteredCall) -> None:
        with self._lock:
            self.calls.append(call)

    def of(self, service: str, *operations: str, principal: str | None = None) -> list[MeteredCall]:
        """The recorded calls to ``service`` (its signing name), of the given operations and principal."""
        with self._lock:
            calls = list(self.calls)
        return [
            call
            for call in calls
            if call.service == service
            and (not operations or call.operation in operations)
            and (principal is None or call.principal == principal)
        ]

    def billed_calls(self, service: str, *operations: str) -> list[MeteredCall]:
        """Calls some principal of the program made (not the local cloud's own)."""
        return [call for call in self.of(service, *operations) if call.principal != LOCAL_CLOUD]

    def watch(self, functions: Iterable[LocalFunction]) -> None:
        """Record each run of these functions (memory, duration) and the bytes each writes to its log."""
        for function in functions:
            _watch_function(self, function)

    def reset(self) -> None:
        """Forget what was recorded (e.g. the deployment's calls) so a run counts only itself."""
        with self._lock:
            self.calls.clear()
            self.lambda_runs.clear()
            self.log_bytes.clear()

    @contextlib.contextmanager
    def recording(self) -> Iterator[Meter]:
        install()
        with _installation.lock:
            _installation.meters.append(self)
        try:
            yield self
        finally:
            with _installation.lock:
                _installation.meters.remove(self)


def _watch_function(meter: Meter, function: LocalFunction) -> None:
    invoke, write = function.invoke, function.logs.write
    name, memory = function.spec.name, function.spec.memory_mb

    def metered_invoke(event: Any) -> Invocation:
        result = invoke(event)
        with meter._lock:
            meter.lambda_runs.append(LambdaRun(name, memory, result.duration_ms, result.ok))
        return result

    def metered_write(text: str) -> int:
        with meter._lock:
            meter.log_bytes[name] += len(text.encode())
        return write(text)

    function.invoke = metered_invoke  # type: ignore[method-assign]
    function.logs.write = metered_write  # type: ignore[method-assign]


@dataclass
class _Installation:
    meters: list[Meter] = field(default_factory=list)
    hooked: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_installation = _Installation()


def install() -> None:
    """Hook every botocore client created from now on (once per process; idle while no meter records)."""
    with _installation.lock:
        if _installation.hooked:
            return
        original: Callable[..., Any] = botocore.session.Session.create_client

        def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = original(self, *args, **kwargs)
            if kwargs.get("aws_access_key_id") == SFN_INTERPRETER_KEY:
                client.meta.events.register("before-parameter-build", _as_state_machine)
            client.meta.events.register("before-parameter-build", _keep_params)
            client.meta.events.register("after-call", _after_call)
            return client

        setattr(botocore.session.Session, "create_client", create_client)  # noqa: B010
        _installation.hooked = True


def _as_state_machine(context: dict[str, Any], **_: Any) -> None:
    context[_PRINCIPAL] = STATES


def _keep_params(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
    if _installation.meters:
        context[_PARAMS] = dict(params)


def _after_call(parsed: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    if not _installation.meters:  # nothing records: leave every other call alone
        return
    with _installation.lock:
        meters = list(_installation.meters)
    if not meters:
        return
    principal = context.get(_PRINCIPAL) or iam.current_principal() or LOCAL_CLOUD
    error = (parsed.get("Error") or {}).get("Code") if isinstance(parsed, Mapping) else None
    call = MeteredCall(
        principal=principal,
        service=model.service_model.signing_name,
        operation=model.name,
        params=context.get(_PARAMS, {}),
        response=parsed if isinstance(parsed, Mapping) else {},
        error=str(error) if error else None,
    )
    for meter in meters:
        meter.record(call)


# --- sizes, as AWS bills them -------------------------------------------------------------------------


def chunks_of_64kb(size: int) -> int:
    """EventBridge, SQS and SNS bill each started 64 KB of a payload as one request (at least one)."""
    return max(1, -(-size // (64 * 1024)))


def put_events_entry_size(entry: Mapping[str, Any]) -> int:
    """The size EventBridge bills a PutEvents entry at (Source, DetailType, Detail, Resources; 14 for a Time)."""
    size = sum(len(str(entry.get(key) or "").encode()) for key in ("Source", "DetailType", "Detail"))
    size += sum(len(str(resource).encode()) for resource in entry.get("Resources") or [])
    return size + (14 if entry.get("Time") else 0)


def dynamodb_item_size(item: Mapping[str, Any]) -> int:
    """An item's size as DynamoDB counts it: attribute names plus values in their wire (typed) form."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Any) -> int:  # noqa: PLR0911 (one answer per DynamoDB type reads best)
    if not isinstance(value, Mapping) or len(value) != 1:
        return len(json.dumps(value, default=str).encode())
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        digits = Decimal(str(inner)).normalize().as_tuple().digits
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(inner if isinstance(inner, bytes) else str(inner).encode())
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: element}) for element in inner)
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(len(name.encode()) + 1 + _value_size(element) for name, element in inner.items())
    return len(json.dumps(inner, default=str).encode())
