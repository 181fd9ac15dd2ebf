"""localcloud.request_signing lists SigV4's SignedHeaders from the header names alone: the Authorization
header is botocore's own, key for key, for the program's requests and for awkward header sets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto import mock_aws

from localcloud import request_signing
from tests.localcloud.support import create_keyed_table

REGION = "eu-west-1"
TIMESTAMP = "20261205T062500Z"


def _botocore_authorization(request: AWSRequest, service: str) -> str:
    """The Authorization header botocore's own code builds, with the unchecked signature."""
    signer = botocore.auth.SigV4Auth(Credentials("AKIDLOCAL", "secret"), service, REGION)
    botocore.auth.SigV4Auth._inject_signature_to_request(signer, request, request_signing.UNCHECKED_SIGNATURE)
    return str(request.headers["Authorization"])


def _request(headers: list[tuple[str, str]], url: str = "https://sqs.eu-west-1.amazonaws.com/") -> AWSRequest:
    request = AWSRequest(method="POST", url=url, data=b"{}")
    for name, value in headers:
        request.headers[name] = value  # HTTPHeaders keeps repeated names
    request.context["timestamp"] = TIMESTAMP
    return request


HEADER_SETS = {
    "botocore's usual": [
        ("X-Amz-Target", "AmazonSQS.SendMessage"),
        ("Content-Type", "application/x-amz-json-1.0"),
        ("User-Agent", "Boto3/1.44.5"),
        ("X-Amz-Date", TIMESTAMP),
        ("X-Amz-Security-Token", "token"),
        ("Content-Length", "2"),
    ],
    "a host header": [("Host", "queue.local:4566"), ("X-Amz-Date", TIMESTAMP)],
    "unsigned names in any case": [("Expect", "100-continue"), ("TraceParent", "00-1"), ("x-amz-date", TIMESTAMP)],
    "a name twice, in two cases": [("X-Custom", "a"), ("x-custom", "b"), ("X-Amz-Date", TIMESTAMP)],
    "names with spaces": [("X-Padded ", "a"), ("x-padded", "b"), (" host", "c")],
    "no headers": [],
}


@pytest.mark.parametrize("headers", list(HEADER_SETS.values()), ids=list(HEADER_SETS))
def test_authorization_is_botocores_for_any_header_names(headers: list[tuple[str, str]]) -> None:
    expected = _botocore_authorization(_request(headers), "sqs")
    signer = request_signing.UncheckedSigV4Auth(Credentials("AKIDLOCAL", "secret", "token"), "sqs", REGION)
    got = _request(headers)

    signer._inject_signature_to_request(got, request_signing.UNCHECKED_SIGNATURE)

    assert got.headers["Authorization"] == expected


def test_the_installed_botocore_is_the_release_the_signer_is_written_for() -> None:
    assert botocore.__version__ == request_signing.BOTOCORE_VERSION, (
        f"botocore {botocore.__version__} is installed, the signer is written for {request_signing.BOTOCORE_VERSION}"
        " (requirements-dev.txt pins it): re-check request_signing.py against it before moving the pin"
    )


def test_the_names_are_listed_without_reading_the_url_or_the_values(monkeypatch: pytest.MonkeyPatch) -> None:
    def unread(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("botocore's header copy was made")

    monkeypatch.setattr(botocore.auth, "_host_from_url", unread)
    monkeypatch.setattr(botocore.auth.SigV4Auth, "headers_to_sign", unread)
    signer = request_signing.UncheckedSigV4Auth(Credentials("AKIDLOCAL", "secret"), "sqs", REGION)
    request = _request(HEADER_SETS["botocore's usual"])

    signer._inject_signature_to_request(request, request_signing.UNCHECKED_SIGNATURE)

    signed = "SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-security-token;x-amz-target,"
    assert signed in request.headers["Authorization"]


def test_another_botocore_lists_the_names_with_botocores_code(monkeypatch: pytest.MonkeyPatch) -> None:
    copies: list[AWSRequest] = []
    headers_to_sign = botocore.auth.SigV4Auth.headers_to_sign

    def counted(signer: Any, request: AWSRequest) -> Any:
        copies.append(request)
        return headers_to_sign(signer, request)

    monkeypatch.setattr(botocore.auth.SigV4Auth, "headers_to_sign", counted)
    monkeypatch.setattr(botocore, "__version__", "1.0.0")
    signer = request_signing.UncheckedSigV4Auth(Credentials("AKIDLOCAL", "secret"), "sqs", REGION)
    request = _request(HEADER_SETS["a host header"])

    signer._inject_signature_to_request(request, request_signing.UNCHECKED_SIGNATURE)

    assert copies == [request]


@pytest.fixture
def signed() -> Iterator[list[tuple[str, str]]]:
    """(Authorization the local cloud's signer wrote, Authorization botocore builds) for each request signed."""
    pairs: list[tuple[str, str]] = []
    with mock_aws():
        yield pairs
    request_signing.uninstall()


def test_the_programs_calls_carry_botocores_header_list(
    signed: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    request_signing.install()
    inject = request_signing.UncheckedSigV4Auth._inject_signature_to_request

    def compared(signer: Any, request: AWSRequest, signature: str) -> Any:
        copy = _request([(str(k), str(v)) for k, v in request.headers.items()], str(request.url))
        copy.context["timestamp"] = request.context["timestamp"]
        result = inject(signer, request, signature)
        signed.append((str(request.headers["Authorization"]), _botocore_authorization(copy, signer._service_name)))
        return result

    monkeypatch.setattr(request_signing.UncheckedSigV4Auth, "_inject_signature_to_request", compared)
    session = boto3.Session(aws_access_key_id="AKIDLOCAL", aws_secret_access_key="secret", region_name=REGION)
    sqs, dynamodb = session.client("sqs"), session.client("dynamodb")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    create_keyed_table(dynamodb, "orders", "pk")
    dynamodb.put_item(TableName="orders", Item={"pk": {"S": "o-1"}})

    assert len(signed) == 4
    for authorization, expected in signed:
        assert authorization == expected
