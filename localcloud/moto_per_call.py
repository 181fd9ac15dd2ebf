"""Work moto 5.2.5 does on every call, made cheaper; what each call answers and does is unchanged.

Profiling the bench (py-spy, only the thread holding the GIL) after the caches of ``moto_speedups``:

1. Random identifiers. moto draws every request id (52 characters), every SQS receipt handle (185) and
   every random string or hex id with one ``Random.choice`` per character, a Python call each: ~110
   calls per SQS call, ~12% of an SQS call's CPU. ``Random.choices`` draws the same distribution (each
   character uniform over the same alphabet) in one call. They still come from moto's ``mock_random``, so
   seeding it (moto's API for deterministic ids) still makes them repeat.
2. ``PutEvents`` built the whole event message (a deep copy of a template, the detail parsed from JSON
   again, the clock read twice) for every rule on the bus, and each rule's pattern match serialised that
   message to JSON and back and flattened it: ~20 rules on the program's bus, one or two of which match
   an event, made that ~25% of a PutEvents. The message is now flattened once per event and each rule's
   pattern matched against it (moto's own matcher, read only); a rule that matches gets a message built
   for it alone, as before, and is handed it through ``Rule.send_to_targets``. That message differs from
   the one matched only in its clock readings (``time``, ``ingestion-time``), so for a pattern that names
   neither the answer stands for it: ``send_to_targets`` (the local cloud's, then moto's for the SQS
   targets) no longer serialises, parses and flattens it twice more to match it again.
3. moto's request object for each call is built without werkzeug's test ``EnvironBuilder``
   (``moto_requests.py``).
"""

from __future__ import annotations

import copy
import json
import string
import threading
import warnings
from typing import Any

import moto.events.models as events_models
import moto.sqs.models
import moto.sqs.utils
from moto.events.exceptions import ValidationException
from moto.events.models import EventPattern, EventsBackend
from moto.events.utils import _BASE_EVENT_MESSAGE
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.moto_random import MotoRandom

from localcloud import moto_requests

_lock = threading.Lock()
_installed: set[str] = set()

#: moto's alphabets: ``get_random_string``'s letters (and digits), ``get_random_hex``'s characters.
_LETTERS = string.ascii_letters
_LETTERS_AND_DIGITS = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"
#: ``moto.sqs.utils.generate_receipt_handle``: 185 lower-case letters.
RECEIPT_HANDLE_LENGTH = 185


def install() -> None:
    """Apply the patches once per process (idempotent)."""
    with _lock:
        if _installed:
            return
        _draw_ids_in_one_call()
        _match_each_event_once()
        moto_requests.install()
        _installed.add("moto_per_call")


# --- 1. random identifiers -----------------------------------------------------------------------------


def get_random_string(self: MotoRandom, length: int = 20, include_digits: bool = True, lower_case: bool = False) -> str:
    drawn = "".join(self.choices(_LETTERS_AND_DIGITS if include_digits else _LETTERS, k=length))
    return drawn.lower() if lower_case else drawn


def get_random_hex(self: MotoRandom, length: int = 8) -> str:
    return "".join(self.choices(_HEX, k=length))


def generate_receipt_handle() -> str:
    return "".join(mock_random.choices(string.ascii_lowercase, k=RECEIPT_HANDLE_LENGTH))


def _draw_ids_in_one_call() -> None:
    MotoRandom.get_random_string = get_random_string  # type: ignore[method-assign]
    MotoRandom.get_random_hex = get_random_hex  # type: ignore[method-assign]
    # moto.sqs.models imported the function by name.
    moto.sqs.utils.generate_receipt_handle = generate_receipt_handle
    moto.sqs.models.generate_receipt_handle = generate_receipt_handle  # type: ignore[attr-defined]


# --- 2. PutEvents ------------------------------------------------------------------------------------------


def _event_message(backend: EventsBackend, event: dict[str, Any], event_id: str) -> Any:
    """The message moto 5.2.5's ``put_events`` builds for one rule."""
    message: Any = copy.deepcopy(_BASE_EVENT_MESSAGE)
    message["id"] = event_id
    message["detail-type"] = event["DetailType"]
    message["source"] = event["Source"]
    message["account"] = backend.account_id
    message["time"] = event.get("Time", _unix_time())
    message["region"] = backend.region_name
    message["resources"] = event.get("Resources", [])
    message["detail"] = json.loads(event["Detail"])
    message["ingestion-time"] = _unix_time()
    return message


