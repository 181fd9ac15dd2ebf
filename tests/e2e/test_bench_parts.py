"""The bench's and the boot's own parts: shared botocore data, the AWS call counter, the scale sizes."""

from __future__ import annotations

import inspect
import io
from typing import Any

import boto3
import botocore.client
import botocore.session
import moto.core.loaders
import moto.core.utils
import pytest
from moto import mock_aws
from rich.console import Console

from localcloud import botocore_cache
from localcloud.bench import BenchRun, calls_table, parse_sizes
from localcloud.call_counter import LOCAL_CLOUD, CallCounter
from localcloud.demo import RunResult
from localcloud.iam import CallRecorder
from localcloud.metering import SFN_INTERPRETER_KEY, STATES


def test_sessions_share_one_loader_and_clients_one_rule_set_but_stay_their_own() -> None:
    botocore_cache.install()
    first, second = botocore.session.Session(), botocore.session.Session()
    assert first.get_component("data_loader") is second.get_component("data_loader")
    ireland = first.create_client("sqs", region_name="eu-west-1")
    virginia = second.create_client("sqs", region_name="us-east-1")
    assert ireland is not virginia
    assert ireland.meta.events is not virginia.meta.events, "event hooks (IAM-by-use) stay per client"
    resolvers: list[Any] = [c._ruleset_resolver for c in (ireland, virginia)]
    assert resolvers[0]._provider is resolvers[1]._provider, "one parsed rule set per service"
    assert ireland.meta.endpoint_url == "https://sqs.eu-west-1.amazonaws.com"
    assert virginia.meta.endpoint_url == "https://sqs.us-east-1.amazonaws.com"


def test_s3_keeps_its_own_rule_set_with_its_excluded_parameters() -> None:
    botocore_cache.install()
    s3 = botocore.session.Session().create_client("s3", region_name="eu-west-1")
    sqs = botocore.session.Session().create_client("sqs", region_name="eu-west-1")
    assert s3._ruleset_resolver._provider is not sqs._ruleset_resolver._provider
    assert s3._ruleset_resolver._provider._excluded_params, "S3's unreferenced parameters are still excluded"


def test_moto_reads_every_service_model_through_one_loader_with_its_extras() -> None:
    botocore_cache.install()
    loaders = {id(moto.core.utils.create_loader()) for _ in range(3)}  # type: ignore[attr-defined]
    assert len(loaders) == 1
    loader = moto.core.utils.create_loader()  # type: ignore[attr-defined]
    assert isinstance(loader, moto.core.loaders.Loader), "moto's loader, which adds moto's extras to the models"
    assert moto.core.utils.get_service_model("sqs").service_name == "sqs"


def test_the_remembered_kwargs_check_answers_as_inspect_does() -> None:
    def with_kwargs(event_name: str, **kwargs: Any) -> None: ...

    def without_kwargs(event_name: str) -> None: ...

    class Hook:
        def __call__(self, **kwargs: Any) -> None: ...

        def method(self, event_name: str) -> None: ...

    for handler in (with_kwargs, without_kwargs, Hook().method, Hook(), lambda **_: None):
        expected = bool(inspect.getfullargspec(handler)[2])
        assert botocore_cache._function_accepts_kwargs(handler) is expected
        assert botocore_cache._function_accepts_kwargs(handler) is expected, "the remembered answer agrees"


def test_calls_are_counted_as_the_handlers_or_the_local_clouds_and_the_hook_is_removed_after() -> None:
    recorder = CallRecorder("eu-west-1", "123456789012")
    counter = CallCounter()
    original = botocore.client.BaseClient._make_api_call
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-1")
        with counter.counting():
            sqs.list_queues()
            with recorder.acting_as("eventshop-dev-billing"):
                sqs.list_queues()
                sqs.create_queue(QueueName="counted")
        sqs.list_queues()
    assert botocore.client.BaseClient._make_api_call is original
    assert counter.counts == {
        (LOCAL_CLOUD, "sqs:ListQueues"): 1,
        ("eventshop-dev-billing", "sqs:ListQueues"): 1,
        ("eventshop-dev-billing", "sqs:CreateQueue"): 1,
    }
    assert (counter.by_handlers, counter.by_local_cloud) == (2, 1)
    assert counter.top(principal_is_cloud=False) == [("sqs:ListQueues", 1), ("sqs:CreateQueue", 1)]


def test_calls_of_the_step_functions_interpreter_count_as_the_state_machines() -> None:
    counter = CallCounter()
    with mock_aws():
        # moto's interpreter makes its clients with a fixed access key (localcloud/metering.py)
        interpreter = boto3.client(
            "sqs", region_name="eu-west-1", aws_access_key_id=SFN_INTERPRETER_KEY, aws_secret_access_key="sk"
        )
        cloud_side = boto3.client("sqs", region_name="eu-west-1")
        with counter.counting():
            interpreter.list_queues()
            cloud_side.list_queues()
    assert counter.counts == {(STATES, "sqs:ListQueues"): 1, (LOCAL_CLOUD, "sqs:ListQueues"): 1}
    assert (counter.by_handlers, counter.by_local_cloud) == (1, 1)


def test_scale_sizes_are_order_counts_separated_by_commas() -> None:
    assert parse_sizes("100,500,2000") == [100, 500, 2000]
    for bad in ("", "100,lots", "0", "-5"):
        with pytest.raises(ValueError, match="--scale takes"):
            parse_sizes(bad)


def test_the_calls_breakdown_lists_every_principal_and_operation_per_order() -> None:
    counter = CallCounter()
    for principal, operation, n in (
        (LOCAL_CLOUD, "sqs:ListQueues", 9),
        ("eventshop-dev-email", "sns:Publish", 2),
        ("eventshop-dev-billing", "dynamodb:GetItem", 1),
        ("eventshop-dev-billing", "dynamodb:PutItem", 4),
    ):
        for _ in range(n):
            counter.add(None if principal == LOCAL_CLOUD else principal, *operation.split(":"))
    assert counter.breakdown() == [
        ("eventshop-dev-billing", "dynamodb:PutItem", 4),
        ("eventshop-dev-billing", "dynamodb:GetItem", 1),
        ("eventshop-dev-email", "sns:Publish", 2),
        (LOCAL_CLOUD, "sqs:ListQueues", 9),
    ]
    two_orders = RunResult(orders={"o-1": "approved", "o-2": "declined"})
    run = BenchRun(result=two_orders, boot_cpu_seconds=0.0, calls=counter, boot_path="cached")
    console = Console(width=120, file=io.StringIO(), record=True)
    console.print(calls_table(run))
    rows = [line.split("│")[1:4] for line in console.export_text().splitlines() if line.count("│") == 4]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["eventshop-dev-billing", "dynamodb:PutItem", "2.00"],
        ["", "dynamodb:GetItem", "0.50"],
        ["eventshop-dev-email", "sns:Publish", "1.00"],
        [LOCAL_CLOUD, "sqs:ListQueues", "4.50"],
    ]
