"""Lambda runtime plumbing shared by the consumers: the idempotency store and the SQS batch runner."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.shared.clients import client

#: Consumers key idempotency on the incoming event's deterministic id; see ``handlers.shared.events``.
EVENT_ID_PATH = "detail.metadata.eventId"
#: How long a processed event id is remembered; later redeliveries hit the DynamoDB condition guards.
IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60

FunctionT = TypeVar("FunctionT", bound=Callable[..., Any])


class LazyDynamoDBPersistenceLayer(DynamoDBPersistenceLayer):
    """Powertools' DynamoDB persistence layer on ``table_name``, whose client is made on first use.

    Powertools' decorators take their layer when a module is imported; this one creates no client then.
    It gets the container's DynamoDB client (``handlers.shared.clients``): left to itself, Powertools starts a
    new session, which parses botocore's endpoint and DynamoDB data a second time on every cold start.
    """

    def __init__(self, table_name: str) -> None:
        self._lazy_table_name = table_name
        self._ready = False

    def configure(
        self, config: IdempotencyConfig, function_name: str | None = None, key_prefix: str | None = None
    ) -> None:
        if not self._ready:
            super().__init__(table_name=self._lazy_table_name, boto3_client=client("dynamodb"))
            self._ready = True
        super().configure(config, function_name, key_prefix)


def idempotency_store() -> tuple[DynamoDBPersistenceLayer, IdempotencyConfig]:
    """The idempotency table named by ``IDEMPOTENCY_TABLE`` (its client made on first use) and a config keyed on the
    event id."""
    persistence = LazyDynamoDBPersistenceLayer(os.environ["IDEMPOTENCY_TABLE"])
    config = IdempotencyConfig(
        event_key_jmespath=EVENT_ID_PATH,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
    )
    return persistence, config


def idempotent_on_event(
    persistence: DynamoDBPersistenceLayer, config: IdempotencyConfig
) -> Callable[[FunctionT], FunctionT]:
    """Powertools' ``@idempotent_function`` for a function taking the incoming ``OrderEvent`` as ``event=``.

    The key is the event's ``detail.metadata.eventId``; the function's result (a JSON-able dict) is
    stored and returned again for a redelivery. Typed, unlike the Powertools decorator it wraps.
    """

    def decorate(function: FunctionT) -> FunctionT:
        wrapped: FunctionT = idempotent_function(
            function, data_keyword_argument="event", persistence_store=persistence, config=config
        )
        return wrapped

    return decorate


def sqs_batch_processor() -> BatchProcessor:
    """A processor for SQS batches; a batch whose records all fail is reported, not raised."""
    return BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def process_sqs_batch(
    event: dict[str, Any],
    context: LambdaContext,
    record_handler: Callable[..., Any],
    processor: BatchProcessor,
    config: IdempotencyConfig,
) -> PartialItemFailureResponse:
    """Run ``record_handler`` over an SQS batch, answering ``{"batchItemFailures": [...]}``.

    The Lambda context is registered with the idempotency config first, so a record in progress when
    the function times out is not locked for longer than the invocation could have lasted.
    """
    config.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
