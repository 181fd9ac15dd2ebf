"""localcloud.moto_requests: moto's request object built directly holds what werkzeug's EnvironBuilder gives."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import werkzeug.test
from moto import mock_aws
from moto.core.request import Request

from localcloud import moto_patches, moto_requests
from tests.localcloud.support import create_keyed_table

REGION = "eu-west-1"
SIGNED = {
    "X-Amz-Date": "20261205T030000Z",
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261205/eu-west-1/dynamodb/aws4_request, Signature=00",
    "User-Agent": "Boto3/1.44.5 md/Botocore#1.44.8 ua/2.1 os/linux lang/python#3.11.7",
    "amz-sdk-invocation-id": "0b6f4a5e-1",
    "amz-sdk-request": "attempt=1",
}


@pytest.fixture(autouse=True)
def installed() -> None:
    moto_patches.install()


def _seen(request: Request) -> dict[str, Any]:
    """What a moto handler can read of a request: its environ (the body read out) and werkzeug's views."""
    environ = dict(request.environ)
    environ.pop("werkzeug.request", None)
    body = environ.pop("wsgi.input").read()
    environ["wsgi.input"] = body
    request.environ["wsgi.input"].seek(0)
    return {
        "environ": environ,
        "url": request.url,
        "path": request.path,
        "raw_url": request.raw_url,
        "headers": list(request.headers),
        "args": request.args.to_dict(flat=False),
        "data": request.get_data(),
        "form": request.form.to_dict(flat=False),
    }


def _both(method: str, url: str, headers: dict[str, Any], body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    ours = moto_requests.from_primitives(Request, method, url, headers, body)
    werkzeug_s = moto_requests.moto_from_primitives(Request, method, url, headers, body)
    return _seen(ours), _seen(werkzeug_s)


PLAIN = [
    (
        "POST",
        "https://dynamodb.eu-west-1.amazonaws.com/",
        {**SIGNED, "X-Amz-Target": "DynamoDB_20120810.UpdateItem", "Content-Type": "application/x-amz-json-1.0"},
        b'{"TableName": "orders", "Key": {"pk": {"S": "o-1"}}}',
    ),
    (
        "POST",
        "https://sns.eu-west-1.amazonaws.com/",
        {**SIGNED, "Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Content-Length": "999"},
        "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aeu-west-1%3A123456789012%3Aorders&Message=caf%C3%A9",
    ),
    (
        "GET",
        "http://localhost:5000/2015-03-31/functions/orders-api/invocations?Qualifier=live&x=a%20b",
        {**SIGNED, "X-Amz-Meta-Some_Key": b"bytes value", "Transfer-Encoding": "chunked", "x-forwarded": "one"},
        "é in the body".encode(),
    ),
    ("POST", "https://sqs.eu-west-1.amazonaws.com/", {"Content-Type": "application/x-amz-json-1.0"}, b"{}"),
    ("POST", "https://s3.eu-west-1.amazonaws.com/bucket/key-1.json", {"X-A": "one", "X_A": "two"}, b"body"),
]
ODD = [
    ("PUT", "https://s3.eu-west-1.amazonaws.com/bucket/a%2Fb%20c.txt", dict(SIGNED), b"encoded path"),
    ("PUT", "https://s3.eu-west-1.amazonaws.com/bucket/caf\u00e9.txt", dict(SIGNED), b"unicode path"),
    ("GET", "https://sqs.eu-west-1.amazonaws.com/?Action=ListQueues", dict(SIGNED), b""),
    ("GET", "https://sqs.eu-west-1.amazonaws.com/", {"Content-Length": "0"}, None),
    ("POST", "https://sqs.eu-west-1.amazonaws.com//double", {"Content-Type": "a", "content-type": "b"}, b"x"),
    ("POST", "https://sqs.eu-west-1.amazonaws.com/?q=caf\u00e9", {}, b"non-ASCII query"),
]


@pytest.mark.parametrize(("method", "url", "headers", "body"), PLAIN)
def test_a_plain_request_is_built_directly_as_werkzeug_builds_it(
    method: str, url: str, headers: dict[str, Any], body: Any
) -> None:
    items = [(k, v.decode() if isinstance(v, bytes) else v) for k, v in headers.items() if k != "Transfer-Encoding"]
    assert moto_requests.plain_environ(method, url, items, body) is not None
    ours, werkzeug_s = _both(method, url, headers, body)
    assert ours == werkzeug_s


@pytest.mark.parametrize(("method", "url", "headers", "body"), ODD)
def test_any_other_request_is_left_to_werkzeug(method: str, url: str, headers: dict[str, Any], body: Any) -> None:
    assert moto_requests.plain_environ(method, url, list(headers.items()), body) is None
    ours, werkzeug_s = _both(method, url, headers, body)
    assert ours == werkzeug_s


def test_moto_builds_a_plain_request_without_werkzeug_s_environ_builder(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_builder(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("werkzeug's EnvironBuilder built the request")

    monkeypatch.setattr(werkzeug.test.EnvironBuilder, "get_environ", no_builder)
    method, url, headers, body = PLAIN[0]
    request = Request.from_primitives(method, url, headers, body)

    assert request.headers["X-Amz-Target"] == "DynamoDB_20120810.UpdateItem"
    assert json.loads(request.get_data())["TableName"] == "orders"


def test_the_program_s_calls_reach_moto_as_werkzeug_would_build_them(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[str] = []
    built_directly: list[str] = []

    def comparing(cls: type[Request], method: str, url: str, headers: Any, body: Any = None) -> Any:
        if hasattr(body, "read"):  # an upload's stream, read once for the three requests built from it
            body = body.read()
        ours, werkzeug_s = _both(method, url, headers, body)
        assert ours == werkzeug_s, url
        items = [(k, v.decode() if isinstance(v, bytes) else v) for k, v in headers.items()]
        if moto_requests.plain_environ(method, url, items, body) is not None:
            built_directly.append(url)
        compared.append(url)
        return moto_requests.from_primitives(cls, method, url, headers, body)

    monkeypatch.setattr(Request, "from_primitives", classmethod(comparing))
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_keyed_table(dynamodb, "orders", "pk")
        dynamodb.put_item(TableName="orders", Item={"pk": {"S": "o-1"}, "total": {"N": "5"}})
        dynamodb.update_item(
            TableName="orders",
            Key={"pk": {"S": "o-1"}},
            UpdateExpression="SET #t = #t + :one",
            ExpressionAttributeNames={"#t": "total"},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        assert dynamodb.get_item(TableName="orders", Key={"pk": {"S": "o-1"}})["Item"]["total"] == {"N": "6"}
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="orders")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="caf\u00e9")
        assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "caf\u00e9"
        sns = boto3.client("sns", region_name=REGION)
        topic = sns.create_topic(Name="orders")["TopicArn"]
        sns.publish(TopicArn=topic, Message="caf\u00e9 & more")
        boto3.client("events", region_name=REGION).put_events(
            Entries=[{"Source": "shop", "DetailType": "Placed", "Detail": "{}"}]
        )
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="invoices", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket="invoices", Key="2026/o 1.pdf", Body=b"%PDF")
        assert s3.get_object(Bucket="invoices", Key="2026/o 1.pdf")["Body"].read() == b"%PDF"

    assert len(compared) >= 12
    assert len(built_directly) >= len(compared) - 3, "all but S3's uploads and reads of an encoded key"
