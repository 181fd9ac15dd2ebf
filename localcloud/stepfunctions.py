"""Step Functions on the local clock: moto 5.2.5's interpreter waits in wall time; here it waits on ours.

moto runs each execution on its own threads and waits with ``time.sleep`` and ``threading.Event.wait``:

- a Retry's interval (``RetrierDecl._eval_body``: ``time.sleep``);
- a Wait state (``WaitFunction._wait_interval``; ``Timestamp`` compares with the machine's local time);
- a task's TimeoutSeconds (``ExecutionState._evaluate_with_timeout``: ``Event.wait(timeout)``);
- a ``.waitForTaskToken`` task's token, TimeoutSeconds and HeartbeatSeconds (``CallbackEndpoint.wait``,
  ``HeartbeatEndpoint.clear_and_wait``).

Once ``stepfunctions_patches.install()`` (the patches themselves) has run and ``use_clock(clock)`` names a
clock, each of these waits on that clock instead: a clock timer ends the wait, so ``cloud.advance(3600)``
plays an hour-long back-off or an hour-late callback in no time, and a wait that ends early (a token arrives)
cancels its timer, so the clock's pending timers are exactly the waits still to come. Without a clock the
waits are moto's own (wall time).

Idleness: an execution is *parked* while one of its threads waits on the clock (Retry, Wait) or for its
task token; ``busy_executions()`` counts the RUNNING executions that are not parked, which is what the local
cloud waits for. A parked wait is released synchronously by what ends it (the clock timer, or
SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat), before the waiting thread runs, so the cloud is never
seen idle between a callback and the execution moving on. Limitation: an execution with a Parallel or Map
whose other branches still work while one branch is parked counts as parked (the shop's workflow has one
branch).

Parsing: moto parses a definition again for every execution; here each definition is parsed once
(``parsed_program``) and every execution evaluates its own copy of the parsed program, unpickled from the
program pickled once (``program_copy``: as ``copy.deepcopy`` copies it, at a few percent of the cost).

Also fixed here: a missed heartbeat is ``States.HeartbeatTimeout`` (moto says ``States.Timeout``), and moto
names every error of the ``events:putEvents`` integration ``States.Runtime`` (which no
Retry matches); AWS names a service error ``EventBridge.<code>``, as moto already does for DynamoDB.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.responses import get_backend

from localcloud.clock import Clock

#: moto's TimeoutSeconds when a state names none: "never", so no clock timer is set for it.
NO_TIMEOUT = TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS


@dataclass
class _State:
    installed: bool = False
    clock: Clock | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: execution ARN -> how many of its waits are parked now.
    parked: dict[str, int] = field(default_factory=dict)
    local: threading.local = field(default_factory=threading.local)
    #: Called with (execution ARN, final status) as each execution ends.
    on_end: Callable[[str, str], None] | None = None
    #: The interpreter's boto3 clients by (region, service, intercepting), reused while a clock is in use.
    clients: dict[tuple[str, str, bool], Any] = field(default_factory=dict)


_state = _State()


def use_clock(clock: Clock | None, on_end: Callable[[str, str], None] | None = None) -> None:
    """Make every Step Functions wait follow ``clock`` (``None``: wall time, as moto does); ``on_end`` hears
    of each execution's final status as it is set."""
    _state.clock = clock
    _state.on_end = on_end
    with _state.lock:
        # Executions of a previous moto context are gone with it (their threads wait on a stopped clock).
        _state.parked.clear()
        # The next cloud's clients are made after its recorders are installed (stepfunctions_patches).
        _state.clients.clear()


class _Parking:
    """One parked wait of one execution; released once, by whoever ends the wait first."""

    def __init__(self, execution_arn: str | None) -> None:
        self.execution_arn = execution_arn
        self._released = execution_arn is None
        if execution_arn is not None:
            with _state.lock:
                _state.parked[execution_arn] = _state.parked.get(execution_arn, 0) + 1

    def release(self) -> None:
        with _state.lock:
            if self._released or self.execution_arn is None:
                return
            self._released = True
            left = _state.parked.get(self.execution_arn, 0) - 1
            if left > 0:
                _state.parked[self.execution_arn] = left
            else:
                _state.parked.pop(self.execution_arn, None)


