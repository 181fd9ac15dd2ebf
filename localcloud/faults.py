"""Faults on demand: a fault set, parsed strictly, and the injector that applies it to the local cloud.

    {"seed": 7, "faults": [
        {"kind": "error", "service": "events", "operation": "PutEvents", "error": "ThrottlingException",
         "probability": 0.3, "function": "billing"},
        {"kind": "crash", "function": "billing", "times": 2},
        {"kind": "pause", "function": "warehouse", "seconds": 3600},
        {"kind": "duplicate", "probability": 1.0},
        {"kind": "latency", "function": "email", "ms": 200}]}

``error`` fails AWS calls that handlers (and, unscoped, the state machine) make, as botocore surfaces a
service error: a ``before-call`` hook answers a ClientError-shaped response, so the caller sees the same
exception class, ``Error.Code`` and HTTP status as from AWS after the SDK's own retries. ``crash`` makes the
function's next N invocations fail as a Lambda runtime error would; ``pause`` holds its trigger (queue
poller, asynchronous invoker) until the local clock has moved that far; ``duplicate`` delivers queue and
asynchronous events twice; ``latency`` adds wall time to each invocation. Every random choice comes from
``random.Random(seed)``, so a run with the same set and the same traffic reproduces.
"""

from __future__ import annotations

import contextvars
import json
import random
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.exceptions import UnknownServiceError

#: The function whose handler is running on this thread (set by ``LocalFunction.invoke``).
current_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("localcloud_function", default=None)

#: Error codes AWS answers with HTTP 400 although they are throttles (the SDKs retry them).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "LimitExceededException",
        "PriorRequestNotComplete",
    }
)
#: Server-side error codes and their HTTP status.
SERVER_CODES = {
    "InternalError": 500,
    "InternalFailure": 500,
    "InternalServerError": 500,
    "InternalServiceError": 500,
    "InternalServerException": 500,
    "InternalException": 500,
    "ServiceException": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
    "SlowDown": 503,
    "RequestTimeout": 408,
    "RequestTimeoutException": 408,
}
CLIENT_CODES = {"AccessDenied": 403, "AccessDeniedException": 403, "UnrecognizedClientException": 403}
_ERROR_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9.]{0,127}$")


def http_status_for(code: str) -> int:
    """The HTTP status AWS answers ``code`` with: 400 for throttles and client errors, 5xx for server errors."""
    return SERVER_CODES.get(code) or CLIENT_CODES.get(code) or 400


