"""Lambda's SQS pollers in the local cloud: one ``QueuePoller`` per event-source mapping (batch size, batching
window, partial batch responses, visibility timeouts on the clock, duplicate deliveries under faults), and the
``PollerGate`` tests use to hold pollers between receives.

Receives are counted as AWS bills them (IAM-by-use, metering, ``make bench``), so a poller long-polls as
Lambda's do: one ReceiveMessage per batch, made once messages are visible, and one empty receive per
``LONG_POLL_SECONDS`` of an idle queue, not one per second. The waiting itself is in-process
(``queue_clock.wait_for_visible``), in slices of ``POLL_WAIT_SECONDS``; the cloud stopping, a gate closing and
a pause wake the waiters at once. One poller thread of a mapping waits at a time, so a message arriving wakes
one receive, not one per thread (the others would come back empty).
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from localcloud import moto_patches, queue_clock
from localcloud.functions import Invocation
from localcloud.trace import order_id_of

if TYPE_CHECKING:
    from localcloud.deployment import MappingSpec
    from localcloud.host import PollerHost

#: How long a poller waits for a message at a time before checking whether the cloud is stopping or its gate
#: closed (no API call: see ``QueuePoller._long_poll``).
POLL_WAIT_SECONDS = 1
#: SQS's longest long poll (``WaitTimeSeconds`` 20, what Lambda's pollers use): an idle queue costs one empty
#: receive per poller this often.
LONG_POLL_SECONDS = 20
#: Messages a poller holds invisible while the function runs (the clock, not moto, releases them).
HOLD_SECONDS = 12 * 60 * 60


class PollerGate:
    """Lets tests hold every poller between receives, so messages pile up into one batch."""

    def __init__(self, wake: Callable[[], None] = lambda: None) -> None:
        #: Wakes the pollers waiting for messages, so they come to the gate now, not at their next look.
        self._wake = wake
        self._open = True
        self._waiting = 0
        self._condition = threading.Condition()

    def close(self, threads: int, timeout: float = 10.0) -> None:
        """Close the gate and wait until ``threads`` pollers stand at it (none is mid-receive)."""
        with self._condition:
            self._open = False
        self._wake()
        with self._condition:
            if not self._condition.wait_for(lambda: self._waiting >= threads, timeout=timeout):
                raise TimeoutError(f"only {self._waiting} of {threads} pollers stopped")

    @property
    def closed(self) -> bool:
        return not self._open

    def open(self) -> None:
        with self._condition:
            self._open = True
            self._condition.notify_all()

    def pass_through(self, running: Callable[[], bool]) -> None:
        with self._condition:
            if self._open:
                return
            self._waiting += 1
            self._condition.notify_all()
            while not self._open and running():
                self._condition.wait(0.2)
            self._waiting -= 1


class QueuePoller:
    """Lambda's SQS poller for one event-source mapping: batch size, batching window, visibility timeout
    (on the clock), partial batch responses, and redrive (moto moves a message past maxReceiveCount)."""

    def __init__(self, cloud: PollerHost, mapping: MappingSpec) -> None:
        self.cloud = cloud
        self.mapping = mapping
        self.queue = cloud.deployment.queues[mapping.queue_arn]
        self.function = cloud.functions[mapping.function]
        self.sqs = cloud.clients("sqs")
        #: Holds only this mapping's pollers (``cloud.pollers_paused("warehouse")``).
        self.gate = PollerGate(self.wake)
        #: Ids of the messages the function processed successfully (deleted from the queue).
        self.processed: set[str] = set()
        #: Ids of failed messages left invisible until the clock releases them.
        self.parked: set[str] = set()
        #: Of those, the messages that did not come from the bus (the workflow's task-token hand-off).
        self.direct: set[str] = set()
        self._stats_lock = threading.Lock()
        #: Held by the one poller thread of this mapping that waits for messages (see the module's docstring).
        self._waiting_turn = threading.Lock()

    def run(self) -> None:
        while self.cloud.running:
            try:
                self.poll_once()
            except Exception as error:  # keep polling, as Lambda does, but say so
                if self.cloud.running:
                    self.cloud.trace.add("error", self.function.spec.name, f"poller: {type(error).__name__}: {error}")
                    time.sleep(0.1)

    def _receive(self, wait: float, through_gate: bool = True) -> list[dict[str, Any]]:
        """One batch of what is visible; with ``wait``, long-poll for it (see ``_long_poll``)."""
        if through_gate:
            self.cloud.gate.pass_through(lambda: self.cloud.running)
            self.gate.pass_through(lambda: self.cloud.running)
        if self.cloud.faults.paused_until(self.function.spec.name) is not None:
            time.sleep(0.05)  # a paused trigger receives nothing; its messages wait and age in the queue
            return []
        if wait:
            return self._long_poll(wait, through_gate)
        return self._receive_visible()

    def _long_poll(self, slice_seconds: float, through_gate: bool) -> list[dict[str, Any]]:
        """Wait, without an API call, until messages are visible, then receive them; or receive (empty) once a
        long poll's ``LONG_POLL_SECONDS`` have passed, as SQS answers one. Nothing when the cloud stops, the gate
        closes or the trigger is paused meanwhile (checked every ``slice_seconds``): the caller goes back to them.

        The waiting turn is held until the receive is answered: a message that arrives is received by one
        thread of this mapping, not raced for by all of them (the losers' receives would come back empty)."""
        ends = time.monotonic() + LONG_POLL_SECONDS
        while not self._interrupted(through_gate):
            if not self._waiting_turn.acquire(timeout=slice_seconds):
                continue  # another thread of this mapping is waiting; this one's turn comes next
            try:
                if self._visible(slice_seconds, through_gate) or time.monotonic() >= ends:
                    return self._receive_visible()
            finally:
                self._waiting_turn.release()
        return []

    def _interrupted(self, through_gate: bool = True) -> bool:
        """Whether a wait for messages should end now: the cloud stops, a gate closed, the trigger is paused."""
        if not self.cloud.running:
            return True
        if through_gate and (self.cloud.gate.closed or self.gate.closed):
            return True
        return self.cloud.faults.paused_until(self.function.spec.name) is not None

    def wake(self) -> None:
        """Wake this mapping's threads waiting for messages (they look again at the queue and at ``_interrupted``)."""
        moto_patches.wake_pollers(self.cloud.account, self.cloud.region, self.queue.name)

    def _receive_visible(self) -> list[dict[str, Any]]:
        with self.cloud.recorder.acting_as(self.function.spec.name):
            response = self.sqs.receive_message(
                QueueUrl=self.queue.url,
                MaxNumberOfMessages=min(10, self.mapping.batch_size),
                WaitTimeSeconds=0,
                VisibilityTimeout=HOLD_SECONDS,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
        messages: list[dict[str, Any]] = response.get("Messages", [])
        return messages

    def _visible(self, within: float, through_gate: bool = True) -> bool:
        account, region = self.cloud.account, self.cloud.region
        interrupted = functools.partial(self._interrupted, through_gate)
        return queue_clock.wait_for_visible(account, region, self.queue.name, within, interrupted)

    def poll_once(self, wait: float = POLL_WAIT_SECONDS, through_gate: bool = True) -> int:
        """Receive one batch and run the function on it; ``through_gate=False`` ignores a paused gate
        (a test driving one batch by hand while the pollers are held)."""
        messages = self._receive(wait, through_gate)
        if not messages:
            return 0
        with self.cloud.busy():
            # The batching window: receive again as messages arrive (only then), until the batch is full or
            # the window closes.
            window_end = time.monotonic() + self.mapping.window_seconds
            while len(messages) < self.mapping.batch_size and (left := window_end - time.monotonic()) > 0:
                if self._visible(left, through_gate):
                    messages.extend(self._receive(0, through_gate))
                elif self._interrupted(through_gate):
                    break  # stopping, held or paused: run what arrived (the wait would not wait again)
            self._process(messages)
        return len(messages)

    def _process(self, messages: list[dict[str, Any]]) -> None:
        name = self.function.spec.name
        records = [self._record(message) for message in messages]
        orders = sorted({order for order in (order_id_of(m["Body"]) for m in messages) if order})
        self.cloud.trace.add(
            "invoke",
            name,
            f"batch of {len(records)} from {self.queue.name}",
            orders[0] if len(orders) == 1 else None,
            orders=orders,
        )
        result = self.function.invoke({"Records": records})
        failed_ids = self._failed_ids(result, messages)
        twice = [message for message in messages if self.cloud.faults.duplicate(name)]
        if twice:
            failed_ids = self._deliver_again(twice, failed_ids)
        by_id = {message["MessageId"]: message for message in messages}
        done = [message for message in messages if message["MessageId"] not in failed_ids]
        with self._stats_lock:
            self.processed.update(message["MessageId"] for message in done)
            self.direct.update(m["MessageId"] for m in done if '"detail-type"' not in m["Body"])
        for message in done:
            self.cloud.trace.add("result", name, f"ok: {self._describe(message)}", order_id_of(message["Body"]))
        if done:
            with self.cloud.recorder.acting_as(name):
                for start in range(0, len(done), 10):
                    self.sqs.delete_message_batch(
                        QueueUrl=self.queue.url,
                        Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(done[start : start + 10])
                        ],
                    )
        for message_id in failed_ids:
            self._park(by_id[message_id], result)

    def holding(self) -> bool:
        """Whether this poller has received messages it has not finished with (neither deleted nor parked).

        Covers the moment between moto handing a batch out and the poller counting itself busy, in which the
        queue shows nothing visible and the cloud would otherwise look idle."""
        held = queue_clock.in_flight(self.cloud.account, self.cloud.region, self.queue.name)
        with self._stats_lock:
            return bool(held - self.parked)

    def _deliver_again(self, messages: list[dict[str, Any]], failed_ids: list[str]) -> list[str]:
        """SQS's at-least-once delivery: the same messages (same ids and bodies) delivered a second time. A
        message stays in the queue only when every delivery of it failed."""
        name = self.function.spec.name
        for message in messages:
            self.cloud.trace.add(
                "duplicate", name, f"{self._describe(message)} delivered twice", order_id_of(message["Body"])
            )
        again = self.function.invoke({"Records": [self._record(message) for message in messages]})
        failed_again = set(self._failed_ids(again, messages))
        ids = {message["MessageId"] for message in messages}
        return [i for i in failed_ids if i not in ids or i in failed_again]

    def _failed_ids(self, result: Invocation, messages: list[dict[str, Any]]) -> list[str]:
        every = [message["MessageId"] for message in messages]
        if not result.ok:
            return every
        if not self.mapping.report_item_failures:
            return []
        payload = result.payload if isinstance(result.payload, Mapping) else {}
        failures = payload.get("batchItemFailures") or []
        known = set(every)
        ids = [str(f.get("itemIdentifier")) for f in failures if isinstance(f, Mapping)]
        if any(i not in known for i in ids):
            return every  # Lambda treats a response naming an unknown id as a failure of the whole batch
        return ids

    def _park(self, message: dict[str, Any], result: Invocation) -> None:
        """Leave a failed message invisible until its visibility timeout passes on the clock."""
        name = self.function.spec.name
        order_id = order_id_of(message["Body"])
        receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        reason = f"{result.error_type}: {result.error_message}" if not result.ok else "reported as failed"
        self.cloud.trace.add(
            "error", name, f"{self._describe(message)} failed (receive {receives}): {reason}", order_id
        )
        limit = self.queue.max_receive_count
        if limit is not None and receives >= limit:
            self.cloud.trace.add(
                "dead-letter", name, f"{self._describe(message)} -> DLQ after {receives} receives", order_id
            )
        else:
            self.cloud.trace.add("retry", name, f"visible again in {self.queue.visibility_timeout} s (clock)", order_id)

        with self._stats_lock:
            self.parked.add(message["MessageId"])

        def release() -> None:
            with self._stats_lock:
                self.parked.discard(message["MessageId"])
            with self.cloud.recorder.acting_as(name), contextlib.suppress(Exception):
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            self.wake()

        self.cloud.clock.call_later(self.queue.visibility_timeout, release, f"release {message['MessageId']}")

    @staticmethod
    def _describe(message: Mapping[str, Any]) -> str:
        try:
            body = json.loads(message["Body"])
        except ValueError:
            return f"message {message['MessageId']}"
        return str(body.get("detail-type") or body.get("kind") or f"message {message['MessageId']}")

    def _record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                key: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": value.get("BinaryValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value.get("DataType"),
                }
                for key, value in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue.arn,
            "awsRegion": self.cloud.region,
        }
