"""The local cloud: the real program deployed into moto, the real handlers run when their triggers fire.

    with LocalCloud.boot("dev") as cloud:
        response = cloud.api.request("POST", "/orders", body={...})
        cloud.wait_idle()

``boot`` installs the process hooks (``process_hooks.py``), deploys ``__main__.py`` into a fresh ``mock_aws``
context through ``MotoMocks`` (``provision/``), loads every function in its own sandbox, and starts the machinery
moto lacks, each part in a module of its own on the shared ``Runtime``: SQS pollers (``pollers.py``) and stream
pollers (``streams.py``) for the event-source mappings, the asynchronous invoker (``async_invoke.py``), rule and
schedule targets (``targets.py``), alarms (``alarms.py``), the API (``api.py``), and the clock that releases
retries. Everything that waits, waits on the clock, so tests advance it instead of sleeping.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from devtools.program import (
    ACCOUNT_ID,
    RecordedResource,
    deferred_cycle_collection,
    load_stack_config,
)
from localcloud import (
    archive,
    boot_heap,
    deploy_cache,
    faults,
    iam,
    moto_patches,
    shop,
    stepfunctions,
)
from localcloud.alarms import AlarmEvaluator
from localcloud.api import LocalApi
from localcloud.async_invoke import AsyncInvoker
from localcloud.clients import Clients, shared_clients
from localcloud.clock import Clock
from localcloud.deployment import Deployment, QueueInfo
from localcloud.functions import LocalFunction
from localcloud.identity import LocalIdentity
from localcloud.idle import IdleCheck
from localcloud.pollers import POLL_WAIT_SECONDS, PollerGate, QueuePoller
from localcloud.process_hooks import ProcessHooks
from localcloud.runtime import Runtime
from localcloud.streams import StreamPoller
from localcloud.targets import TargetDelivery
from localcloud.trace import Trace
from localcloud.websocket import LocalWebSocketServer

#: The module-level function a handler reads the current time from when it schedules work (reminders).
CLOCK_HOOK = "now"
#: Threads running asynchronous invocations.
ASYNC_WORKERS = 2


class LocalCloud:
    """One deployed stack in one ``mock_aws`` context, with its runtime. Use ``LocalCloud.boot``.

    The composition root: it deploys the program, then builds the working parts (pollers, async invoker,
    target delivery, alarms, API) on the shared ``Runtime`` and what was deployed, and answers whether the
    whole is idle."""

    def __init__(
        self, stack: str, trace: Trace | None = None, clock: Clock | None = None, reuse_deployment: bool = True
    ) -> None:
        self.stack = stack
        #: Whether a boot may replay the run recorded by an earlier boot of the same program (``deploy_cache``).
        self.reuse_deployment = reuse_deployment
        #: How the last boot deployed: "cold" (the program evaluated) or "cached" (a recorded run replayed).
        self.boot_path = ""
        config = load_stack_config(stack)
        self.region = config.get("aws:region", "us-east-1")
        self.account = ACCOUNT_ID
        self.config = config
        self.trace = trace or Trace()
        self.clock = clock or Clock()
        self.recorder = iam.CallRecorder(self.region, self.account)
        self.clients: Clients = shared_clients(self.region)
        self.faults = faults.FaultInjector(lambda name: self.function(name).spec.name, self.clock.now)
        self.runtime = Runtime(
            self.region, self.account, self.clock, self.trace, self.clients, self.recorder, self.faults
        )
        self.runtime_lock = threading.RLock()
        self.hooks = ProcessHooks(self.region, self.clock, self.recorder, self.faults, self._wake_pollers)
        self._threads: list[threading.Thread] = []
        self.functions: dict[str, LocalFunction] = {}
        self.unprovisioned: list[RecordedResource] = []
        self.boot_seconds = 0.0
        #: Whether ``boot`` froze the heap (``boot_heap``); ``stop`` unfreezes it.
        self._heap_frozen = False
        self.gate = PollerGate(self._wake_pollers)
        self.pollers: list[QueuePoller] = []
        self.stream_pollers: list[StreamPoller] = []
        self.alarms: AlarmEvaluator
        self.deployment: Deployment
        self.invoker: AsyncInvoker
        self.targets: TargetDelivery
        self.api: LocalApi
        self.identity: LocalIdentity
        self.idle_check: IdleCheck
        #: The URLs clients use: "api" (the HTTP server), "websocket" (``serve_websocket``), "storefront".
        self.endpoints: dict[str, str] = {}
        self.websocket: LocalWebSocketServer | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    @classmethod
    def boot(
        cls, stack: str, trace: Trace | None = None, clock: Clock | None = None, reuse_deployment: bool = True
    ) -> LocalCloud:
        """Deploys ``stack`` and starts the cloud. ``reuse_deployment=False`` evaluates the program even when a
        recorded run of the same program could be replayed (it still records the run for later boots)."""
        cloud = cls(stack, trace, clock, reuse_deployment)
        with deferred_cycle_collection():
            cloud.start()
        cloud._heap_frozen = True
        boot_heap.freeze_after_boot()
        return cloud

    def start(self) -> None:
        started = time.perf_counter()
        self.hooks.install()
        try:
            deployed = deploy_cache.deploy(self.stack, self.config, self.clients, self.trace, self.reuse_deployment)
            run, self.boot_path = deployed.run, deployed.path
            self.unprovisioned = list(deployed.mocks.unprovisioned)
            self.deployment = Deployment.read(run, self.region)
            for spec in self.deployment.functions.values():
                self.functions[spec.name] = LocalFunction(spec, self.region, self.runtime_lock, self.recorder)
                self._on_the_clock(self.functions[spec.name])
                self.functions[spec.name].before_run = self.faults.before_invocation
            self.invoker = AsyncInvoker(self.runtime, self.deployment, self.functions)
            self.targets = TargetDelivery(self.runtime, self.deployment, self.invoker.invoke)
            moto_patches.set_target_hook(self.targets.deliver)
            # Retry, Wait, task timeouts and task tokens wait on the clock; a parked execution is not busy.
            stepfunctions.use_clock(self.clock, self.targets.execution_ended)
            self.api = LocalApi(self)
            self.identity = LocalIdentity(run, self.clients("cognito-idp"), self.region)
            self.alarms = AlarmEvaluator(self.runtime, run)
        except BaseException:
            self.hooks.remove()
            raise
        types = sorted({resource.typ for resource in self.unprovisioned})
        self.trace.add(
            "deploy",
            self.stack,
            f"{len(run.custom_resources)} resources in moto, {len(self.functions)} functions"
            + (f"; NOT provisioned (recorded only): {', '.join(types)}" if types else ""),
        )
        self.runtime.running = True
        self.clock.watch(self.targets.fire_due_schedules)
        self.clock.watch(self.alarms.on_clock)
        self.clock.start()
        self._start_workers()
        self.boot_seconds = time.perf_counter() - started

    def _start_workers(self) -> None:
        for mapping in self.deployment.mappings:
            poller = QueuePoller(self, mapping)
            self.pollers.append(poller)
            for index in range(max(1, mapping.maximum_concurrency)):
                self._spawn(poller.run, f"poller-{mapping.function}-{index}")
        for stream_mapping in self.deployment.stream_mappings:
            function = self.functions[stream_mapping.function]
            stream_poller = StreamPoller(self.runtime, stream_mapping, function, self.deployment.queues)
            self.stream_pollers.append(stream_poller)
            self._spawn(stream_poller.run, f"stream-poller-{stream_mapping.function}")
        for index in range(ASYNC_WORKERS):
            self._spawn(self.invoker.run_worker, f"async-invoker-{index}")
        self.idle_check = IdleCheck(self.runtime, self.invoker, self.pollers, self.stream_pollers)

    def serve_websocket(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve the program's WebSocket API (``localcloud/websocket.py``); returns and records its URL."""
        if self.websocket is None:
            self.websocket = LocalWebSocketServer(self)
            self.endpoints["websocket"] = self.websocket.start(host, port)
        return self.endpoints["websocket"]

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
        if not self.runtime.running:
            return
        self.runtime.running = False
        for poller in self.pollers:
            poller.wake()  # a poller waiting for messages returns now, not at its next look
        moto_patches.stream_appends.wake_all()  # and a stream poller waiting for a record
        if self.websocket is not None:
            self.websocket.stop()
            self.websocket = None
            self.endpoints.pop("websocket", None)
        self.gate.open()
        for poller in self.pollers:
            poller.gate.open()
        for _ in range(ASYNC_WORKERS):
            self.invoker.stop_worker()
        self.clock.stop()
        for thread in self._threads:
            thread.join(timeout=POLL_WAIT_SECONDS + 5)
        self.hooks.remove()
        if self._heap_frozen:
            self._heap_frozen = False
            boot_heap.release_at_stop()

    def __enter__(self) -> LocalCloud:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.runtime.running

    # --- busy tracking and waiting ---------------------------------------------------------------

    def busy(self) -> contextlib.AbstractContextManager[None]:
        """Count the block as work in flight (``wait_idle`` waits for it)."""
        return self.runtime.busy()

    def idle(self) -> bool:
        """Nothing running, nothing queued, nothing visible in a mapped queue (parked retries excepted)."""
        return not self.busy_reasons()

    def busy_reasons(self) -> list[str]:
        """What keeps the cloud busy now (empty when it is idle): the first kind of work found."""
        return self.idle_check.reasons()

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Block until the cloud is idle (twice in a row); raise ``TimeoutError`` naming what is still busy."""
        if not self.idle_within(timeout):
            raise TimeoutError(f"the local cloud was still busy after {timeout}s: {'; '.join(self.busy_reasons())}")

    def idle_within(self, timeout: float) -> bool:
        """Whether the cloud turns idle (twice in a row, ``idle.SECOND_LOOK_SECONDS`` apart) within ``timeout`` s,
        returning once it does (``IdleCheck.idle_within``)."""
        return self.idle_check.idle_within(timeout)

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
        self._wake_pollers()  # a paused trigger's pollers stop waiting for its messages now
        return active

    def _wake_pollers(self) -> None:
        if not self.runtime.running:
            return
        for poller in self.pollers:
            poller.wake()

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

    # --- inspection ------------------------------------------------------------------------------

    def queue_messages(self, queue_name: str) -> list[dict[str, Any]]:
        return moto_patches.peek_queue(self.account, self.region, queue_name)

    def dead_letters(self) -> dict[str, list[dict[str, Any]]]:
        return {info.name: self.queue_messages(info.name) for info in self.deployment.dead_letter_queues()}

    def redrive(self, dead_letter_queue: str) -> int:
        """Move every message in ``dead_letter_queue`` back to the queue whose redrive policy sends there, as
        SQS's StartMessageMoveTask does without a destination; answer how many moved. The operator's step
        once the cause of the dead letters is gone."""
        dead = self.deployment.queue_by_name(dead_letter_queue)
        sources = [info for info in self.deployment.queues.values() if info.dead_letter_arn == dead.arn]
        if len(sources) != 1:
            raise ValueError(f"{dead_letter_queue} is the redrive target of {len(sources)} queues, not one")
        sqs = self.clients("sqs")
        moved = 0
        # The message attributes travel with the body: consumers may route or trace by them.
        receive = {"QueueUrl": dead.url, "MaxNumberOfMessages": 10, "MessageAttributeNames": ["All"]}
        while batch := sqs.receive_message(**receive).get("Messages", []):
            for message in batch:
                attributes = (
                    {"MessageAttributes": message["MessageAttributes"]} if "MessageAttributes" in message else {}
                )
                sqs.send_message(QueueUrl=sources[0].url, MessageBody=message["Body"], **attributes)
                sqs.delete_message(QueueUrl=dead.url, ReceiptHandle=message["ReceiptHandle"])
            moved += len(batch)
        self._wake_pollers()
        return moved

    def archived_events(self) -> list[dict[str, Any]]:
        """Every event the bus archive recorded (the program's EventArchive), oldest first."""
        return archive.archived_events(self.account, self.region, self.deployment.run)

    def expected_deliveries(self, target_arn: str) -> int:
        """How many deliveries the archived events owe ``target_arn``: one per (event, matching rule)."""
        return archive.owed_deliveries(self.deployment.run, self.archived_events(), target_arn)

    def bus_deliveries_processed(self, poller: QueuePoller) -> int:
        """Messages the poller's function processed that came from the bus (what ``expected_deliveries`` owes)."""
        return len(poller.processed - poller.direct)

    def invoke_async(self, function: str, payload: dict[str, Any], source: str = "invoke") -> None:
        """``InvocationType=Event``: queued, retried, sent to the function's destinations."""
        self.invoker.invoke(function, payload, source)

    @property
    def async_outcomes(self) -> dict[str, dict[str, int]]:
        """Per function, how its asynchronous events ended (``succeeded``, ``failed``, ``duplicate ...``)."""
        return self.invoker.outcomes

    # The shop's lookups (what they know of the program's names lives in shop.py).

    def function(self, name: str) -> LocalFunction:
        """A function by its full name or by its short name (``billing``)."""
        return self.functions[shop.function_name(self.functions, self.stack, name)]

    def poller(self, function: str) -> QueuePoller:
        """The SQS poller of a function, by its full or short name."""
        name = self.function(function).spec.name
        return next(poller for poller in self.pollers if poller.function.spec.name == name)

    def outbox_queue(self) -> QueueInfo | None:
        return shop.outbox_queue(self.deployment.queues.values())

    def outbox(self) -> list[dict[str, Any]]:
        """The customer notifications published so far (the outbox queue's messages)."""
        info = self.outbox_queue()
        return self.queue_messages(info.name) if info else []

    def missing_grants(self) -> list[iam.MissingGrant]:
        return iam.check_calls(self.recorder.calls, self.deployment.policies_by_principal())
