"""Step Functions on the local clock: moto 5.2.5's interpreter waits in wall time; here it waits on ours.

moto runs each execution on its own threads and waits with ``time.sleep`` and ``threading.Event.wait``:

- a Retry's interval (``RetrierDecl._eval_body``: ``time.sleep``);
- a Wait state (``WaitFunction._wait_interval``; ``Timestamp`` compares with the machine's local time);
- a task's TimeoutSeconds (``ExecutionState._evaluate_with_timeout``: ``Event.wait(timeout)``);
- a ``.waitForTaskToken`` task's token, TimeoutSeconds and HeartbeatSeconds (``CallbackEndpoint.wait``,
  ``HeartbeatEndpoint.clear_and_wait``).

Once ``install()`` has run and ``use_clock(clock)`` names a clock, each of these waits on that clock
instead: a clock timer ends the wait, so ``cloud.advance(3600)`` plays an hour-long back-off or an hour-late
callback in no time, and a wait that ends early (a token arrives) cancels its timer, so the clock's pending
timers are exactly the waits still to come. Without a clock the waits are moto's own (wall time).

Idleness: an execution is *parked* while one of its threads waits on the clock (Retry, Wait) or for its
task token; ``busy_executions()`` counts the RUNNING executions that are not parked, which is what the local
cloud waits for. A parked wait is released synchronously by what ends it (the clock timer, or
SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat), before the waiting thread runs, so the cloud is never
seen idle between a callback and the execution moving on. Limitation: an execution with a Parallel or Map
whose other branches still work while one branch is parked counts as parked (the shop's workflow has one
branch).

Also fixed here: a missed heartbeat is ``States.HeartbeatTimeout`` (moto says ``States.Timeout``), and moto
names every error of the ``events:putEvents`` integration ``States.Runtime`` (which no
Retry matches); AWS names a service error ``EventBridge.<code>``, as moto already does for DynamoDB.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from botocore.exceptions import ClientError
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails, TaskTimedOutEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.common.retry.max_attempts_decl import MaxAttemptsOutcome
from moto.stepfunctions.parser.asl.component.common.retry.retrier_outcome import RetrierOutcome
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
from moto.stepfunctions.parser.asl.component.state.exec import execute_state
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_callback
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_events import (
    StateTaskServiceEvents,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function import timestamp, wait_function
from moto.stepfunctions.parser.asl.eval.callback import callback as callback_module
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.backend import execution as execution_module
from moto.stepfunctions.responses import get_backend

from localcloud.clock import Clock
from localcloud.moto_patches import check_version

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


_state = _State()


def use_clock(clock: Clock | None, on_end: Callable[[str, str], None] | None = None) -> None:
    """Make every Step Functions wait follow ``clock`` (``None``: wall time, as moto does); ``on_end`` hears
    of each execution's final status as it is set."""
    _state.clock = clock
    _state.on_end = on_end
    with _state.lock:
        # Executions of a previous moto context are gone with it (their threads wait on a stopped clock).
        _state.parked.clear()


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


# --- the patches -------------------------------------------------------------------------------------------


def install() -> None:
    """Patch moto's interpreter once per process (idempotent); waits follow the clock set by ``use_clock``."""
    with _state.lock:
        if _state.installed:
            return
        check_version()
        _patch_retry()
        _patch_wait_state()
        _patch_task_timeout()
        _patch_callbacks()
        _patch_events_errors()
        _patch_execution_end()
        _patch_heartbeat_error()
        _state.installed = True


def _patch_retry() -> None:
    def _eval_body(self: Any, env: Any) -> None:
        # moto 5.2.5's RetrierDecl._eval_body, with the sleep on the clock.
        self.error_equals.eval(env)
        if not env.stack.pop():
            env.stack.append(RetrierOutcome.Skipped)
            return
        self.max_attempts.eval(env=env)
        if env.stack.pop() == MaxAttemptsOutcome.EXHAUSTED:
            env.stack.append(RetrierOutcome.Failed)
            return
        self.interval_seconds.eval(env=env)
        self.backoff_rate.eval(env=env)
        self.max_delay_seconds.eval(env=env)
        self.jitter_strategy.eval(env=env)
        interval_seconds: float = env.stack.pop()
        clock_sleep(interval_seconds, _Parking(_execution_arn(env)))
        env.stack.append(RetrierOutcome.Executed)

    _replace(retrier_decl.RetrierDecl, "_eval_body", _eval_body)


def _patch_wait_state() -> None:
    def _wait_interval(_self: Any, env: Any, wait_seconds: int) -> None:
        if wait_seconds <= 0:
            return
        # Ends when the clock passes, or when the execution stops (moto sets program_state_event then).
        wait_on_clock(
            env.program_state_event,
            wait_seconds,
            done=lambda: not env.is_running(),
            parking=_Parking(_execution_arn(env)),
            label="step functions Wait state",
        )

    _replace(wait_function.WaitFunction, "_wait_interval", _wait_interval)

    original_get_wait_seconds = timestamp.Timestamp._get_wait_seconds

    def _get_wait_seconds(self: Any, env: Any) -> int:
        clock = _state.clock
        if clock is None:
            return int(original_get_wait_seconds(self, env))
        self.string.eval(env=env)
        timestamp_str: str = env.stack.pop()
        moment = self._from_timestamp_string(timestamp=timestamp_str)
        if moment is None:
            raise FailureEventException(self._create_failure_event(env, timestamp_str))
        # ASL timestamps are UTC; moto compares them with the machine's local time.
        return int(moment.replace(tzinfo=dt.UTC).timestamp() - clock.now())

    _replace(timestamp.Timestamp, "_get_wait_seconds", _get_wait_seconds)


