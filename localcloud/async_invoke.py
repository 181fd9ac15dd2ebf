"""Lambda's asynchronous invocation (``InvocationType=Event``) in the local cloud: the event queue, retries with
Lambda's back-off on the clock, the maximum event age, and the on-success / on-failure destinations (SQS, bus,
SNS, Lambda) with Lambda's record format. Faults: a paused function's events wait for the pause to end; a
duplicated event is queued twice and counted apart from the books.
"""

from __future__ import annotations

import datetime as dt
import json
import queue as queue_module
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from moto.utilities.arns import parse_arn

from localcloud.deployment import AsyncConfig, Deployment
from localcloud.functions import Invocation
from localcloud.runtime import Runtime
from localcloud.trace import order_id_of

#: Lambda's async retry back-off: the first retry after a minute, the second after two.
ASYNC_RETRY_DELAYS = (60.0, 120.0)


@dataclass
class AsyncEvent:
    function: str
    payload: dict[str, Any]
    first_seen: float
    source: str
    attempts: int = 0
    #: A second delivery of the same event (fault injection): counted apart from the books.
    duplicate: bool = False


class Invokable(Protocol):
    """A function the invoker can run (``LocalFunction`` is one)."""

    def invoke(self, event: Any) -> Invocation: ...


class AsyncInvoker:
    """The queue of asynchronous invocations and the workers that run them (``run_worker`` per thread)."""

    def __init__(self, runtime: Runtime, deployment: Deployment, functions: Mapping[str, Invokable]) -> None:
        self.runtime = runtime
        self.deployment = deployment
        self.functions = functions
        self._queue: queue_module.Queue[AsyncEvent | None] = queue_module.Queue()
        #: Per function, how many events ended how (``succeeded``, ``failed``, ``duplicate succeeded``...).
        self.outcomes: dict[str, dict[str, int]] = {}
        self._outcomes_lock = threading.Lock()

    def invoke(self, function: str, payload: dict[str, Any], source: str = "invoke") -> None:
        """``InvocationType=Event``: queued, retried, sent to the function's destinations."""
        now = self.runtime.clock.now()
        self._queue.put(AsyncEvent(function, payload, now, source))
        if self.runtime.faults.duplicate(function):
            trace = self.runtime.trace
            trace.add("duplicate", function, f"async event from {source} delivered twice", order_id_of(payload))
            self._queue.put(AsyncEvent(function, payload, now, source, duplicate=True))

    @property
    def queued(self) -> int:
        """Events queued or taken by a worker and not yet done (counted until ``task_done``, so an event between
        ``get()`` and its run is still work)."""
        return self._queue.unfinished_tasks

    def stop_worker(self) -> None:
        """Ask one worker to return once it reaches this point of the queue."""
        self._queue.put(None)

    def run_worker(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                self._queue.task_done()
                return
            try:
                with self.runtime.busy():
                    self._run(item)
            except Exception as error:  # the invoker must survive anything a destination does
                self.runtime.trace.add("error", item.function, f"async invoker: {type(error).__name__}: {error}")
            finally:
                self._queue.task_done()

    def _count(self, function: str, outcome: str, duplicate: bool = False) -> None:
        if duplicate:
            outcome = f"duplicate {outcome}"  # the books count each owed event once
        with self._outcomes_lock:
            counts = self.outcomes.setdefault(function, {})
            counts[outcome] = counts.get(outcome, 0) + 1

    def _run(self, item: AsyncEvent) -> None:
        clock, trace = self.runtime.clock, self.runtime.trace
        config = self.deployment.async_configs.get(item.function, AsyncConfig())
        order_id = order_id_of(item.payload)
        paused_until = self.runtime.faults.paused_until(item.function)
        if paused_until is not None:
            waits = f"async event waits until the clock reaches {paused_until:.0f}"
            trace.add("paused", item.function, waits, order_id)
            clock.call_at(paused_until, lambda: self._queue.put(item), f"paused {item.function}")
            return
        if clock.now() - item.first_seen > config.maximum_event_age_seconds:
            trace.add("dead-letter", item.function, "maximum event age exceeded", order_id)
            self._count(item.function, "failed", item.duplicate)
            self._destination(item, config.on_failure, "EventAgeExceeded", None)
            return
        item.attempts += 1
        trace.add("invoke", item.function, f"async attempt {item.attempts} ({item.source})", order_id)
        result = self.functions[item.function].invoke(item.payload)
        if result.ok:
            trace.add("result", item.function, f"ok in {result.duration_ms:.0f} ms", order_id)
            self._count(item.function, "succeeded", item.duplicate)
            self._destination(item, config.on_success, "Success", result)
            return
        trace.add("error", item.function, f"{result.error_type}: {result.error_message}", order_id)
        if item.attempts <= config.maximum_retry_attempts:
            delay = ASYNC_RETRY_DELAYS[min(item.attempts - 1, len(ASYNC_RETRY_DELAYS) - 1)]
            trace.add("retry", item.function, f"retry {item.attempts} in {delay:.0f} s (clock)", order_id)
            clock.call_later(delay, lambda: self._queue.put(item), f"async retry {item.function}")
            return
        trace.add("dead-letter", item.function, f"retries exhausted after {item.attempts} attempts", order_id)
        self._count(item.function, "failed", item.duplicate)
        self._destination(item, config.on_failure, "RetriesExhausted", result)

    def _record(self, item: AsyncEvent, condition: str, result: Invocation | None) -> dict[str, Any]:
        """Lambda's invocation record, as a destination receives it."""
        function = self.deployment.functions[item.function]
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": dt.datetime.fromtimestamp(self.runtime.clock.now(), dt.UTC).isoformat(timespec="milliseconds"),
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
        return record

    def _destination(
        self, item: AsyncEvent, destination: str | None, condition: str, result: Invocation | None
    ) -> None:
        if not destination:
            return
        record = self._record(item, condition, result)
        arn = parse_arn(destination)
        body = json.dumps(record, default=str)
        clients = self.runtime.clients
        # Lambda sends to destinations with the function's execution role: recorded as the function's calls.
        with self.runtime.recorder.acting_as(item.function):
            if arn.service == "sqs":
                clients("sqs").send_message(QueueUrl=self.deployment.queues[destination].url, MessageBody=body)
            elif arn.service == "events":
                outcome = "Success" if condition == "Success" else "Failure"
                entry = {
                    "Source": "lambda",
                    "DetailType": f"Lambda Function Invocation Result - {outcome}",
                    "Detail": body,
                    "EventBusName": destination,
                }
                clients("events").put_events(Entries=[entry])
            elif arn.service == "sns":
                clients("sns").publish(TopicArn=destination, Message=body)
            elif arn.service == "lambda":
                self.invoke(self.deployment.function_by_arn(destination).name, record, "destination")
        self.runtime.trace.add("destination", item.function, f"{condition} -> {destination}", order_id_of(item.payload))
