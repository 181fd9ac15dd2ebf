"""Email's durable sent-record: one row per (order or cart, kind of mail), so each mail goes out once.

Powertools idempotency remembers an event id for 24 hours; the bus archive keeps every event for
``archiveRetentionDays`` (90 in prod) and a replay delivers them all again. The sent table is what stops
a replay (or any redelivery after the idempotency record expired) from mailing the customer again.

The table has **no TTL**: a record must outlive every redelivery and replay, and a TTL derived from the
archive's retention would silently fall short for records written before that retention was raised. A row
holds ids, a status and timestamps only (no address, no message), one per mail sent, like the orders
themselves, which are kept too.

The protocol, per key ``<subject>#<kind>`` (subject = order id, or cart id for cart reminders):

1. **claim**: put ``{status: SENDING, leaseUntil, claim}`` if the key is new, or take over a SENDING row
   whose lease has run out (its sender died, or failed to publish). A ``SENT`` row answers with its message
   id and nothing is published. A SENDING row whose lease is live means another delivery is publishing right
   now: ``MailInFlightError``, so this delivery is retried later and then finds SENT (or an expired lease).
2. **publish** the message.
3. **mark** the row SENT with the message id, conditional on our claim.

A publish that fails releases the lease at once, so the retry publishes: the mail is never lost. Only a
sender that dies between 2 and 3 can make a retry publish a second time, once its lease (the invocation's
remaining time) has run out: at least once always, at most once except in that one-call window.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

SENDING = "SENDING"
SENT = "SENT"
#: Seconds added to the invocation's remaining time: a lease outlives the sender by this much.
LEASE_MARGIN_SECONDS = 5
#: The lease when no Lambda context was registered (tests, local tools): Lambda's longest timeout.
DEFAULT_LEASE_SECONDS = 900


class MailInFlightError(RuntimeError):
    """Another delivery is sending this mail right now; this delivery is retried later."""


@dataclass(frozen=True)
class Sent:
    """The outcome of ``send_once``: the message id, and whether this call published it."""

    message_id: str
    published: bool


def record_key(subject: str, kind: str) -> str:
    """The row's key: kinds never contain ``#``, so the last ``#`` splits the key unambiguously."""
    return f"{subject}#{kind}"


def _condition_failed(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


class SentLog:
    """The sent table named by ``SENT_TABLE``; its DynamoDB resource is created on first use."""

    def __init__(self, table_name: str | None = None, clock: Callable[[], float] = time.time) -> None:
        self._table_name = table_name
        self._clock = clock
        self._deadline: float | None = None

    @cached_property
    def table(self) -> Any:
        return boto3.resource("dynamodb").Table(self._table_name or os.environ["SENT_TABLE"])

    def register_lambda_context(self, context: LambdaContext) -> None:
        """Leases last as long as the invocation can, plus a margin."""
        self._deadline = self._clock() + context.get_remaining_time_in_millis() / 1000

    def _lease_until(self, now: float) -> int:
        deadline = (
            self._deadline if self._deadline is not None and self._deadline > now else now + DEFAULT_LEASE_SECONDS
        )
        return int(deadline) + LEASE_MARGIN_SECONDS

    def send_once(self, subject: str, kind: str, publish: Callable[[], str]) -> Sent:
        """Call ``publish`` (which returns the message id) unless this mail was sent already."""
        key = record_key(subject, kind)
        claim = str(uuid.uuid4())
        stored = self._claim(key, subject, kind, claim)
        if stored is not None:
            return Sent(message_id=str(stored["messageId"]), published=False)
        try:
            message_id = publish()
        except Exception:
            self._release(key, claim)
            raise
        self._mark_sent(key, claim, message_id)
        return Sent(message_id=message_id, published=True)

    def _claim(self, key: str, subject: str, kind: str, claim: str) -> dict[str, Any] | None:
        """Claim the key; ``None`` when claimed, the SENT row when the mail went out already."""
        now = self._clock()
        try:
            self.table.put_item(
                Item={
                    "id": key,
                    "subject": subject,
                    "kind": kind,
                    "status": SENDING,
                    "claim": claim,
                    "leaseUntil": self._lease_until(now),
                    "claimedAt": int(now),
                },
                ConditionExpression="attribute_not_exists(id) OR (#status = :sending AND leaseUntil < :now)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":sending": SENDING, ":now": int(now)},
            )
        except ClientError as error:
            if not _condition_failed(error):
                raise
            existing = self.table.get_item(Key={"id": key}, ConsistentRead=True).get("Item")
            if existing is not None and existing.get("status") == SENT:
                return dict(existing)
            raise MailInFlightError(f"The {kind} mail for {subject} is being sent by another delivery") from error
        return None

    def _release(self, key: str, claim: str) -> None:
        """The publish failed: let the next delivery claim the key at once."""
        try:
            self.table.update_item(
                Key={"id": key},
                UpdateExpression="SET leaseUntil = :zero",
                ConditionExpression="#claim = :claim AND #status = :sending",
                ExpressionAttributeNames={"#claim": "claim", "#status": "status"},
                ExpressionAttributeValues={":zero": 0, ":claim": claim, ":sending": SENDING},
            )
        except ClientError as error:
            if not _condition_failed(error):
                raise

    def _mark_sent(self, key: str, claim: str, message_id: str) -> None:
        """Record the mail as sent; a lost claim (our lease ran out and another sender took over) is kept."""
        try:
            self.table.update_item(
                Key={"id": key},
                UpdateExpression="SET #status = :sent, messageId = :messageId, sentAt = :at REMOVE leaseUntil",
                ConditionExpression="#claim = :claim",
                ExpressionAttributeNames={"#claim": "claim", "#status": "status"},
                ExpressionAttributeValues={
                    ":sent": SENT,
                    ":messageId": message_id,
                    ":at": int(self._clock()),
                    ":claim": claim,
                },
            )
        except ClientError as error:
            if not _condition_failed(error):
                raise
