"""localcloud.request_signing: while installed, SigV4 requests carry SigV4's headers (moto still reads the
access key and answers), with the hashing skipped; uninstalling brings botocore's signer back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.auth
import pytest
from moto import mock_aws

from localcloud import request_signing

REGION = "eu-west-1"
AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/\d{8}/eu-west-1/sqs/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})"
)


@pytest.fixture
def sent() -> Iterator[list[dict[str, Any]]]:
    """The headers of each request botocore sends (after signing)."""
    headers: list[dict[str, Any]] = []
    with mock_aws():
        yield headers
    request_signing.uninstall()


def _client(sent: list[dict[str, Any]], key: str = "AKIDLOCAL") -> Any:
    client = boto3.client("sqs", region_name=REGION, aws_access_key_id=key, aws_secret_access_key="secret")
    client.meta.events.register("before-send", lambda request, **_: sent.append(dict(request.headers)))
    return client


def _signature(headers: dict[str, Any]) -> re.Match[str]:
    value = headers["Authorization"]
    match = AUTHORIZATION.fullmatch(value.decode() if isinstance(value, bytes) else value)
    assert match is not None, value
    return match


def test_requests_keep_sigv4_headers_with_an_unchecked_signature(
    sent: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    request_signing.install()
    request_signing.install()  # idempotent

    def no_hashing(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the canonical request was built")

    monkeypatch.setattr(botocore.auth.SigV4Auth, "canonical_request", no_hashing)
    client = _client(sent)
    url = client.create_queue(QueueName="orders")["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="hello")

    assert [m["Body"] for m in client.receive_message(QueueUrl=url)["Messages"]] == ["hello"]
    match = _signature(sent[-1])
    assert match["key"] == "AKIDLOCAL"
    assert "host" in match["signed"].split(";") and "x-amz-date" in match["signed"].split(";")
    assert match["signature"] == request_signing.UNCHECKED_SIGNATURE
    assert "X-Amz-Date" in sent[-1]


def test_uninstalling_signs_with_botocore_again(sent: list[dict[str, Any]]) -> None:
    request_signing.install()
    request_signing.uninstall()

    _client(sent).create_queue(QueueName="orders")

    assert botocore.auth.AUTH_TYPE_MAPS["v4"] is botocore.auth.SigV4Auth
    assert _signature(sent[-1])["signature"] != request_signing.UNCHECKED_SIGNATURE
