"""Lambda's DynamoDB stream poller, for the local cloud: what runs the orders outbox relay.

moto keeps a table's stream (``GetRecords`` works) but no event-source mapping ever polls it. A
``StreamPoller`` per stream mapping does what Lambda does: reads each shard in order, invokes the
function with the stream event (batch size from the mapping), honours ``ReportBatchItemFailures``
(resume from the first failed sequence number; records before it are done), retries a failing batch
on the local clock with back-off until it succeeds or its oldest record is older than the mapping's
``maximumRecordAgeInSeconds``, and then sends Lambda's failure record (shard and sequence numbers, no
data) to the on-failure destination. A batch waiting for its retry is parked on the clock, like an SQS
message in its visibility timeout, so ``settle()`` advances over it.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from localcloud import direct, moto_patches
from localcloud.functions import Invocation
from localcloud.trace import order_id_of

if TYPE_CHECKING:
    from localcloud.deployment import QueueInfo, StreamMappingSpec
    from localcloud.functions import LocalFunction
    from localcloud.runtime import Runtime

#: Lambda's retries of a failing stream batch back off up to this (seconds on the local clock).
MAX_BACKOFF_SECONDS = 60.0
#: With nothing to read, a poller looks again when moto appends a stream record (``moto_patches.stream_appends``)
#: or the clock releases a parked batch, and at the latest after this long.
IDLE_SLEEP_SECONDS = 0.05


def epoch_seconds(moment: dt.datetime) -> float:
    """A record's creation time in epoch seconds: moto keeps a naive datetime in UTC."""
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)).timestamp()


