"""A Runtime over moto, without a LocalCloud: what the async invoker and target delivery tests build on."""

from __future__ import annotations

from typing import Any

import pytest
from moto.events.models import EventPattern
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

from devtools.program import ACCOUNT_ID, ProgramRun, RecordedResource
from localcloud.clients import Clients
from localcloud.clock import Clock
from localcloud.deployment import Deployment, QueueInfo
from localcloud.faults import FaultInjector
from localcloud.functions import FunctionSpec
from localcloud.iam import CallRecorder
from localcloud.runtime import Runtime
from localcloud.trace import Trace

REGION = "us-east-1"


def runtime() -> Runtime:
    """Call inside ``mock_aws``: the clients reach moto."""
    clock = Clock()
    return Runtime(
        region=REGION,
        account=ACCOUNT_ID,
        clock=clock,
        trace=Trace(),
        clients=Clients(REGION),
        recorder=CallRecorder(REGION, ACCOUNT_ID),
        faults=FaultInjector(lambda name: name, clock.now),
        running=True,
    )


def function_spec(name: str) -> FunctionSpec:
    return FunctionSpec(
        name=name,
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
        handler=f"handlers.{name}.app.handler",
        environment={},
        timeout_seconds=3,
        memory_mb=128,
        role_arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
        log_group=f"/aws/lambda/{name}",
    )


def queue(runtime: Runtime, name: str) -> QueueInfo:
    sqs = runtime.clients("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return QueueInfo(name=name, url=url, arn=arn, visibility_timeout=30, max_receive_count=None, dead_letter_arn=None)


def deployment(*queues: QueueInfo, functions: tuple[FunctionSpec, ...] = ()) -> Deployment:
    found = Deployment(run=ProgramRun(stack="parts"), region=REGION)
    found.queues = {info.arn: info for info in queues}
    found.functions = {spec.name: spec for spec in functions}
    return found


def received(runtime: Runtime, info: QueueInfo) -> list[dict[str, object]]:
    response = runtime.clients("sqs").receive_message(
        QueueUrl=info.url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    messages: list[dict[str, object]] = response.get("Messages", [])
    return messages


def permissions(*declared: dict[str, Any]) -> list[RecordedResource]:
    """``aws:lambda/permission:Permission`` resources as the program would record them."""
    typ = "aws:lambda/permission:Permission"
    return [
        RecordedResource(typ, f"p{index}", {"action": "lambda:InvokeFunction"} | inputs, {}, f"p{index}", None)
        for index, inputs in enumerate(declared)
    ]


def count_flattened_events(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The events moto's EventBridge flattens to match patterns, one entry per flattening, from now on."""
    flattened: list[Any] = []
    flatten = EventPattern._flatten_dict

    def counting(node: Any, prefix: str = "", result: dict[str, Any] | None = None) -> dict[str, Any]:
        if not prefix:
            flattened.append(node)
        return flatten(node, prefix, result)

    monkeypatch.setattr(EventPattern, "_flatten_dict", staticmethod(counting))
    return flattened


def create_keyed_table(dynamodb: Any, name: str, key: str, **settings: Any) -> dict[str, Any]:
    """An on-demand table keyed by the string attribute ``key``; ``settings`` adds the rest of CreateTable's
    parameters (a stream, encryption). CreateTable's answer."""
    answer: dict[str, Any] = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **settings,
    )
    return answer


def count_definition_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every definition moto's ASL parser parses from now on, in order."""
    parsed: list[str] = []
    parse = AmazonStateLanguageParser.parse

    def counted(definition: str) -> Any:
        parsed.append(definition)
        return parse(definition)

    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(counted))
    return parsed
