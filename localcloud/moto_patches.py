"""Every change the local cloud makes to moto, in one place, pinned to the moto version it was written for.

Small patches, each undoing one gap listed in ``moto-notes.md`` or a cost that grew with the run:

1. Rule targets moto cannot deliver (Lambda, SNS, Step Functions) go to a hook the local cloud installs,
   instead of raising ``NotImplementedError`` inside ``put_events`` and breaking every matching event.
2. A disabled rule delivers nothing (moto delivers through it).
3. SQS event-source mappings are stored but no longer fire synchronously inside ``send_message``: the
   local cloud's pollers drain the queues as Lambda's pollers would.
4. A queue's attributes are computed on access: moto rebuilds all of them (counting every message the
   queue holds, three times) on each send and receive just to read one, which made a growing outbox
   queue cost quadratic time. Same values, computed only for the attribute asked for.
5. Two pure functions moto calls on every request are cached: ``jsonpath_ng.ext.parse`` (moto re-parses
   every input path for every delivered event; caching roughly doubles delivery throughput) and
   ``camelcase_to_underscores`` (every action name and, per send and receive, every queue attribute name).
6. DynamoDB update expressions are parsed once per expression string (``UpdateExpressionParser.make``, parsed
   twice per UpdateItem and once per transaction Update). Sharing the AST is safe in 5.2.5: the request
   handlers only read it (``find_clauses``) and ``UpdateExpressionValidator`` deep-copies it before it
   substitutes names and values. A parse error is not cached, so it is raised on every call as before.
7. Cognito accepts any RFC 5322 local part in an email username (``o'brien@example.com``, ``a+b@...``);
   moto's pattern refuses an apostrophe, so a customer the real pool admits could not sign in locally.
8. ``TransactWriteItems`` backs up the items it names instead of deep-copying every table it names
   (``dynamodb_transactions.py``): the copy grew with the table, so CPU per order grew with the run.
9. More pure functions moto recomputes per request are cached (``moto_speedups.py``): a response class's
   action names, the Step Functions interpreter's JSONPaths, DynamoDB condition expressions' tokens, the
   update validator's processing maps (once per walk, not twice per node); and
   moto stops keeping every model instance it creates (copies included) for a dashboard nobody opens.
10. A queue's messages change under the queue's own lock. moto's DeleteMessage rebuilds the message list
   without it (only a send holds it), so two deletes at once, as two pollers of one mapping make, could put
   a deleted message back, in flight with no consumer, and a delete racing a send could drop the accepted
   message. Receives and purges hold it too: a receive moves messages to the dead-letter queue.
11. A record moto appends to a DynamoDB stream wakes whoever waits for one (``stream_appends``): the local
   cloud's stream pollers look again at once instead of at their next idle look (50 ms later), so an order's
   outbox record is relayed as soon as it is written.

Besides the patches, the few read-only peeks into moto's state (a queue's messages without receiving
them) live here too, so an upgrade of moto has exactly one module to re-check.
"""

from __future__ import annotations

import copy
import functools
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import jsonpath_ng.ext
import moto
import moto.cognitoidp.utils
import moto.core.responses
import moto.core.utils
import moto.sqs.models
from moto.awslambda.models import LambdaBackend
from moto.dynamodb.models.table import StreamShard
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.events.models import EventPattern, Rule, events_backends
from moto.events.utils import EventMessageType, EventTemplateParser
from moto.sqs.models import sqs_backends
from moto.utilities.arns import parse_arn

from localcloud import dynamodb_transactions, dynamodb_update_answer, moto_speedups
from localcloud.moto_version import MOTO_VERSION

#: ``(rule, target, event)`` for a target moto does not deliver itself; the event is already transformed.
TargetHook = Callable[[Any, dict[str, Any], dict[str, Any]], None]

_HOOKED_SERVICES = ("lambda", "sns", "states")


@dataclass
class _State:
    """Process-wide, like the patches: whether they are in, and where hooked targets go."""

    installed: bool = False
    target_hook: TargetHook | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_state = _State()