class FaultSetError(ValueError):
    """A fault set that cannot be applied; ``problems`` names every bad field."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid fault set: " + "; ".join(self.problems))


@dataclass(frozen=True)
class Fault:
    """One fault as given (``kind`` plus its fields; ``function`` scopes it, None means every function)."""

    kind: str
    function: str | None = None
    service: str | None = None
    operation: str | None = None
    error: str | None = None
    probability: float = 1.0
    times: int = 0
    seconds: float = 0.0
    ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        fields = {"kind": self.kind, "function": self.function}
        fields |= {name: getattr(self, name) for name in _KINDS[self.kind].fields if name != "function"}
        return {key: value for key, value in fields.items() if value is not None}


@dataclass(frozen=True)
class FaultSet:
    seed: int = 0
    faults: tuple[Fault, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "faults": [fault.as_dict() for fault in self.faults]}


# --- parsing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    check: Callable[[Any], str | None]  # None when valid, else what is wrong
    required: bool = False
    default: Any = None


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


def _probability(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        return f"must be a number between 0 and 1, got {value!r}"
    return None


def _positive_int(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return f"must be an integer of at least 1, got {value!r}"
    return None


def _positive_number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return f"must be a number greater than 0, got {value!r}"
    return None


def _error_code(value: Any) -> str | None:
    if not isinstance(value, str) or not _ERROR_CODE.match(value):
        return f"must be an AWS error code such as ThrottlingException, got {value!r}"
    return None


@dataclass(frozen=True)
class _Kind:
    fields: dict[str, _Field]


_FUNCTION = _Field(_text)
_KINDS: dict[str, _Kind] = {
    "error": _Kind(
        {
            "service": _Field(_text, required=True),
            "operation": _Field(_text, required=True),
            "error": _Field(_error_code, required=True),
            "probability": _Field(_probability, default=1.0),
            "function": _FUNCTION,
        }
    ),
    "crash": _Kind({"function": _Field(_text, required=True), "times": _Field(_positive_int, default=1)}),
    "pause": _Kind({"function": _Field(_text, required=True), "seconds": _Field(_positive_number, required=True)}),
    "duplicate": _Kind({"probability": _Field(_probability, default=1.0), "function": _FUNCTION}),
    "latency": _Kind(
        {
            "ms": _Field(_positive_number, required=True),
            "probability": _Field(_probability, default=1.0),
            "function": _FUNCTION,
        }
    ),
}


def parse_fault_set(document: Any) -> FaultSet:
    """``{"seed": N, "faults": [...]}`` as a ``FaultSet``; raises ``FaultSetError`` naming every problem."""
    problems: list[str] = []
    if not isinstance(document, Mapping):
        raise FaultSetError(
            [f'the fault set must be an object {{"seed": N, "faults": [...]}}, got {type(document).__name__}']
        )
    for key in sorted(set(document) - {"seed", "faults"}):
        problems.append(f"unknown field {key!r} (allowed: faults, seed)")
    seed = document.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        problems.append(f"seed: must be an integer, got {seed!r}")
    raw_faults = document.get("faults", [])
    faults: list[Fault] = []
    if not isinstance(raw_faults, list):
        problems.append(f"faults: must be a list, got {type(raw_faults).__name__}")
        raw_faults = []
    for index, raw in enumerate(raw_faults):
        fault = _parse_fault(f"faults[{index}]", raw, problems)
        if fault is not None:
            faults.append(fault)
    if problems:
        raise FaultSetError(problems)
    return FaultSet(seed=int(seed), faults=tuple(faults))


def _parse_fault(where: str, raw: Any, problems: list[str]) -> Fault | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be an object, got {type(raw).__name__}")
        return None
    kind_name = raw.get("kind")
    kind = _KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        problems.append(f"{where}.kind: unknown kind {kind_name!r} (known: {', '.join(sorted(_KINDS))})")
        return None
    before = len(problems)
    values = _parse_fields(where, str(kind_name), kind, raw, problems)
    if kind_name == "error" and len(problems) == before:
        wrong = _unknown_operation(str(values["service"]), str(values["operation"]))
        if wrong:
            problems.append(f"{where}.{wrong}")
    if len(problems) != before:
        return None
    for number in ("probability", "seconds", "ms"):
        if number in values:
            values[number] = float(values[number])
    return Fault(kind=str(kind_name), **values)


def _parse_fields(
    where: str, kind_name: str, kind: _Kind, raw: Mapping[str, Any], problems: list[str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in sorted(set(raw) - set(kind.fields) - {"kind"}):
        problems.append(
            f"{where}: unknown field {key!r} for kind {kind_name!r} (allowed: {', '.join(sorted(kind.fields))})"
        )
    for name, spec in kind.fields.items():
        if name not in raw:
            if spec.required:
                problems.append(f"{where}.{name}: required for kind {kind_name!r}")
            elif spec.default is not None:
                values[name] = spec.default
            continue
        wrong = spec.check(raw[name])
        if wrong:
            problems.append(f"{where}.{name}: {wrong}")
        else:
            values[name] = raw[name]
    return values


_service_operations: dict[str, frozenset[str]] = {}


def _unknown_operation(service: str, operation: str) -> str | None:
    """What is wrong with (service, operation) by botocore's own models, else None."""
    if service not in _service_operations:
        try:
            model = botocore.session.get_session().get_service_model(service)
        except UnknownServiceError:
            return f"service: unknown AWS service {service!r} (use botocore's name, e.g. events, dynamodb, sqs)"
        _service_operations[service] = frozenset(model.operation_names)
    if operation not in _service_operations[service]:
        return f"operation: {service} has no operation {operation!r} (use the API name, e.g. PutEvents)"
    return None


# --- injection -------------------------------------------------------------------------------------


class InjectedCrashError(RuntimeError):
    """What a crashed invocation raises (the trigger sees a failed invocation, as with a runtime error)."""


@dataclass
class _Active:
    faults: FaultSet
    rng: random.Random
    started: float
    crashes_left: dict[int, int] = field(default_factory=dict)


