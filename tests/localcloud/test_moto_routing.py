"""localcloud.moto_routing: each URL's route through moto is found once, and moto answers as before."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest
from moto import mock_aws
from moto.core import config as moto_config
from moto.core.base_backend import BaseBackend
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.models import botocore_stubber

from localcloud import moto_patches, moto_routing

REGION = "eu-west-1"
REQUEST_ID = re.compile(r"<RequestId>[^<]*</RequestId>")

#: Read-only calls on the services the program uses: (service, method, arguments).
CALLS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("dynamodb", "list_tables", {}),
    ("sqs", "list_queues", {}),
    ("events", "list_rules", {}),
    ("stepfunctions", "list_state_machines", {}),
    ("lambda", "list_functions", {}),
    ("sns", "list_topics", {}),
    ("apigateway", "get_rest_apis", {}),
    ("cognito-idp", "list_user_pools", {"MaxResults": 10}),
    ("sts", "get_caller_identity", {}),
)


@pytest.fixture
def sent() -> Iterator[Callable[[str, str, dict[str, Any]], AWSPreparedRequest]]:
    """Makes a call in a fresh moto and hands back the request botocore sent."""
    moto_patches.install()
    with mock_aws():

        def call(service: str, method: str, arguments: dict[str, Any]) -> AWSPreparedRequest:
            requests: list[AWSPreparedRequest] = []
            client = boto3.client(service, region_name=REGION)
            client.meta.events.register("before-send", lambda request, **_: requests.append(request))
            getattr(client, method)(**arguments)
            return requests[-1]

        yield call


def _answer(response: Any) -> tuple[int, Any]:
    status, _, body = response
    text = body.decode() if isinstance(body, bytes) else body
    try:
        return status, json.loads(text)
    except ValueError:  # XML: the request id is its only varying part
        return status, REQUEST_ID.sub("<RequestId/>", text)


@pytest.mark.parametrize(("service", "method", "arguments"), CALLS, ids=[c[0] for c in CALLS])
def test_a_routed_request_gets_the_answer_moto_s_own_routing_gives(
    sent: Callable[..., AWSPreparedRequest], service: str, method: str, arguments: dict[str, Any]
) -> None:
    request = sent(service, method, arguments)

    routed = moto_routing.process_request(botocore_stubber, request)
    by_moto = moto_routing._by_moto(botocore_stubber, request)

    assert BotocoreStubber.process_request is moto_routing.process_request
    assert _answer(routed) == _answer(by_moto)
    assert routed[0] == 200


def test_a_url_s_route_is_found_once(sent: Callable[..., AWSPreparedRequest], monkeypatch: pytest.MonkeyPatch) -> None:
    tables_built: list[str] = []
    urls = BaseBackend.urls

    def counted(backend: BaseBackend) -> Any:
        tables_built.append(type(backend).__name__)
        return urls.fget(backend)  # type: ignore[attr-defined]

    monkeypatch.setattr(BaseBackend, "urls", property(counted))
    moto_routing.route.cache_clear()

    for _ in range(3):
        sent("dynamodb", "list_tables", {})
        sent("sqs", "list_queues", {})

    assert tables_built == ["DynamoDBBackend", "SQSBackend"]


def test_a_cached_route_still_honours_moto_s_passthrough_and_whitelist(
    sent: Callable[..., AWSPreparedRequest], monkeypatch: pytest.MonkeyPatch
) -> None:
    request = sent("dynamodb", "list_tables", {})

    monkeypatch.setitem(moto_config.default_user_config, "core", {"passthrough": {"services": ["dynamodb"]}})
    assert moto_routing.process_request(botocore_stubber, request) is None

    monkeypatch.setitem(moto_config.default_user_config, "core", {"service_whitelist": ["sqs"]})
    with pytest.raises(Exception, match="dynamodb"):
        moto_routing.process_request(botocore_stubber, request)


def test_s3_and_unknown_urls_keep_moto_s_own_routing(sent: Callable[..., AWSPreparedRequest]) -> None:
    s3 = sent("s3", "list_buckets", {})
    unknown = AWSPreparedRequest("GET", "https://nosuchservice.eu-west-1.amazonaws.com/", {}, b"", False)

    assert moto_routing.route("https://s3.amazonaws.com/", False) is None, "S3 rebuilds its URLs per request"
    assert moto_routing.process_request(botocore_stubber, s3)[0] == 200
    assert moto_routing.process_request(botocore_stubber, unknown) == (404, {}, "Not yet implemented")