def _unix_time() -> float:
    # Read from moto.events.models at each call, so a patch of that module's clock still applies.
    return float(getattr(events_models, "unix_time")())  # noqa: B009 - moto's import, not an export


#: The message fields that differ between the message matched and the message a matching rule is sent.
CLOCK_FIELDS = frozenset({"time", "ingestion-time"})
#: ``(message, pattern)`` known to match while ``put_events`` sends that message to that rule, on this thread.
_known_match = threading.local()


def names_clock_fields(pattern: Any) -> bool:
    """Whether an event pattern names ``time`` or ``ingestion-time`` at any depth (in ``$or`` too)."""
    if isinstance(pattern, dict):
        return any(key in CLOCK_FIELDS or names_clock_fields(value) for key, value in pattern.items())
    if isinstance(pattern, list):
        return any(names_clock_fields(item) for item in pattern)
    return False


def matches_event(pattern: EventPattern, event: Any) -> bool:
    """moto's ``EventPattern.matches_event``, answered at once for the message and rule ``put_events`` has
    just matched."""
    known = getattr(_known_match, "pair", None)
    if known is not None and known[0] is event and known[1] is pattern:
        return True
    return bool(moto_matches_event(pattern, event))


#: moto's own matcher.
moto_matches_event = EventPattern.matches_event


def _send_matched(rule: Any, message: Any) -> None:
    """``rule.send_to_targets(message)``, its pattern's match on ``message`` known."""
    previous = getattr(_known_match, "pair", None)
    _known_match.pair = (message, rule.event_pattern)
    try:
        rule.send_to_targets(message)
    finally:
        _known_match.pair = previous


class _SharedMatch:
    """One event's message, flattened once (as ``EventPattern.matches_event`` flattens it) on the first rule
    with a pattern, and matched against each rule's pattern."""

    def __init__(self, message: dict[str, Any]) -> None:
        self.message = message
        self._flat: dict[str, Any] | None = None

    def matches(self, pattern: EventPattern) -> bool:
        wanted = pattern.get_pattern()
        if not wanted:
            return True
        if self._flat is None:
            self._flat = EventPattern._flatten_dict(json.loads(json.dumps(self.message)))
        return bool(pattern._does_event_match(self._flat, wanted))


def _refusal(event: dict[str, Any]) -> dict[str, str] | None:
    """moto's entry for an event it refuses, or None."""
    for field, label in (("Source", "Source"), ("DetailType", "DetailType"), ("Detail", "Detail")):
        if not event.get(field):
            return {
                "ErrorCode": "InvalidArgument",
                "ErrorMessage": f"Parameter {label} is not valid. Reason: {label} is a required argument.",
            }
    try:
        detail = json.loads(event["Detail"])
    except ValueError:
        return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    if not isinstance(detail, dict):
        warnings.warn(
            f"EventDetail should be of type dict - types such as {type(detail)} are ignored by AWS", stacklevel=3
        )
    return None


def put_events(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # moto 5.2.5's EventsBackend.put_events; only the per-rule message and match differ (module docstring).
    if len(events) > 10:
        raise ValidationException(
            "1 validation error detected: "
            "Value '[PutEventsRequestEntry]' at 'entries' failed to satisfy constraint: "
            "Member must have length less than or equal to 10"
        )
    entries: list[dict[str, Any]] = []
    for event in events:
        refusal = _refusal(event)
        if refusal is not None:
            entries.append(refusal)
            continue
        event_id = str(mock_random.uuid4())
        entries.append({"EventId": event_id})
        event_bus = self.describe_event_bus(self._normalize_event_bus_arn(event.get("EventBusName")))
        shared: _SharedMatch | None = None
        for rule in list(event_bus.rules.values()):
            if shared is None:
                shared = _SharedMatch(_event_message(self, event, event_id))
            if shared.matches(rule.event_pattern):
                message = _event_message(self, event, event_id)
                if names_clock_fields(rule.event_pattern.get_pattern()):
                    rule.send_to_targets(message)  # matched again on this message's own clock readings
                else:
                    _send_matched(rule, message)
    return entries


#: moto's own ``put_events`` (the tests compare what each delivers).
moto_put_events = EventsBackend.put_events


def _match_each_event_once() -> None:
    EventsBackend.put_events = put_events  # type: ignore[method-assign]
    EventPattern.matches_event = matches_event  # type: ignore[method-assign,assignment]
