"""The local cloud: the real program deployed into moto, the real handlers run when their triggers fire.

    with LocalCloud.boot("dev") as cloud:
        response = cloud.api.request("POST", "/orders", body={...})
        cloud.wait_idle()

``boot`` starts a fresh ``mock_aws`` context, deploys ``__main__.py`` into it through ``MotoMocks``, loads
every function in its own sandbox, and starts the machinery moto lacks: SQS pollers for the event-source
mappings, the asynchronous invoker (retries, maximum event age, destinations), the delivery of rule
targets moto cannot deliver, and the clock that releases retries. Everything that waits, waits on the
clock, so tests advance it instead of sleeping.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import queue as queue_module
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from moto import mock_aws
from moto.utilities.arns import parse_arn

from devtools.program import (
    ACCOUNT_ID,
    ROOT,
    RecordedResource,
    deferred_cycle_collection,
    load_stack_config,
    project_name,
    run_program,
)
from localcloud import (
    botocore_cache,
    direct,
    faults,
    iam,
    moto_patches,
    queue_clock,
    stepfunctions,
    stepfunctions_patches,
)
from localcloud.alarms import AlarmEvaluator
from localcloud.api import LocalApi
from localcloud.clock import Clock
from localcloud.deployment import AsyncConfig, Deployment, QueueInfo
from localcloud.functions import Invocation, LocalFunction
from localcloud.pollers import POLL_WAIT_SECONDS, PollerGate, QueuePoller
from localcloud.provision import Clients, MotoMocks
from localcloud.streams import StreamPoller
from localcloud.trace import Trace, order_id_of

#: Lambda's async retry back-off: the first retry after a minute, the second after two.
ASYNC_RETRY_DELAYS = (60.0, 120.0)
#: The module-level function a handler reads the current time from when it schedules work (reminders).
CLOCK_HOOK = "now"


@dataclass
class AsyncEvent:
    function: str
    payload: dict[str, Any]
    first_seen: float
    source: str
    attempts: int = 0
    #: A second delivery of the same event (fault injection): counted apart from the books.
    duplicate: bool = False


class LocalCloud:
    """One deployed stack in one ``mock_aws`` context, with its runtime. Use ``LocalCloud.boot``."""

    def __init__(self, stack: str, trace: Trace | None = None, clock: Clock | None = None) -> None:
        self.stack = stack
        config = load_stack_config(stack)
        self.region = config.get("aws:region", "us-east-1")
        self.account = ACCOUNT_ID
        self.config = config
        self.trace = trace or Trace()
        self.clock = clock or Clock()
        self.recorder = iam.CallRecorder(self.region, self.account)
        self.runtime_lock = threading.RLock()
        self._mock = mock_aws(
            config={"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}
        )
        self._threads: list[threading.Thread] = []
        self._running = False
        self._async_queue: queue_module.Queue[AsyncEvent | None] = queue_module.Queue()
        self._busy = 0
        self._busy_lock = threading.Lock()
        self.functions: dict[str, LocalFunction] = {}
        self.unprovisioned: list[RecordedResource] = []
        self.boot_seconds = 0.0
        self._saved_env: dict[str, str] = {}
        self.gate = PollerGate()
        self.pollers: list[QueuePoller] = []
        self.stream_pollers: list[StreamPoller] = []
        self.async_outcomes: dict[str, dict[str, int]] = {}
        self._schedule_lock = threading.Lock()
        self.faults = faults.FaultInjector(lambda name: self.function(name).spec.name, self.clock.now)
        self.alarms: AlarmEvaluator
        #: Executions the cloud started (rule targets), with the order each is about.
        self._executions: dict[str, str | None] = {}
        self.clients: Clients
        self.deployment: Deployment
        self.api: LocalApi

    # --- lifecycle ------------------------------------------------------------------------------

    @classmethod
    def boot(cls, stack: str, trace: Trace | None = None, clock: Clock | None = None) -> LocalCloud:
        cloud = cls(stack, trace, clock)
        with deferred_cycle_collection():
            cloud.start()
        return cloud

    def start(self) -> None:
        started = time.perf_counter()
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        moto_patches.install()
        stepfunctions_patches.install()
        botocore_cache.install()
        # moto logs every failed state machine execution with its whole parsed definition; the trace already
        # records each execution's status (`execution FAILED`), so keep the console readable.
        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        iam.install(self.recorder)
        faults.install(self.faults)
        queue_clock.install(self.clock, self._wake_pollers)
        # Invocations leave their functions' variables in os.environ (removing them while other threads read
        # the environment is not safe); the whole environment is put back once the cloud has stopped.
        self._saved_env = dict(os.environ)
        os.environ.update({"AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region})
        self._mock.start()
        moto_patches.set_target_hook(self._deliver_to_target)
        # Retry, Wait, task timeouts and task tokens wait on the clock; a parked execution is not busy.
        stepfunctions.use_clock(self.clock, self._execution_ended)
        try:
            self.clients = Clients(self.region)
            mocks = MotoMocks(self.stack, self.region, self.clients)
            run = run_program(self.stack, mocks=mocks, config=self.config)
            self.unprovisioned = list(mocks.unprovisioned)
            self.deployment = Deployment.read(run, self.region)
            for spec in self.deployment.functions.values():
                self.functions[spec.name] = LocalFunction(spec, self.region, self.runtime_lock, self.recorder)
                self._on_the_clock(self.functions[spec.name])
                self.functions[spec.name].before_run = self.faults.before_invocation
            self.api = LocalApi(self)
            self.alarms = AlarmEvaluator(self)
        except BaseException:
            self._stop_mock()
            raise
        types = sorted({resource.typ for resource in self.unprovisioned})
        self.trace.add(
            "deploy",
            self.stack,
            f"{len(run.custom_resources)} resources in moto, {len(self.functions)} functions"
            + (f"; NOT provisioned (recorded only): {', '.join(types)}" if types else ""),
        )
        self._running = True
        self.clock.watch(self._fire_due_schedules)
        self.clock.watch(self.alarms.on_clock)
        self.clock.start()
        for mapping in self.deployment.mappings:
            poller = QueuePoller(self, mapping)
            self.pollers.append(poller)
            for index in range(max(1, mapping.maximum_concurrency)):
                self._spawn(poller.run, f"poller-{mapping.function}-{index}")
        for stream_mapping in self.deployment.stream_mappings:
            stream_poller = StreamPoller(self, stream_mapping)
            self.stream_pollers.append(stream_poller)
            self._spawn(stream_poller.run, f"stream-poller-{stream_mapping.function}")
        for index in range(2):
            self._spawn(self._async_worker, f"async-invoker-{index}")
        self.boot_seconds = time.perf_counter() - started

    def _on_the_clock(self, function: LocalFunction) -> None:
        """A handler module with a ``now()`` (the time it schedules from) reads the local clock instead, so
        what it schedules falls due when the clock, not the wall, passes it."""
        if callable(getattr(function.module, CLOCK_HOOK, None)):
            setattr(function.module, CLOCK_HOOK, lambda: dt.datetime.fromtimestamp(self.clock.now(), dt.UTC))

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        self.gate.open()
        for poller in self.pollers:
            poller.gate.open()
        for _ in range(len(self._threads)):
            self._async_queue.put(None)
        self.clock.stop()
        for thread in self._threads:
            thread.join(timeout=POLL_WAIT_SECONDS + 5)
        self._stop_mock()

    def _stop_mock(self) -> None:
        moto_patches.set_target_hook(None)
        faults.install(None)
        queue_clock.uninstall(self.clock)
        stepfunctions.use_clock(None)
        self._mock.stop()
        for key in [key for key in os.environ if key not in self._saved_env]:
            os.environ.pop(key, None)
        os.environ.update(self._saved_env)

    def __enter__(self) -> LocalCloud:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._running

    # --- busy tracking and waiting ---------------------------------------------------------------

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        with self._busy_lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._busy_lock:
                self._busy -= 1

    def idle(self) -> bool:
        """Nothing running, nothing queued, nothing visible in a mapped queue (parked retries excepted)."""
        return not self.busy_reasons()

    def busy_reasons(self) -> list[str]:
        """What keeps the cloud busy now (empty when it is idle): the first kind of work found."""
        for check in (self._work_running, self._messages_waiting, self._executions_running, self._work_running):
            reasons = check()
            if reasons:
                return reasons
        return []

    def _work_running(self) -> list[str]:
        with self._busy_lock:
            if self._busy:
                return [f"{self._busy} deliveries or invocations running"]
            # Counted until task_done(): an event the worker has taken but not yet started is still work.
            return ["asynchronous invocations queued"] if self._async_queue.unfinished_tasks else []

    def _messages_waiting(self) -> list[str]:
        for poller in self.pollers:
            if poller.gate.closed or self.faults.paused_until(poller.function.spec.name) is not None:
                continue  # a held or paused consumer's queue fills on purpose (a timer marks a pause's end)
            info = poller.queue
            if queue_clock.visible_messages(self.account, self.region, info.name):
                return [f"messages visible in {info.name}"]
        if any(poller.pending() for poller in self.stream_pollers):
            return ["stream records not yet handled"]
        return [f"a poller holds messages of {poller.queue.name}" for poller in self.pollers if poller.holding()]

    def _executions_running(self) -> list[str]:
        # An execution waiting on the clock or for its task token is parked, not busy.
        return [f"execution running: {arn}" for arn in stepfunctions.busy_executions(self.account, self.region)]

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Block until the cloud is idle (twice in a row); raise ``TimeoutError`` naming what is still busy."""
        deadline = time.monotonic() + timeout
        streak = 0
        while time.monotonic() < deadline:
            streak = streak + 1 if self.idle() else 0
            if streak >= 2:
                return
            time.sleep(0.02)
        raise TimeoutError(f"the local cloud was still busy after {timeout}s: {'; '.join(self.busy_reasons())}")

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise TimeoutError(f"{what} did not hold within {timeout}s")

    @contextlib.contextmanager
    def pollers_paused(self, *functions: str) -> Iterator[None]:
        """Hold every SQS poller (messages pile up in the queues) until the block ends; with function names,
        hold only theirs: their queues fill and age while the rest of the cloud runs and can be idle."""
        if not functions:
            self.gate.close(threads=sum(max(1, m.maximum_concurrency) for m in self.deployment.mappings))
            try:
                yield
            finally:
                self.gate.open()
            return
        held = [self.poller(name) for name in functions]
        for poller in held:
            poller.gate.close(threads=max(1, poller.mapping.maximum_concurrency))
        try:
            yield
        finally:
            for poller in held:
                poller.gate.open()

    def set_faults(self, document: Any) -> faults.FaultSet:
        """Replace the active fault set (``FaultSetError`` names every problem); a pause puts its end on the
        clock, so ``settle`` advances to it."""
        active = self.faults.configure(document)
        for fault in active.faults:
            if fault.kind == "pause":
                self.clock.call_later(fault.seconds, self._wake_pollers, f"pause of {fault.function} ends")
        self.trace.add("faults", "local cloud", json.dumps(active.as_dict()))
        return active

    def _wake_pollers(self) -> None:
        if not self._running:
            return
        for mapping in self.deployment.mappings:
            moto_patches.wake_pollers(self.account, self.region, self.deployment.queues[mapping.queue_arn].name)

    def advance(self, seconds: float) -> None:
        """Move the clock (releases parked retries, fires schedules) and wait for what that started."""
        self.clock.advance(seconds)
        self.wait_idle()

    def settle(self, max_rounds: int = 20) -> None:
        """Run until idle, advancing the clock over parked retries until none is left (or rounds run out)."""
        for _ in range(max_rounds):
            self.wait_idle()
            due = self.clock.next_due()
            if due is None:
                return
            self.clock.advance(max(0.0, due - self.clock.now()) + 0.001)
        self.wait_idle()

    # --- EventBridge Scheduler (moto stores schedules and never fires them) ---------------------------

    def _fire_due_schedules(self, now: float) -> None:
        """Fire every one-time ``at(...)`` schedule the clock has passed, as the Scheduler would.

        Only the EventBridge PutEvents universal target is implemented (what the shop uses); a schedule
        whose put fails goes to its target's DLQ. ``ActionAfterCompletion: DELETE`` deletes it afterwards.
        """
        if not self._running:
            return
        with self._schedule_lock:
            for schedule in direct.schedules(self.account, self.region):  # the Scheduler's own reads
                due = _at_time(str(schedule.get("ScheduleExpression", "")))
                if due is None or due > now or schedule.get("State") == "DISABLED":
                    continue
                self._fire_schedule(schedule)
                if schedule.get("ActionAfterCompletion") == "DELETE":
                    direct.delete_schedule(self.account, self.region, schedule["GroupName"], schedule["Name"])

    def _fire_schedule(self, schedule: Mapping[str, Any]) -> None:
        target = schedule["Target"]
        parameters = target.get("EventBridgeParameters") or {}
        detail = str(target.get("Input") or "{}")
        where = f"schedule {schedule['Name']}"
        try:
            response = self.clients("events").put_events(
                Entries=[
                    {
                        "EventBusName": target["Arn"],
                        "Source": parameters["Source"],
                        "DetailType": parameters["DetailType"],
                        "Detail": detail,
                    }
                ]
            )
            if response.get("FailedEntryCount"):
                raise RuntimeError(str(response["Entries"]))
            self.trace.add("deliver", where, f"{parameters['DetailType']} -> {target['Arn']}", order_id_of(detail))
        except Exception as error:
            self.trace.add("dead-letter", where, f"delivery failed: {error}", order_id_of(detail))
            dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
            if dead_letter:
                url = self.clients("sqs").get_queue_url(QueueName=dead_letter.rsplit(":", 1)[-1])["QueueUrl"]
                self.clients("sqs").send_message(QueueUrl=url, MessageBody=detail)

    # --- rule targets moto does not deliver --------------------------------------------------------

    def _deliver_to_target(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
        arn = parse_arn(target["Arn"])
        order_id = order_id_of(event)
        where = f"rule {rule.name}"
        if arn.service == "lambda":
            function = self.deployment.function_by_arn(target["Arn"])
            if not self.deployment.allows_invoke(function, "events.amazonaws.com", rule.arn):
                self.trace.add("dead-letter", where, f"no permission for events to invoke {function.name}", order_id)
                self._to_target_dead_letter(target, event, "NO_PERMISSIONS")
                return
            self.trace.add("deliver", where, f"{event.get('detail-type')} -> {function.name} (async)", order_id)
            self.invoke_async(function.name, event, f"rule {rule.name}")
            return
        self.trace.add("deliver", where, f"{event.get('detail-type')} -> {target['Arn']}", order_id)
        self._spawn_delivery(target, event)

    def _spawn_delivery(self, target: dict[str, Any], event: dict[str, Any]) -> None:
        """SNS and Step Functions targets, delivered off the caller's thread (moto is mid-request)."""

        def deliver() -> None:
            try:
                arn = parse_arn(target["Arn"])
                body = json.dumps(event)
                if arn.service == "sns":
                    self.clients("sns").publish(TopicArn=target["Arn"], Message=body)
                elif arn.service == "states":
                    # EventBridge names executions itself (a fresh uuid), so a duplicate event starts a second one.
                    execution = self.clients("stepfunctions").start_execution(
                        stateMachineArn=target["Arn"], input=body, name=str(uuid.uuid4())
                    )["executionArn"]
                    self._executions[execution] = order_id_of(event)
            except Exception as error:
                self.trace.add("dead-letter", target["Arn"], f"delivery failed: {error}", order_id_of(event))
                self._to_target_dead_letter(target, event, type(error).__name__)
            finally:
                with self._busy_lock:
                    self._busy -= 1

        with self._busy_lock:
            self._busy += 1  # counted from now, so the cloud is never idle between the event and its delivery
        threading.Thread(target=deliver, name="target-delivery", daemon=True).start()

    def _execution_ended(self, execution_arn: str, status: str) -> None:
        order_id = self._executions.pop(execution_arn, None)
        self.trace.add("result", execution_arn.split(":")[-2], f"execution {status}", order_id)

    def _to_target_dead_letter(self, target: Mapping[str, Any], event: Mapping[str, Any], code: str) -> None:
        dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not dead_letter:
            return
        info = self.deployment.queues[dead_letter]
        self.clients("sqs").send_message(
            QueueUrl=info.url,
            MessageBody=json.dumps(event),
            MessageAttributes={
                "ERROR_CODE": {"DataType": "String", "StringValue": code},
                "RULE_ARN": {"DataType": "String", "StringValue": str(target["Arn"])},
            },
        )

    # --- asynchronous invocation -----------------------------------------------------------------

    def invoke_async(self, function: str, payload: dict[str, Any], source: str = "invoke") -> None:
        """``InvocationType=Event``: queued, retried, sent to the function's destinations."""
        self._async_queue.put(AsyncEvent(function, payload, self.clock.now(), source))
        if self.faults.duplicate(function):
            self.trace.add("duplicate", function, f"async event from {source} delivered twice", order_id_of(payload))
            self._async_queue.put(AsyncEvent(function, payload, self.clock.now(), source, duplicate=True))

    def _async_worker(self) -> None:
        while True:
            item = self._async_queue.get()
            if item is None:
                return
            try:
                with self.busy():
                    self._run_async(item)
            except Exception as error:  # the invoker must survive anything a destination does
                self.trace.add("error", item.function, f"async invoker: {type(error).__name__}: {error}")
            finally:
                self._async_queue.task_done()

    def _count(self, function: str, outcome: str, duplicate: bool = False) -> None:
        if duplicate:
            outcome = f"duplicate {outcome}"  # the books count each owed event once
        with self._busy_lock:
            counts = self.async_outcomes.setdefault(function, {})
            counts[outcome] = counts.get(outcome, 0) + 1

    def _run_async(self, item: AsyncEvent) -> None:
        config = self.deployment.async_configs.get(item.function, AsyncConfig())
        order_id = order_id_of(item.payload)
        paused_until = self.faults.paused_until(item.function)
        if paused_until is not None:
            self.trace.add(
                "paused", item.function, f"async event waits until the clock reaches {paused_until:.0f}", order_id
            )
            self.clock.call_at(paused_until, lambda: self._async_queue.put(item), f"paused {item.function}")
            return
        if self.clock.now() - item.first_seen > config.maximum_event_age_seconds:
            self.trace.add("dead-letter", item.function, "maximum event age exceeded", order_id)
            self._count(item.function, "failed", item.duplicate)
            self._destination(item, config.on_failure, "EventAgeExceeded", None)
            return
        item.attempts += 1
        function = self.functions[item.function]
        self.trace.add("invoke", item.function, f"async attempt {item.attempts} ({item.source})", order_id)
        result = function.invoke(item.payload)
        if result.ok:
            self.trace.add("result", item.function, f"ok in {result.duration_ms:.0f} ms", order_id)
            self._count(item.function, "succeeded", item.duplicate)
            self._destination(item, config.on_success, "Success", result)
            return
        self.trace.add("error", item.function, f"{result.error_type}: {result.error_message}", order_id)
        if item.attempts <= config.maximum_retry_attempts:
            delay = ASYNC_RETRY_DELAYS[min(item.attempts - 1, len(ASYNC_RETRY_DELAYS) - 1)]
            self.trace.add("retry", item.function, f"retry {item.attempts} in {delay:.0f} s (clock)", order_id)
            self.clock.call_later(delay, lambda: self._async_queue.put(item), f"async retry {item.function}")
            return
        self.trace.add("dead-letter", item.function, f"retries exhausted after {item.attempts} attempts", order_id)
        self._count(item.function, "failed", item.duplicate)
        self._destination(item, config.on_failure, "RetriesExhausted", result)

    def _destination(
        self, item: AsyncEvent, destination: str | None, condition: str, result: Invocation | None
    ) -> None:
        if not destination:
            return
        function = self.deployment.functions[item.function]
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": dt.datetime.fromtimestamp(self.clock.now(), dt.UTC).isoformat(timespec="milliseconds"),
            "requestContext": {
                "requestId": result.request_id if result else str(uuid.uuid4()),
                "functionArn": f"{function.arn}:$LATEST",
                "condition": condition,
                "approximateInvokeCount": item.attempts,
            },
            "requestPayload": item.payload,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        }
        if result is not None:
            if result.ok:
                record["responsePayload"] = result.payload
            else:
                record["responseContext"]["functionError"] = "Unhandled"
                record["responsePayload"] = result.error_payload()
        arn = parse_arn(destination)
        body = json.dumps(record, default=str)
        # Lambda sends to destinations with the function's execution role: recorded as the function's calls.
        with self.recorder.acting_as(function.name):
            if arn.service == "sqs":
                self.clients("sqs").send_message(QueueUrl=self.deployment.queues[destination].url, MessageBody=body)
            elif arn.service == "events":
                detail_type = (
                    f"Lambda Function Invocation Result - {'Success' if condition == 'Success' else 'Failure'}"
                )
                self.clients("events").put_events(
                    Entries=[
                        {"Source": "lambda", "DetailType": detail_type, "Detail": body, "EventBusName": destination}
                    ]
                )
            elif arn.service == "sns":
                self.clients("sns").publish(TopicArn=destination, Message=body)
            elif arn.service == "lambda":
                self.invoke_async(self.deployment.function_by_arn(destination).name, record, "destination")
        self.trace.add("destination", function.name, f"{condition} -> {destination}", order_id_of(item.payload))

    # --- inspection ------------------------------------------------------------------------------

    def queue_messages(self, queue_name: str) -> list[dict[str, Any]]:
        return moto_patches.peek_queue(self.account, self.region, queue_name)

    def dead_letters(self) -> dict[str, list[dict[str, Any]]]:
        return {info.name: self.queue_messages(info.name) for info in self.deployment.dead_letter_queues()}

    def archived_events(self) -> list[dict[str, Any]]:
        """Every event the bus archive recorded (the program's EventArchive), oldest first."""
        events: list[dict[str, Any]] = []
        for archive in self.deployment.run.of_type("aws:cloudwatch/eventArchive:EventArchive"):
            events += moto_patches.archived_events(self.account, self.region, archive.outputs["name"])
        return events

    def expected_deliveries(self, target_arn: str) -> int:
        """How many deliveries the archived events owe ``target_arn``: one per (event, matching rule)."""
        rules = {
            r.outputs["name"]: r.inputs.get("eventPattern")
            for r in self.deployment.run.of_type("aws:cloudwatch/eventRule:EventRule")
        }
        owed = [
            rules[str(t.inputs["rule"])]
            for t in self.deployment.run.of_type("aws:cloudwatch/eventTarget:EventTarget")
            if t.inputs.get("arn") == target_arn
        ]
        return sum(
            1 for event in self.archived_events() for pattern in owed if moto_patches.pattern_matches(pattern, event)
        )

    def bus_deliveries_processed(self, poller: QueuePoller) -> int:
        """Messages the poller's function processed that came from the bus (what ``expected_deliveries`` owes)."""
        return len(poller.processed - poller.direct)

    def poller(self, function_suffix: str) -> QueuePoller:
        name = self.function(function_suffix).spec.name
        return next(poller for poller in self.pollers if poller.function.spec.name == name)

    def outbox_queue(self) -> QueueInfo | None:
        for info in self.deployment.queues.values():
            if info.name.endswith("-customer-notifications-outbox"):
                return info
        return None

    def outbox(self) -> list[dict[str, Any]]:
        info = self.outbox_queue()
        return self.queue_messages(info.name) if info else []

    def function(self, name_suffix: str) -> LocalFunction:
        """A function by its full name or by the part after ``<project>-<stack>-``."""
        for name, function in self.functions.items():
            if name in (name_suffix, f"{project_name()}-{self.stack}-{name_suffix}"):
                return function
        raise KeyError(f"no function {name_suffix!r}; have {sorted(self.functions)}")

    def missing_grants(self) -> list[iam.MissingGrant]:
        return iam.check_calls(self.recorder.calls, self.deployment.policies_by_principal())


def _at_time(expression: str) -> float | None:
    """Epoch seconds of a one-time ``at(yyyy-mm-ddThh:mm:ss)`` expression (UTC), else None."""
    if not (expression.startswith("at(") and expression.endswith(")")):
        return None
    return dt.datetime.fromisoformat(expression[3:-1]).replace(tzinfo=dt.UTC).timestamp()