def wait_on_clock(
    event: threading.Event,
    seconds: float | None,
    *,
    done: Callable[[], bool] | None = None,
    parking: _Parking | None = None,
    label: str = "step functions wait",
) -> bool:
    """Wait until ``done()`` (default: the event is set) or ``seconds`` pass on the clock; return ``done()``.

    The event's own condition is what ``set()`` notifies, so the wait wakes at once either way.
    """
    finished = done or event.is_set
    clock = _state.clock
    if clock is None:
        if parking is not None:
            parking.release()
        return event.wait(seconds) if done is None else _wall_wait(event, seconds, finished)
    condition: threading.Condition = event._cond  # type: ignore[attr-defined]
    expired = False

    def expire() -> None:
        nonlocal expired
        with condition:
            expired = True
            if parking is not None:
                parking.release()
            condition.notify_all()

    timer = None if seconds is None or seconds >= NO_TIMEOUT else clock.call_later(max(0.0, seconds), expire, label)
    try:
        with condition:
            while not (finished() or expired):
                condition.wait()
            return finished()
    finally:
        if timer is not None:
            clock.cancel(timer)
        if parking is not None:
            parking.release()


def _wall_wait(event: threading.Event, seconds: float | None, finished: Callable[[], bool]) -> bool:
    event.wait(seconds)
    return finished()


def clock_sleep(seconds: float, parking: _Parking | None = None) -> None:
    wait_on_clock(threading.Event(), seconds, parking=parking, label="step functions retry")


#: Parsed programs by definition; a definition's executions starting together wait for one parse.
_programs: dict[str, Any] = {}
#: Each parsed program pickled once: every execution's copy is unpickled from it.
_pickled_programs: dict[str, bytes] = {}
_programs_lock = threading.Lock()


def parsed_program(definition: str) -> Any:
    """The evaluation program of one definition, parsed once per process. Never evaluate it directly: each
    execution evaluates its own copy (``program_copy``), so no execution sees another's state."""
    with _programs_lock:
        program = _programs.get(definition)
        if program is None:
            program = _programs[definition] = AmazonStateLanguageParser.parse(definition)[0]
        return program


def program_copy(definition: str) -> Any:
    """A copy of the definition's parsed program that shares no state with it or any other copy, as
    ``copy.deepcopy`` makes it (nothing in the interpreter customises copying or pickling, so both walk the
    same state). Unpickling the program pickled once costs a few percent of deep-copying it (0.8 ms against
    13 ms for the fulfillment workflow): ``deepcopy`` walked the whole tree generically, memo and all."""
    blob = _pickled_programs.get(definition)
    if blob is None:
        program = parsed_program(definition)
        with _programs_lock:
            blob = _pickled_programs.setdefault(definition, pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL))
    return pickle.loads(blob)  # noqa: S301 - bytes this process pickled itself


def _execution_arn(env: Any) -> str | None:
    try:
        return str(env.states.context_object.context_object_data["Execution"]["Id"])
    except (AttributeError, KeyError, TypeError):
        return None


@contextmanager
def _waiting_for_token(env: Any) -> Iterator[None]:
    _state.local.execution_arn = _execution_arn(env)
    try:
        yield
    finally:
        _state.local.execution_arn = None


def busy_executions(account: str, region: str) -> list[str]:
    """ARNs of the RUNNING executions that are not parked (working in wall time now)."""
    with _state.lock:
        parked = set(_state.parked)
    return [
        str(execution.execution_arn)
        for execution in _running(account, region)
        if str(execution.execution_arn) not in parked
    ]


def parked_executions() -> dict[str, int]:
    with _state.lock:
        return dict(_state.parked)


def token_owner(account: str, region: str, task_token: str) -> str | None:
    """The state machine ARN whose execution issued ``task_token``, running or not (for IAM by use: a late
    SendTaskSuccess is authorised, and refused by Step Functions, like any other)."""
    for execution in _executions(account, region):
        worker = getattr(execution, "exec_worker", None)
        pool = getattr(getattr(worker, "env", None), "callback_pool_manager", None)
        if pool is not None and pool.get(task_token) is not None:
            return str(execution.state_machine_arn)
    return None


def _running(account: str, region: str) -> list[Any]:
    return [execution for execution in _executions(account, region) if getattr(execution, "status", None) == "RUNNING"]


def _executions(account: str, region: str) -> list[Any]:
    backend = get_backend(account, region)
    return [execution for machine in list(backend.state_machines) for execution in list(machine.executions)]