class StreamAppends:
    """How many records moto has appended to any DynamoDB stream of the process, and a wait for the next one."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self.count = 0

    def added(self) -> None:
        with self._condition:
            self.count += 1
            self._condition.notify_all()

    def wait_past(self, seen: int, timeout: float) -> None:
        """Returns once a record was appended after ``count`` read ``seen``, or ``wake_all``, or ``timeout``."""
        with self._condition:
            self._condition.wait_for(lambda: self.count != seen, timeout)

    def wake_all(self) -> None:
        """Every waiter returns now (a cloud stopping), as if a record had been appended."""
        self.added()


#: Process-wide, like moto's streams.
stream_appends = StreamAppends()


class UnsupportedMotoVersionError(RuntimeError):
    """The patches were written against another moto; re-check them against ``moto-notes.md`` first."""


def check_version(version: str = moto.__version__) -> None:
    if version != MOTO_VERSION:
        raise UnsupportedMotoVersionError(
            f"localcloud patches moto {MOTO_VERSION}, but moto {version} is installed: "
            "re-check localcloud/moto_patches.py against the new version and update MOTO_VERSION"
        )


def set_target_hook(hook: TargetHook | None) -> None:
    """Where rule targets of type Lambda, SNS and Step Functions are delivered (one local cloud at a time)."""
    _state.target_hook = hook


def install() -> None:
    """Apply the patches once per process (idempotent)."""
    with _state.lock:
        if _state.installed:
            return
        check_version()
        _patch_rule_targets()
        _patch_event_source_mappings()
        _patch_jsonpath_cache()
        _patch_name_conversion_cache()
        _patch_lazy_queue_attributes()
        _patch_update_expression_cache()
        _patch_cognito_email_usernames()
        _patch_serial_queue_changes()
        _patch_stream_append_wakes()
        dynamodb_transactions.install()  # a transaction backs up its items, not whole tables
        dynamodb_update_answer.install()  # UpdateItem copies the old item only when its answer shows it
        moto_speedups.install()  # work repeated on every request, done once
        _state.installed = True


def _patch_rule_targets() -> None:

    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if getattr(self, "state", "ENABLED") == "DISABLED":
            return
        if not self.event_pattern.matches_event(original_event):
            return
        hooked = [t for t in self.targets if parse_arn(t["Arn"]).service in _HOOKED_SERVICES]
        if len(hooked) < len(self.targets):
            supported = copy.copy(self)
            supported.targets = [t for t in self.targets if t not in hooked]
            original(supported, original_event, transform_input)
        for target in hooked:
            hook = _state.target_hook
            if hook is None:
                raise NotImplementedError(f"no local-cloud hook delivers to {target['Arn']}")
            transformer = target.get("InputTransformer", {})
            event = EventTemplateParser.parse(
                input_template=transformer.get("InputTemplate"),
                input_paths_map=transformer.get("InputPathsMap", {}),
                event=original_event,
            )
            hook(self, target, event)

    _replace(Rule, "send_to_targets", send_to_targets)


def _patch_event_source_mappings() -> None:

    original = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        esm = original(self, spec)
        for queue in sqs_backends[self.account_id][self.region_name].queues.values():
            if queue.queue_arn == esm.event_source_arn:
                queue.lambda_event_source_mappings.pop(esm.function_arn, None)
        return esm

    _replace(LambdaBackend, "create_event_source_mapping", create_event_source_mapping)


def _patch_jsonpath_cache() -> None:

    name = "parse"  # looked up by name: jsonpath_ng.ext does not re-export it for type checkers
    parse = getattr(jsonpath_ng.ext, name)
    if not hasattr(parse, "cache_info"):
        _replace(jsonpath_ng.ext, name, functools.lru_cache(maxsize=1024)(parse))


def _patch_name_conversion_cache() -> None:
    convert = moto.core.utils.camelcase_to_underscores
    if hasattr(convert, "cache_info"):
        return
    cached = functools.lru_cache(maxsize=4096)(convert)
    for module in (moto.core.utils, moto.core.responses, moto.sqs.models):
        if getattr(module, "camelcase_to_underscores", None) is convert:
            _replace(module, "camelcase_to_underscores", cached)


class LazyQueueAttributes(Mapping[str, Any]):
    """``Queue.attributes`` as moto 5.2.5 computes it, one attribute at a time."""

    def __init__(self, queue: Any) -> None:
        self._queue = queue

    def _names(self) -> list[str]:
        queue = self._queue
        names = list(queue.BASE_ATTRIBUTES)
        if queue.fifo_queue:
            names += queue.FIFO_ATTRIBUTES
        if queue.kms_master_key_id:
            names += queue.KMS_ATTRIBUTES
        return names

    def __getitem__(self, name: str) -> Any:
        if name not in self._names():
            raise KeyError(name)
        queue = self._queue
        if name == "Policy" and queue.policy:
            return queue.policy
        if name == "RedrivePolicy" and queue.redrive_policy:
            return json.dumps(queue.redrive_policy)
        value = getattr(queue, moto.core.utils.camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


def _patch_lazy_queue_attributes() -> None:
    queue_class = moto.sqs.models.Queue
    _replace(queue_class, "attributes", property(LazyQueueAttributes))
    original = moto.sqs.models.SQSBackend.get_queue_attributes

    def get_queue_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        return dict(original(self, queue_name, attribute_names))

    _replace(moto.sqs.models.SQSBackend, "get_queue_attributes", get_queue_attributes)


def _patch_update_expression_cache() -> None:
    parser: Any = UpdateExpressionParser  # the one class models and responses both call
    make = parser.__dict__["make"].__func__  # the classmethod's function, bound to the class below
    if hasattr(make, "cache_info"):
        return
    cached: Any = functools.lru_cache(maxsize=1024)(make)
    _replace(parser, "make", classmethod(cached))


def _patch_serial_queue_changes() -> None:
    queue_class, backend_class = moto.sqs.models.Queue, moto.sqs.models.SQSBackend
    delete, receive, purge = queue_class.delete_message, backend_class.receive_message, backend_class.purge_queue

    # The lock is a Condition over an RLock: a receive that long-polls waits on it (releasing it meanwhile).
    def delete_message(self: Any, receipt_handle: str) -> None:
        with self._messages_lock:
            delete(self, receipt_handle)

    def receive_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        with self.get_queue(queue_name)._messages_lock:
            return receive(self, queue_name, *args, **kwargs)

    def purge_queue(self: Any, queue_name: str) -> None:
        with self.get_queue(queue_name)._messages_lock:
            purge(self, queue_name)

    _replace(queue_class, "delete_message", delete_message)
    _replace(backend_class, "receive_message", receive_message)
    _replace(backend_class, "purge_queue", purge_queue)


def _patch_stream_append_wakes() -> None:
    add = StreamShard.add

    def add_and_wake(self: Any, old: Any, new: Any) -> None:
        add(self, old, new)
        stream_appends.added()

    _replace(StreamShard, "add", add_and_wake)


def _patch_cognito_email_usernames() -> None:
    moto.cognitoidp.utils.FORMATS["email"] = _EMAIL_USERNAME


#: The atext characters of RFC 5322 before the @, a dotted domain after it.
_EMAIL_USERNAME = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"


def _replace(owner: object, attribute: str, replacement: Any) -> None:
    """Swap one attribute (a method or function) for its patched version."""
    setattr(owner, attribute, replacement)


def peek_queue(account: str, region: str, queue_name: str) -> list[dict[str, Any]]:
    """Every message a queue holds (visible or in flight), without receiving it: ``[{messageId, body,
    attributes, receiveCount}]``. Read-only; receive counts and visibility are left alone."""

    queue = sqs_backends[account][region].get_queue(queue_name)
    return [
        {
            "messageId": message.id,
            "body": message.body,
            "attributes": {
                name: value.get("string_value", value.get("StringValue"))
                for name, value in (message.message_attributes or {}).items()
            },
            "receiveCount": message.approximate_receive_count,
        }
        for message in list(queue._messages)
    ]


def archived_events(account: str, region: str, archive_name: str) -> list[dict[str, Any]]:
    """The events an EventBridge archive holds (moto keeps them in memory), oldest first."""

    archive = events_backends[account][region].archives.get(archive_name)
    return [dict(event) for event in list(archive.events)] if archive is not None else []


def pattern_matches(pattern: str | dict[str, Any] | None, event: dict[str, Any]) -> bool:
    """EventBridge pattern matching as moto implements it (``test_event_pattern`` returns nothing)."""

    text = pattern if isinstance(pattern, str) or pattern is None else json.dumps(pattern)
    return bool(EventPattern.load(text).matches_event(cast(EventMessageType, event)))


def wake_pollers(account: str, region: str, queue_name: str) -> None:
    """Wake long-polling receivers of a queue (moto only wakes them on a send, not on a visibility change)."""

    queue = sqs_backends[account][region].get_queue(queue_name)
    with queue._messages_lock:
        queue._messages_lock.notify_all()
