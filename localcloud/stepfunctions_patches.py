"""The moto patches that put Step Functions on the local clock (moto 5.2.5): Retry intervals, Wait states,
task timeouts, task tokens and heartbeats wait through ``localcloud.stepfunctions``; heartbeat and
``events:putEvents`` errors are named as AWS names them. ``install()`` once per process; idempotent.
What each patch replaces and why: ``localcloud/stepfunctions.py``'s docstring.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import sys
import threading
import types
import zlib
from collections.abc import Callable
from typing import Any, cast

from botocore.exceptions import ClientError
from moto.core.models import botocore_stubber
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
from moto.stepfunctions.parser.asl.component.state.exec import execute_state
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_callback
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_events import (
    StateTaskServiceEvents,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function import timestamp, wait_function
from moto.stepfunctions.parser.asl.eval.callback import callback as callback_module
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils import boto_client
from moto.stepfunctions.parser.backend import execution as execution_module
from moto.stepfunctions.parser.backend import execution_worker

from localcloud.moto_patches import check_version
from localcloud.stepfunctions import (
    _execution_arn,
    _Parking,
    _state,
    _waiting_for_token,
    clock_sleep,
    program_copy,
    wait_on_clock,
)


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
        _patch_parse_once()
        _patch_client_reuse()
        _state.installed = True


def _patch_client_reuse() -> None:
    """moto's interpreter makes a new boto3 client for every task it runs (``boto_client_for``: a session, a
    service model, the hooks of every installed recorder); reuse one per (region, service) while a clock is
    in use. ``use_clock`` empties the cache at every cloud's start and stop, so each cloud's clients are
    made after its recorders (IAM by use, faults, metering) are installed."""
    original = boto_client.boto_client_for

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # moto 5.2.5 ignores state_credentials: every client it makes has access key "ak".
        if _state.clock is None:
            return original(region, service, state_credentials)
        key = (region, service, botocore_stubber.enabled)
        with _state.lock:
            client = _state.clients.get(key)
        if client is None:
            client = original(region, service)
            with _state.lock:
                client = _state.clients.setdefault(key, client)
        return client

    # Each task module imports the function by name: replace it in its module (for modules imported later)
    # and in every interpreter module that already imported it.
    _replace(boto_client, "boto_client_for", boto_client_for)
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if name.startswith("moto.stepfunctions.") and getattr(module, "boto_client_for", None) is original:
            _replace(module, "boto_client_for", boto_client_for)


def _patch_parse_once() -> None:
    """moto parses the definition again for every execution (ANTLR, tens of ms); parse each definition once
    and give every execution its own copy of the parsed program (``program_copy``), so no state is shared."""

    def _get_evaluation_entrypoint(self: Any) -> Any:
        return program_copy(self._evaluation_details.state_machine_details.definition)

    _replace(execution_worker.ExecutionWorker, "_get_evaluation_entrypoint", _get_evaluation_entrypoint)


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
        archive_history(self.execution)
        listener = _state.on_end
        if listener is not None:
            listener(str(self.execution.execution_arn), str(self.execution.status))

    _replace(communication, "terminated", terminated)


class ArchivedHistory:
    """A finished execution's event history, compressed: what GetExecutionHistory answers, never added to again
    (moto adds nothing once an execution has ended; StopExecution of an ended one changes nothing). moto keeps
    every execution, and a live history's JSON inputs and outputs were the bulk of what each order left behind
    (~60 KB an execution, about a tenth of that compressed)."""

    def __init__(self, events: list[Any]) -> None:
        self._blob = zlib.compress(pickle.dumps(events, protocol=pickle.HIGHEST_PROTOCOL))
        self.size = len(self._blob)

    def get_event_history(self) -> list[Any]:
        """A fresh copy each time, as moto's ``EventManager.get_event_history`` gives."""
        # The blob is this object's own pickle of moto's events, never input from outside the process.
        events: list[Any] = pickle.loads(zlib.decompress(self._blob))  # noqa: S301
        return events


def archive_history(execution: Any) -> None:
    """Swap an ended execution's live event manager for its compressed history."""
    env: Any = getattr(getattr(execution, "exec_worker", None), "env", None)
    manager = getattr(env, "event_manager", None)
    if manager is None or isinstance(manager, ArchivedHistory):
        return
    try:
        env.event_manager = _archived(manager)
    except (pickle.PicklingError, TypeError, AttributeError):
        return  # a history that does not pickle stays live: it costs memory, never an answer


def _archived(manager: Any) -> ArchivedHistory:
    """The manager's history, archived from its own event list: pickling only reads the list, and its pickle is
    what a deep copy's would be, so the whole history is not deep-copied first as ``get_event_history`` does.
    Under the manager's lock, as moto copies it. moto 5.2.5's private list and lock; else ``get_event_history``."""
    events, mutex = getattr(manager, "_history_event_list", None), getattr(manager, "_mutex", None)
    if not isinstance(events, list) or mutex is None:
        return ArchivedHistory(manager.get_event_history())
    with mutex:
        return ArchivedHistory(events)


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
