"""The pack as the Pulumi engine runs it: the `pulumi.policy` entry point, given the pack directory,
serving the analyzer gRPC protocol in a process of its own, asked about single resources and about
the whole program's stack."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.queues
from collections.abc import Iterator, Mapping
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from devtools.program import ProgramRun
from policy.rules.pack import POLICIES
from policy.rules.resource_types import QUEUE, TABLE
from tests.policy.pack_process import serve_pack
from tests.policy.support import urn


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    context = multiprocessing.get_context("spawn")
    sink: multiprocessing.queues.Queue[bytes] = context.Queue()
    process = context.Process(target=serve_pack, args=(sink,), daemon=True)
    process.start()
    try:
        port = int(sink.get(timeout=60).decode().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=20)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.terminate()
        process.join(timeout=10)


def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    json_format.ParseDict(json.loads(json.dumps(props, default=lambda item: f"<{type(item).__name__}>")), message)
    return message


def diagnostics(response: analyzer_pb2.AnalyzeResponse) -> list[tuple[str, int]]:
    return [(diagnostic.policyName, diagnostic.enforcementLevel) for diagnostic in response.diagnostics]


def test_pack_announces_every_policy_with_its_enforcement_level(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())

    levels = {policy.name: analyzer_pb2.EnforcementLevel.Name(policy.enforcementLevel) for policy in info.policies}
    assert info.name == "eventshop-guardrails"
    assert levels == {policy.name: str(getattr(policy.enforcement_level, "value", "")).upper() for policy in POLICIES}


def test_engine_request_for_an_unencrypted_queue_gets_a_mandatory_diagnostic(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    request = analyzer_pb2.AnalyzeRequest(type=QUEUE, properties=struct({"name": "q"}), urn=urn(QUEUE, "q"), name="q")

    assert diagnostics(analyzer.Analyze(request)) == [("sqs-queue-encrypted", analyzer_pb2.MANDATORY)]


def test_engine_request_for_a_prod_table_reads_the_environment_from_the_provider(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    provider = analyzer_pb2.AnalyzerProviderResource(
        type="pulumi:providers:aws",
        properties=struct({"defaultTags": json.dumps({"tags": {"environment": "prod"}})}),
        urn=urn("pulumi:providers:aws", "aws"),
        name="aws",
    )
    table = {"serverSideEncryption": {"enabled": True}, "deletionProtectionEnabled": False}
    request = analyzer_pb2.AnalyzeRequest(
        type=TABLE, properties=struct(table), urn=urn(TABLE, "t"), name="t", provider=provider
    )

    assert diagnostics(analyzer.Analyze(request)) == [("prod-table-durability", analyzer_pb2.MANDATORY)] * 2


def test_engine_stack_request_for_the_whole_program_has_no_mandatory_diagnostic(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, program_run: ProgramRun
) -> None:
    resources = [
        analyzer_pb2.AnalyzerResource(
            type=resource.typ,
            properties=struct(resource.outputs),
            urn=urn(resource.typ, resource.name, program_run.stack),
            name=resource.name,
        )
        for resource in program_run.custom_resources
    ]

    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources))

    assert len(resources) > 100
    assert [d for d in diagnostics(response) if d[1] == analyzer_pb2.MANDATORY] == []


def test_engine_stack_request_reports_an_unalarmed_dead_letter_queue_by_urn(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    arn = "arn:aws:sqs:eu-west-1:123456789012:work-dlq"
    queues = [
        (
            "work",
            {
                "name": "work",
                "arn": "arn:aws:sqs:eu-west-1:123456789012:work",
                "sqsManagedSseEnabled": True,
                "redrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3}),
            },
        ),
        ("work-dlq", {"name": "work-dlq", "arn": arn, "sqsManagedSseEnabled": True}),
    ]
    resources = [
        analyzer_pb2.AnalyzerResource(type=QUEUE, properties=struct(props), urn=urn(QUEUE, name), name=name)
        for name, props in queues
    ]

    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources))

    alarmed = [d.urn for d in response.diagnostics if d.policyName == "dead-letter-queues-alarmed"]
    assert alarmed == [urn(QUEUE, "work-dlq")]
