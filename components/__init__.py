"""Reusable, domain-free building blocks: one pattern per component, secure by default."""

from components.base import BusRef, Grant, Transforms, name_prefix
from components.bucket import Bucket, BucketArgs, ObjectLock, ServiceReader
from components.event_bus import EventBus, EventBusArgs
from components.event_service import EventService, EventServiceArgs
from components.function import FunctionArgs, LambdaFunction, Observability
from components.notifying_topic import NotifyingTopic, NotifyingTopicArgs, Route, TopicSubscription
from components.queued_consumer import Batching, QueuedConsumer, QueuedConsumerArgs
from components.rest_api import RestApi, RestApiArgs
from components.rule_delivery import DeliveryTarget, InputTransformer, RuleDelivery, RuleDeliveryArgs, TargetRole
from components.schedule_target import ScheduleTarget, ScheduleTargetArgs
from components.schema_registry import SchemaDocument, SchemaRegistry, SchemaRegistryArgs
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
    "DeliveryTarget",
    "EventBus",
    "EventBusArgs",
    "EventService",
    "EventServiceArgs",
    "FunctionArgs",
    "Grant",
    "InputTransformer",
    "LambdaFunction",
    "NotifyingTopic",
    "NotifyingTopicArgs",
    "ObjectLock",
    "Observability",
    "QueuedConsumer",
    "QueuedConsumerArgs",
    "RestApi",
    "RestApiArgs",
    "Route",
    "RuleDelivery",
    "RuleDeliveryArgs",
    "ScheduleTarget",
    "ScheduleTargetArgs",
    "SchemaDocument",
    "SchemaRegistry",
    "SchemaRegistryArgs",
    "ServiceReader",
    "StreamConsumer",
    "StreamConsumerArgs",
    "Subscription",
    "Table",
    "TableArgs",
    "TableIndex",
    "TargetRetry",
    "TargetRole",
    "TopicSubscription",
    "Transforms",
    "UserPool",
    "UserPoolArgs",
    "Workflow",
    "WorkflowArgs",
    "name_prefix",
]