class FaultInjector:
    """The cloud's active fault set; ``resolve`` turns a short function name into the deployed one."""

    def __init__(self, resolve: Callable[[str], str], now: Callable[[], float]) -> None:
        self._resolve = resolve
        self._now = now
        self._lock = threading.Lock()
        self._active = _Active(FaultSet(), random.Random(0), now())  # noqa: S311 - reproducible fault choices, not secrets
        #: (kind, function, detail) of every fault applied since the cloud started, in order.
        self.injected: list[tuple[str, str, str]] = []

    # --- configuration ---

    def configure(self, document: Any) -> FaultSet:
        """Replace the active set with ``document`` (validated; function names must name deployed functions)."""
        parsed = parse_fault_set(document)
        problems = []
        resolved: list[Fault] = []
        for index, fault in enumerate(parsed.faults):
            if fault.function is None:
                resolved.append(fault)
                continue
            try:
                resolved.append(_replace(fault, function=self._resolve(fault.function)))
            except KeyError as error:
                problems.append(f"faults[{index}].function: {error.args[0]}")
        if problems:
            raise FaultSetError(problems)
        faults = FaultSet(parsed.seed, tuple(resolved))
        with self._lock:
            self._active = _Active(faults, random.Random(faults.seed), self._now())  # noqa: S311 - reproducible, seeded
            self._active.crashes_left = {i: f.times for i, f in enumerate(faults.faults) if f.kind == "crash"}
        return faults

    def clear(self) -> None:
        self.configure({"seed": 0, "faults": []})

    @property
    def active(self) -> FaultSet:
        return self._active.faults

    def describe(self) -> dict[str, Any]:
        with self._lock:
            active = self._active
            document = active.faults.as_dict()
            for index, (entry, fault) in enumerate(zip(document["faults"], active.faults.faults, strict=True)):
                if fault.kind == "crash":
                    entry["remaining"] = active.crashes_left.get(index, 0)
                if fault.kind == "pause":
                    entry["until"] = active.started + fault.seconds
            document["injected"] = len(self.injected)
            return document

    # --- decisions ---

    def _matching(self, kind: str, function: str | None) -> list[tuple[int, Fault]]:
        return [
            (index, fault)
            for index, fault in enumerate(self._active.faults.faults)
            if fault.kind == kind and (fault.function is None or fault.function == function)
        ]

    def _chance(self, probability: float) -> bool:
        return probability >= 1.0 or self._active.rng.random() < probability

    def _record(self, kind: str, function: str | None, detail: str) -> None:
        self.injected.append((kind, function or "-", detail))

    def paused_until(self, function: str) -> float | None:
        """The local-clock time ``function``'s trigger resumes, while it is paused; else None."""
        with self._lock:
            ends = [self._active.started + fault.seconds for _, fault in self._matching("pause", function)]
        until = max(ends, default=None)
        return until if until is not None and until > self._now() else None

    def duplicate(self, function: str) -> bool:
        """Whether this delivery to ``function`` arrives twice."""
        with self._lock:
            for _, fault in self._matching("duplicate", function):
                if self._chance(fault.probability):
                    self._record("duplicate", function, "delivered twice")
                    return True
        return False

    def before_invocation(self, function: str) -> None:
        """Inside the invocation: add latency, then crash if a crash is still owed."""
        delay = 0.0
        crash: str | None = None
        with self._lock:
            for _, fault in self._matching("latency", function):
                if self._chance(fault.probability):
                    delay += fault.ms / 1000
            for index, fault in self._matching("crash", function):
                left = self._active.crashes_left.get(index, 0)
                if left > 0:
                    self._active.crashes_left[index] = left - 1
                    crash = f"injected crash ({fault.times - left + 1} of {fault.times})"
                    self._record("crash", function, crash)
                    break
            if delay:
                self._record("latency", function, f"{delay * 1000:.0f} ms")
        if delay:
            time.sleep(delay)  # the fault itself: the invocation takes this much longer
        if crash:
            raise InjectedCrashError(crash)

    def error_for(self, service: str, operation: str) -> str | None:
        """The error code this call fails with, or None. Only calls made by a handler (attributed to its
        function) or by the state machine (unscoped faults only) are eligible, never the cloud's own."""
        function = current_function.get()
        if function is None and not _called_by_state_machine():
            return None
        with self._lock:
            for _, fault in self._matching("error", function):
                if fault.service == service and fault.operation == operation:
                    if function is None and fault.function is not None:
                        continue
                    if self._chance(fault.probability):
                        self._record("error", function or "state machine", f"{service}:{operation} {fault.error}")
                        return fault.error
        return None


def _replace(fault: Fault, **changes: Any) -> Fault:
    return Fault(**{**fault.__dict__, **changes})


def _called_by_state_machine() -> bool:
    """Whether this thread is running a Step Functions task (moto's interpreter is on the stack)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("moto.stepfunctions.parser"):
            return True
        frame = frame.f_back
    return False


# --- the botocore hook -----------------------------------------------------------------------------


class _Body:
    """The raw stream of a fabricated response (botocore only reads it if someone asks for content)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def error_response(code: str, operation: str, protocol: str) -> tuple[AWSResponse, dict[str, Any]]:
    """(http, parsed) as botocore would have them after AWS answered ``code``."""
    status = http_status_for(code)
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": code}
    message = f"injected fault: {operation} failed with {code}"
    error: dict[str, Any] = {"Code": code, "Message": message}
    if protocol == "query":
        error["Type"] = "Receiver" if status >= 500 else "Sender"
    parsed = {
        "Error": error,
        "ResponseMetadata": {
            "RequestId": request_id,
            "HTTPStatusCode": status,
            "HTTPHeaders": {key.lower(): value for key, value in headers.items()},
            "RetryAttempts": 0,
        },
    }
    body = json.dumps({"__type": code, "message": message}).encode()
    return AWSResponse("https://localcloud.invalid/", status, headers, _Body(body)), parsed


@dataclass
class _Installation:
    injector: FaultInjector | None = None
    hooked: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_installation = _Installation()


def install(injector: FaultInjector | None) -> None:
    """Hook every botocore client created from now on into ``injector`` (None: inject nothing)."""
    with _installation.lock:
        _installation.injector = injector
        if _installation.hooked or injector is None:
            return
        original = botocore.session.Session.create_client

        def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = original(self, *args, **kwargs)
            client.meta.events.register("before-call", _before_call)
            return client

        botocore.session.Session.create_client = create_client
        _installation.hooked = True


def _before_call(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    injector = _installation.injector
    if injector is None:
        return None
    service = model.service_model.service_name
    code = injector.error_for(service, model.name)
    if code is None:
        return None
    return error_response(code, model.name, model.service_model.protocol)
