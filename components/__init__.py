"""Reusable, domain-free building blocks: one pattern per component, secure by default."""

from components.base import BusRef, Grant, Transforms
from components.bucket import Bucket, BucketArgs, ObjectLock, ServiceReader
from components.event_bus import EventBus, EventBusArgs
from components.event_service import EventService, EventServiceArgs
from components.function import FunctionArgs, LambdaFunction, Observability
from components.notifying_topic import NotifyingTopic, NotifyingTopicArgs, Route, TopicSubscription
from components.queued_consumer import Batching, QueuedConsumer, QueuedConsumerArgs
from components.stream_consumer import StreamConsumer, StreamConsumerArgs
from components.subscriptions import Subscription, TargetRetry
from components.table import Table, TableArgs, TableIndex
from components.user_pool import UserPool, UserPoolArgs
from components.workflow import Workflow, WorkflowArgs

__all__ = [
    "Batching",
    "Bucket",
    "BucketArgs",
    "BusRef",
    "EventBus",
    "EventBusArgs",
    "EventService",
    "EventServiceArgs",
    "FunctionArgs",
    "Grant",
    "LambdaFunction",
    "NotifyingTopic",
    "NotifyingTopicArgs",
    "ObjectLock",
    "Observability",
    "QueuedConsumer",
    "QueuedConsumerArgs",
    "Route",
    "ServiceReader",
    "StreamConsumer",
    "StreamConsumerArgs",
    "Subscription",
    "Table",
    "TableArgs",
    "TableIndex",
    "TargetRetry",
    "TopicSubscription",
    "Transforms",
    "UserPool",
    "UserPoolArgs",
    "Workflow",
    "WorkflowArgs",
]
