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
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse

from localcloud.fault_model import Fault, FaultSet, FaultSetError, parse_fault_set

__all__ = [
    "Fault",
    "FaultInjector",
    "FaultSet",
    "FaultSetError",
    "InjectedCrashError",
    "current_function",
    "install",
    "parse_fault_set",
]

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


def http_status_for(code: str) -> int:
    """The HTTP status AWS answers ``code`` with: 400 for throttles and client errors, 5xx for server errors."""
    return SERVER_CODES.get(code) or CLIENT_CODES.get(code) or 400


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
        self._injected_before = 0

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
            self._injected_before = len(self.injected)
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
            document["injected"] = len(self.injected) - self._injected_before  # by this set
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
