"""SQS on the local clock: moto's queues read the cloud's clock instead of the wall.

moto decides visibility (``visible_at``), retention, delays (``DelaySeconds`` on the queue or on SendMessage) and the
``SentTimestamp`` a message's age is measured from with ``unix_time``/``unix_time_millis``. Pointing those
at the local clock makes a visibility timeout or a delay end when the clock passes it, and makes a waiting
message age as the clock moves (``ApproximateAgeOfOldestMessage`` grows during a paused consumer). A
delayed message also puts a timer on the clock for its due time, so ``settle`` knows there is work ahead
and advances to it. Installed by the cloud at start, removed at stop (moto is process-wide).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import moto.sqs.models as sqs_models
from moto.core.utils import unix_time, unix_time_millis
from moto.sqs.models import Message, sqs_backends

from localcloud.clock import Clock


@dataclass
class _State:
    clock: Clock | None = None
    on_due: Callable[[], None] | None = None
    patched: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_state = _State()
_original_delay = Message.delay
_original_retention_check = sqs_models.SQSBackend.is_message_valid_based_on_retention_period


def _offset() -> float:
    clock = _state.clock
    return clock.offset if clock is not None else 0.0


def _local_time() -> float:
    return float(unix_time()) + _offset()


def _local_time_millis() -> float:
    return float(unix_time_millis()) + _offset() * 1000


def _delay(self: Message, delay_seconds: int) -> None:
    _original_delay(self, delay_seconds)
    clock, on_due = _state.clock, _state.on_due
    if clock is not None and on_due is not None and int(delay_seconds) > 0:
        clock.call_at(self.delayed_until / 1000 + 0.001, on_due, f"delayed message {self.id}")


def _retained(self: sqs_models.SQSBackend, queue_name: str, message: Message) -> bool:
    """moto marks a message past its queue's retention as received and then leaves it in the queue, in
    flight for ever; SQS deletes it. Do as SQS does, so an expired message is gone, not held by nobody."""
    if _original_retention_check(self, queue_name, message):
        return True
    queue: Any = self.get_queue(queue_name)
    with contextlib.suppress(ValueError):
        queue._messages.remove(message)
    queue.pending_messages.discard(message)
    return False


def install(clock: Clock, on_due: Callable[[], None]) -> None:
    """Make moto's SQS follow ``clock``; ``on_due`` runs when a delayed message becomes visible."""
    with _state.lock:
        _state.clock, _state.on_due = clock, on_due
        if _state.patched:
            return
        setattr(sqs_models, "unix_time", _local_time)  # noqa: B010 - moto's module-level import, not an export
        setattr(sqs_models, "unix_time_millis", _local_time_millis)  # noqa: B010
        Message.delay = _delay  # type: ignore[method-assign]
        sqs_models.SQSBackend.is_message_valid_based_on_retention_period = _retained  # type: ignore[method-assign]
        _state.patched = True


def uninstall(clock: Clock) -> None:
    """Back to wall time, if ``clock`` is still the one installed."""
    with _state.lock:
        if _state.clock is clock:
            _state.clock, _state.on_due = None, None


def oldest_message_age(account: str, region: str, queue_name: str, now: float) -> float:
    """``ApproximateAgeOfOldestMessage`` in seconds at local time ``now`` (0 for an empty queue)."""
    queue: Any = sqs_backends[account][region].get_queue(queue_name)
    sent = [message.sent_timestamp for message in list(queue._messages) if message.sent_timestamp]
    return max(0.0, now - min(sent) / 1000) if sent else 0.0


def visible_messages(account: str, region: str, queue_name: str) -> int:
    """``ApproximateNumberOfMessagesVisible``: messages neither in flight nor delayed."""
    queue: Any = sqs_backends[account][region].get_queue(queue_name)
    return int(queue.approximate_number_of_messages)


def in_flight(account: str, region: str, queue_name: str) -> set[str]:
    """Ids of the messages received and not yet visible again (held by a consumer, or parked)."""
    queue: Any = sqs_backends[account][region].get_queue(queue_name)
    return {message.id for message in list(queue._messages) if not message.visible}


def wait_for_visible(
    account: str, region: str, queue_name: str, timeout: float, interrupted: Callable[[], bool] = lambda: False
) -> bool:
    """Wait up to ``timeout`` seconds until the queue has a visible message, or until ``interrupted()`` holds
    when the waiters are woken; whether the queue has a visible message.

    Receives nothing and makes no API call: a poller waits here and then receives what arrived, as one
    long poll that returns at the first message. moto wakes the waiters on every send; ``wake_pollers`` wakes
    them on a visibility change and when the cloud stops or a gate closes (``interrupted`` then holds). A
    delayed message becomes visible without a wake-up and is seen at the timeout."""
    queue: Any = sqs_backends[account][region].get_queue(queue_name)

    def visible() -> bool:
        return any(message.visible and not message.delayed for message in queue._messages)

    with queue._messages_lock:
        queue._messages_lock.wait_for(lambda: visible() or interrupted(), timeout=timeout)
        return visible()
