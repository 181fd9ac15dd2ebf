"""localcloud.moto_requests.prefill: a request built directly has the url_root and, for a JSON body, the data,
form, files and stream werkzeug computes for the same request (moto's own ``from_primitives``)."""

from __future__ import annotations

from typing import Any

import pytest
from moto.core.request import Request
from werkzeug.datastructures import ImmutableMultiDict

from localcloud import moto_requests

JSON_BODY = b'{"TableName": "orders", "Key": {"pk": {"S": "o-1"}}}'
REQUESTS: dict[str, tuple[str, dict[str, str], bytes]] = {
    "DynamoDB": (
        "https://dynamodb.eu-west-1.amazonaws.com/",
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem"},
        JSON_BODY,
    ),
    "SQS": (
        "https://sqs.eu-west-1.amazonaws.com/",
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ReceiveMessage"},
        b'{"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"}',
    ),
    "Step Functions, 1.1": (
        "https://states.eu-west-1.amazonaws.com/",
        {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSStepFunctions.StartExecution"},
        b'{"stateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:orders"}',
    ),
    "REST JSON with a query": (
        "https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/orders/invocations?Qualifier=live",
        {"Content-Type": "application/json"},
        b'{"orderId": "o-1"}',
    ),
    "a form": (
        "https://sts.amazonaws.com/",
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        b"Action=GetCallerIdentity&Version=2011-06-15",
    ),
    "a standard port": ("https://dynamodb.eu-west-1.amazonaws.com:443/", {"Content-Type": "application/json"}, b"{}"),
    "another port, http": ("http://localhost:4566/", {"Content-Type": "application/x-amz-json-1.0"}, b"{}"),
    "gzip": (
        "https://monitoring.eu-west-1.amazonaws.com/",
        {"Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip"},
        b"\x1f\x8b",
    ),
    "text/plain": ("https://s3.eu-west-1.amazonaws.com/bucket/key.txt", {"Content-Type": "text/plain"}, b"hello"),
}


def _observed(request: Any) -> dict[str, Any]:
    """What moto can read of a request, in the order moto's ``setup_class`` reads it."""
    return {
        "raw_url": request.raw_url,
        "url_root": request.url_root,
        "host": request.host,
        "data": request.data,
        "form": request.form,
        "files": request.files,
        "values": request.values.to_dict(flat=False),
        "args": request.args.to_dict(flat=False),
        "get_data": request.get_data(),
        "stream": request.stream.read(),
        "content_type": request.content_type,
    }


@pytest.mark.parametrize("case", list(REQUESTS.values()), ids=list(REQUESTS))
def test_a_prefilled_request_reads_as_werkzeug_s(case: tuple[str, dict[str, str], bytes]) -> None:
    url, headers, body = case
    built = [moto_requests.from_primitives(Request, "POST", url, headers, body) for _ in range(2)]
    by_werkzeug = moto_requests.moto_from_primitives(Request, "POST", url, headers, body)

    assert built[0].environ.keys() == by_werkzeug.environ.keys()
    expected = _observed(by_werkzeug)
    for request in built:  # the first computes url_root, the second has it from the first
        assert _observed(request) == expected


def test_a_json_body_is_read_without_werkzeug_s_form_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def unparsed(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("werkzeug looked for a form")

    url, headers, body = REQUESTS["DynamoDB"]
    moto_requests.from_primitives(Request, "POST", url, headers, body)  # url_root kept for this host
    monkeypatch.setattr(Request, "_load_form_data", unparsed)
    monkeypatch.setattr(Request, "root_url", property(unparsed))
    request = moto_requests.from_primitives(Request, "POST", url, headers, body)

    assert request.data == JSON_BODY
    assert request.form == ImmutableMultiDict()
    assert request.raw_url == "https://dynamodb.eu-west-1.amazonaws.com/"


def test_a_form_is_still_parsed_by_werkzeug() -> None:
    url, headers, body = REQUESTS["a form"]

    request = moto_requests.from_primitives(Request, "POST", url, headers, body)

    assert request.form["Action"] == "GetCallerIdentity"
    assert request.data == b""
