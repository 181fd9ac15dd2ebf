"""What AWS answers when a resource is created: the id and outputs each provider type gives, shaped as the AWS
provider shapes them (ARNs, URLs, endpoints), for the Pulumi mocks (``devtools.program.RecordingMocks``)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any


def short_hash(text: str, length: int = 7) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _api_scheme(inputs: Mapping[str, Any]) -> str:
    """An API Gateway v2 API's endpoint scheme: WebSocket APIs answer on wss, HTTP APIs on https."""
    return "wss" if inputs.get("protocolType") == "WEBSOCKET" else "https"


def _rule(name: str, inputs: Mapping[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    bus = inputs.get("eventBusName") or "default"
    path = name if bus == "default" else f"{bus}/{name}"
    return path, {"arn": f"arn:aws:events:{region}:{account}:rule/{path}"}


def provider_outputs(
    typ: str, logical_name: str, name: str, inputs: Mapping[str, Any], region: str, account: str
) -> tuple[str, dict[str, Any]]:
    """The id and outputs AWS would give a resource of type ``typ`` with this physical ``name``."""
    suffix = short_hash(logical_name, 10)
    arn_prefix = f"arn:aws:{{}}:{region}:{account}"
    api_id, stage = inputs.get("restApi"), inputs.get("stageName")
    shapes: dict[str, tuple[str, dict[str, Any]]] = {
        "aws:sqs/queue:Queue": (
            f"https://sqs.{region}.amazonaws.com/{account}/{name}",
            {
                "arn": f"arn:aws:sqs:{region}:{account}:{name}",
                "url": f"https://sqs.{region}.amazonaws.com/{account}/{name}",
            },
        ),
        "aws:sns/topic:Topic": (
            f"arn:aws:sns:{region}:{account}:{name}",
            {"arn": f"arn:aws:sns:{region}:{account}:{name}"},
        ),
        "aws:dynamodb/table:Table": (
            name,
            {
                "arn": f"arn:aws:dynamodb:{region}:{account}:table/{name}",
                "streamArn": f"arn:aws:dynamodb:{region}:{account}:table/{name}/stream/2026-01-01T00:00:00.000",
            },
        ),
        "aws:lambda/function:Function": (
            name,
            {
                "arn": f"arn:aws:lambda:{region}:{account}:function:{name}",
                "invokeArn": (
                    f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
                    f"arn:aws:lambda:{region}:{account}:function:{name}/invocations"
                ),
                "qualifiedArn": f"arn:aws:lambda:{region}:{account}:function:{name}:$LATEST",
                "version": "$LATEST",
            },
        ),
        "aws:iam/role:Role": (
            name,
            {"arn": f"arn:aws:iam::{account}:role/{name}", "uniqueId": f"AROA{suffix.upper()}"},
        ),
        "aws:iam/rolePolicy:RolePolicy": (f"{inputs.get('role')}:{name}", {}),
        "aws:cloudwatch/eventBus:EventBus": (name, {"arn": f"arn:aws:events:{region}:{account}:event-bus/{name}"}),
        "aws:cloudwatch/eventRule:EventRule": _rule(name, inputs, region, account),
        "aws:s3/bucket:Bucket": (
            str(inputs.get("bucket")),
            {
                "arn": f"arn:aws:s3:::{inputs.get('bucket')}",
                "bucket": str(inputs.get("bucket")),
                "bucketRegionalDomainName": f"{inputs.get('bucket')}.s3.{region}.amazonaws.com",
            },
        ),
        "aws:cloudfront/distribution:Distribution": (
            f"E{suffix.upper()}",
            {
                "arn": f"arn:aws:cloudfront::{account}:distribution/E{suffix.upper()}",
                "domainName": f"d{suffix}.cloudfront.net",
                "hostedZoneId": "Z2FDTNDATAQYW2",
            },
        ),
        "aws:wafv2/webAcl:WebAcl": (
            f"{suffix}-acl",
            {"arn": f"arn:aws:wafv2:{region}:{account}:regional/webacl/{name}/{suffix}-acl"},
        ),
        "aws:cloudwatch/eventArchive:EventArchive": (
            name,
            {"arn": f"arn:aws:events:{region}:{account}:archive/{name}"},
        ),
        "aws:cloudwatch/logGroup:LogGroup": (name, {"arn": f"arn:aws:logs:{region}:{account}:log-group:{name}"}),
        "aws:cloudwatch/metricAlarm:MetricAlarm": (
            name,
            {"arn": f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"},
        ),
        "aws:sfn/stateMachine:StateMachine": (
            f"arn:aws:states:{region}:{account}:stateMachine:{name}",
            {"arn": f"arn:aws:states:{region}:{account}:stateMachine:{name}"},
        ),
        "aws:scheduler/scheduleGroup:ScheduleGroup": (
            name,
            {"arn": f"arn:aws:scheduler:{region}:{account}:schedule-group/{name}"},
        ),
        "aws:kms/key:Key": (
            f"{suffix}-key",
            {"arn": f"arn:aws:kms:{region}:{account}:key/{suffix}-key", "keyId": f"{suffix}-key"},
        ),
        "aws:apigateway/restApi:RestApi": (
            suffix,
            {
                "arn": f"arn:aws:apigateway:{region}::/restapis/{suffix}",
                "rootResourceId": f"{suffix[:6]}root",
                "executionArn": f"arn:aws:execute-api:{region}:{account}:{suffix}",
            },
        ),
        "aws:apigateway/stage:Stage": (
            f"ags-{api_id}-{stage}",
            {
                "arn": f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}",
                "invokeUrl": f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}",
                "executionArn": f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}",
            },
        ),
        # API Gateway generates a key's value (40 characters) unless the program sets one.
        "aws:apigateway/apiKey:ApiKey": (
            f"{suffix}k",
            {
                "value": inputs.get("value") or short_hash(f"{logical_name}-value", 40),
                "arn": f"arn:aws:apigateway:{region}::/apikeys/{suffix}k",
            },
        ),
        "aws:apigatewayv2/api:Api": (
            suffix,
            {
                "arn": f"arn:aws:apigateway:{region}::/apis/{suffix}",
                "apiEndpoint": f"{_api_scheme(inputs)}://{suffix}.execute-api.{region}.amazonaws.com",
                "executionArn": f"arn:aws:execute-api:{region}:{account}:{suffix}",
            },
        ),
        "aws:apigatewayv2/stage:Stage": (
            name,
            {
                "arn": f"arn:aws:apigateway:{region}::/apis/{inputs.get('apiId')}/stages/{name}",
                "invokeUrl": f"wss://{inputs.get('apiId')}.execute-api.{region}.amazonaws.com/{name}",
                "executionArn": f"arn:aws:execute-api:{region}:{account}:{inputs.get('apiId')}/{name}",
            },
        ),
        "aws:lambda/layerVersion:LayerVersion": (
            f"arn:aws:lambda:{region}:{account}:layer:{inputs.get('layerName')}:1",
            {
                "arn": f"arn:aws:lambda:{region}:{account}:layer:{inputs.get('layerName')}:1",
                "layerArn": f"arn:aws:lambda:{region}:{account}:layer:{inputs.get('layerName')}",
                "version": "1",
            },
        ),
    }
    if typ in shapes:
        return shapes[typ]
    service = typ.split(":")[1].split("/", maxsplit=1)[0]
    return f"{name}-id", {"arn": f"{arn_prefix.format(service)}:{name}"}