def lambda_record(record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A ``GetRecords`` record as Lambda delivers it (``eventSourceARN``, epoch creation time)."""
    stream_record = dict(record["dynamodb"])
    created = stream_record.get("ApproximateCreationDateTime")
    if isinstance(created, dt.datetime):
        stream_record["ApproximateCreationDateTime"] = epoch_seconds(created)
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": stream_record,
        "eventSourceARN": stream_arn,
    }


class StreamPoller:
    """Polls one stream's shards in order for one function (see the module docstring)."""

    def __init__(
        self, runtime: Runtime, spec: StreamMappingSpec, function: LocalFunction, queues: Mapping[str, QueueInfo]
    ) -> None:
        self.runtime = runtime
        self.spec = spec
        self.function = function
        #: The deployed queues by ARN (the on-failure destination is one).
        self.queues = queues
        #: The next sequence number to read, per shard.
        self._next_sequence: dict[str, int] = {}
        #: Records read but not yet handled, per shard, in order.
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._attempts: dict[str, int] = {}
        self._parked: set[str] = set()
        #: Each pending record's creation time on the local clock, by sequence number. moto stamps records in
        #: real time; the clock may have been advanced since the cloud started, and a record's age is judged on it.
        self._created_on_clock: dict[str, float] = {}
        self._lock = threading.RLock()
        #: Sequence numbers the function handled successfully.
        self.processed: set[str] = set()
        self.dead_lettered: list[dict[str, Any]] = []

    def run(self) -> None:
        while self.runtime.running:
            try:
                appended = moto_patches.stream_appends.count  # read before the look: a record after it wakes the wait
                if not self.poll_once():
                    moto_patches.stream_appends.wait_past(appended, IDLE_SLEEP_SECONDS)
            except Exception as error:  # keep polling, as Lambda does, but say so
                if self.runtime.running:
                    problem = f"stream poller: {type(error).__name__}: {error}"
                    self.runtime.trace.add("error", self.spec.function, problem)
                    time.sleep(0.1)

    def _read(self) -> None:
        """Append what each shard has that was not read yet (from moto directly: ``localcloud.direct``)."""
        account, region, arn = self.runtime.account, self.runtime.region, self.spec.stream_arn
        for shard_id, first in direct.stream_shards(account, region, arn):
            start = self._next_sequence.setdefault(shard_id, first)  # TRIM_HORIZON
            records = direct.stream_records(account, region, arn, shard_id, start, 1000)
            if records:
                self._next_sequence[shard_id] = int(records[-1]["dynamodb"]["SequenceNumber"]) + 1
            # Records the mapping's filters drop never invoke the function (Lambda skips them likewise).
            wanted = [record for record in records if self.spec.wants(lambda_record(record, arn, region))]
            if wanted:
                self._pending.setdefault(shard_id, []).extend(wanted)
            offset = self.runtime.clock.offset
            for record in wanted:
                created = epoch_seconds(record["dynamodb"]["ApproximateCreationDateTime"]) + offset
                self._created_on_clock[record["dynamodb"]["SequenceNumber"]] = created

    def pending(self) -> bool:
        """Records waiting to be handled now (a batch parked for its retry does not count)."""
        with self._lock:
            self._read()
            return any(records and shard not in self._parked for shard, records in self._pending.items())

    def poll_once(self) -> int:
        """Handle one batch per shard that has records and is not parked; return how many were handled."""
        with self._lock:
            self._read()
            ready = [shard for shard, records in self._pending.items() if records and shard not in self._parked]
            if not ready:
                return 0
            with self.runtime.busy():
                return sum(self._process(shard) for shard in ready)

    def _process(self, shard: str) -> int:
        name = self.spec.function
        batch = self._pending[shard][: self.spec.batch_size]
        records = [lambda_record(record, self.spec.stream_arn, self.runtime.region) for record in batch]
        orders = sorted({o for o in (self._order_of(r) for r in records) if o})
        self.runtime.trace.add(
            "invoke", name, f"batch of {len(records)} from the stream", orders[0] if len(orders) == 1 else None
        )
        result = self.function.invoke({"Records": records})
        failed_at = self._first_failure(result, records)
        done = batch[:failed_at]
        for record in done:
            self._created_on_clock.pop(record["dynamodb"]["SequenceNumber"], None)
        for record in done:
            self.processed.add(record["dynamodb"]["SequenceNumber"])
            self.runtime.trace.add("result", name, f"ok: {record['eventName']}", self._order_of(record))
        self._pending[shard] = self._pending[shard][len(done) :]
        if failed_at == len(batch):
            self._attempts.pop(shard, None)
        else:
            self._retry_or_give_up(shard, result)
        return len(done)

    @staticmethod
    def _order_of(record: Mapping[str, Any]) -> str | None:
        image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("Keys") or {}
        order = image.get("orderId", {}).get("S") if isinstance(image.get("orderId"), Mapping) else None
        return str(order) if order else order_id_of(image)

    def _first_failure(self, result: Invocation, records: list[dict[str, Any]]) -> int:
        """The index of the first record not handled (``len(records)`` when all were)."""
        if not result.ok:
            return 0
        if not self.spec.report_item_failures:
            return len(records)
        payload = result.payload if isinstance(result.payload, Mapping) else {}
        failures = [f.get("itemIdentifier") for f in payload.get("batchItemFailures") or [] if isinstance(f, Mapping)]
        sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
        if any(f not in sequence for f in failures):
            return 0  # Lambda treats an unknown sequence number as a failure of the whole batch
        return min((sequence.index(f) for f in failures), default=len(records))

    def _retry_or_give_up(self, shard: str, result: Invocation) -> None:
        name = self.spec.function
        head = self._pending[shard][0]
        order = self._order_of(head)
        attempt = self._attempts[shard] = self._attempts.get(shard, 0) + 1
        reason = f"{result.error_type}: {result.error_message}" if not result.ok else "reported as failed"
        self.runtime.trace.add("error", name, f"stream record failed (attempt {attempt}): {reason}", order)
        created = self._created_on_clock[head["dynamodb"]["SequenceNumber"]]
        if self.runtime.clock.now() - created > self.spec.maximum_record_age_seconds:
            self._give_up(shard, head)
            return
        delay = min(MAX_BACKOFF_SECONDS, float(2 ** (attempt - 1)))
        self.runtime.trace.add("retry", name, f"stream batch retried in {delay:.0f} s (clock)", order)
        self._parked.add(shard)

        def release() -> None:
            with self._lock:
                self._parked.discard(shard)
            moto_patches.stream_appends.wake_all()  # the poller reads the released batch now, not at its next look

        self.runtime.clock.call_later(delay, release, f"retry stream {shard}")

    def _give_up(self, shard: str, record: Mapping[str, Any]) -> None:
        """Drop the record that is too old and send Lambda's failure record (no data) to the destination."""
        self._pending[shard] = self._pending[shard][1:]
        self._attempts.pop(shard, None)
        sequence = record["dynamodb"]["SequenceNumber"]
        self._created_on_clock.pop(sequence, None)
        failure = {
            "requestContext": {
                "functionArn": self.function.spec.arn,
                "condition": "RecordAgeExceeded",
                "approximateInvokeCount": 1,
            },
            "DDBStreamBatchInfo": {
                "shardId": shard,
                "startSequenceNumber": sequence,
                "endSequenceNumber": sequence,
                "batchSize": 1,
                "streamArn": self.spec.stream_arn,
            },
        }
        self.dead_lettered.append(failure)
        order = self._order_of(record)
        self.runtime.trace.add("dead-letter", self.spec.function, "stream record too old -> DLQ", order)
        if self.spec.on_failure:
            queue = self.queues[self.spec.on_failure]
            with self.runtime.recorder.acting_as(self.spec.function):
                self.runtime.clients("sqs").send_message(QueueUrl=queue.url, MessageBody=json.dumps(failure))