class _ClockEvent(threading.Event):
    """An Event whose timed ``wait`` counts the seconds on the local clock (for a task's TimeoutSeconds)."""

    def wait(self, timeout: float | None = None) -> bool:
        if _state.clock is None:
            return super().wait(timeout)
        return wait_on_clock(self, timeout, label="step functions task timeout")


def _patch_task_timeout() -> None:
    # ExecutionState._evaluate_with_timeout waits for its worker with `threading.Event().wait(TimeoutSeconds)`.
    _replace(execute_state, "threading", types.SimpleNamespace(Event=_ClockEvent))


def _patch_callbacks() -> None:
    endpoint = callback_module.CallbackEndpoint
    heartbeat = callback_module.HeartbeatEndpoint

    def wait(self: Any, timeout: float | None = None) -> Any:
        parking = _Parking(getattr(_state.local, "execution_arn", None))
        self._localcloud_parking = parking
        wait_on_clock(self._notify_event, timeout, parking=parking, label="step functions task token")
        return self._outcome

    original_notify = endpoint.notify
    original_interrupt = endpoint.interrupt_all

    def notify(self: Any, outcome: Any) -> None:
        _release(self)
        original_notify(self, outcome)

    def interrupt_all(self: Any) -> None:
        _release(self)
        original_interrupt(self)

    _replace(endpoint, "wait", wait)
    _replace(endpoint, "notify", notify)
    _replace(endpoint, "interrupt_all", interrupt_all)

    def clear_and_wait(self: Any) -> bool:
        with self._mutex:
            if self._next_heartbeat_event.is_set():
                self._next_heartbeat_event.clear()
                return True
        parking = _Parking(getattr(_state.local, "execution_arn", None))
        self._localcloud_parking = parking
        return wait_on_clock(
            self._next_heartbeat_event, self._heartbeat_seconds, parking=parking, label="step functions heartbeat"
        )

    original_heartbeat_notify: Callable[[Any], None] = heartbeat.notify

    def heartbeat_notify(self: Any) -> None:
        _release(self)
        original_heartbeat_notify(self)

    _replace(heartbeat, "clear_and_wait", clear_and_wait)
    _replace(heartbeat, "notify", heartbeat_notify)

    callback_task = state_task_service_callback.StateTaskServiceCallback
    original_eval_wait = callback_task._eval_wait_for_task_token

    def _eval_wait_for_task_token(self: Any, env: Any, *args: Any, **kwargs: Any) -> Any:
        with _waiting_for_token(env):
            return original_eval_wait(self, env, *args, **kwargs)

    _replace(callback_task, "_eval_wait_for_task_token", _eval_wait_for_task_token)


def _release(waitable: Any) -> None:
    parking = getattr(waitable, "_localcloud_parking", None)
    if parking is not None:
        parking.release()


def _patch_heartbeat_error() -> None:
    """A missed heartbeat is ``States.HeartbeatTimeout`` on AWS; moto reports ``States.Timeout``."""
    callback_task = state_task_service_callback.StateTaskServiceCallback
    original = callback_task._from_error

    def _from_error(self: Any, env: Any, ex: Exception) -> FailureEvent:
        if not isinstance(ex, callback_module.HeartbeatTimeoutError):
            return original(self, env, ex)
        error = StatesErrorNameType.StatesHeartbeatTimeout
        return FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=error),
            event_type=HistoryEventType.TaskTimedOut,
            event_details=cast(
                EventDetails,
                {
                    "taskTimedOutEventDetails": TaskTimedOutEventDetails(
                        resourceType=self._get_sfn_resource_type(),
                        resource=self._get_sfn_resource(),
                        error=error.to_name(),
                    )
                },
            ),
        )

    _replace(callback_task, "_from_error", _from_error)


def _patch_execution_end() -> None:
    communication = execution_module.BaseExecutionWorkerCommunication
    original = communication.terminated

    def terminated(self: Any) -> None:
        original(self)
        listener = _state.on_end
        if listener is not None:
            listener(str(self.execution.execution_arn), str(self.execution.status))

    _replace(communication, "terminated", terminated)


def _patch_events_errors() -> None:
    original = StateTaskServiceEvents._from_error

    def _from_error(self: Any, env: Any, ex: Exception) -> FailureEvent:
        if not isinstance(ex, ClientError):
            return original(self, env, ex)
        code = str(ex.response.get("Error", {}).get("Code", "EventBridgeException"))
        error = f"EventBridge.{code}"
        cause = json.dumps({"message": ex.response.get("Error", {}).get("Message", str(ex)), "errorCode": code})
        return FailureEvent(
            env=env,
            error_name=CustomErrorName(error),
            event_type=HistoryEventType.TaskFailed,
            event_details=cast(
                EventDetails,
                {
                    "taskFailedEventDetails": TaskFailedEventDetails(
                        error=error,
                        cause=cause,
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                    )
                },
            ),
        )

    _replace(StateTaskServiceEvents, "_from_error", _from_error)


def _replace(owner: object, attribute: str, replacement: Any) -> None:
    """Swap one attribute of a moto class or module for its clock-following version."""
    setattr(owner, attribute, replacement)
