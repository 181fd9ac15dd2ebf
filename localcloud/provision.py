"""Deploys the real Pulumi program into moto: every resource the program declares is created for real.

``MotoMocks`` answers Pulumi's mock runtime with the ids and ARNs moto gives back, keeping the
provider's id conventions (queue id = URL, role id = name, role policy id = ``role:name``, rule on a
custom bus id = ``bus/name``). One provisioner per resource type lives in ``PROVISIONERS``; a type without
one is still recorded (with provider-shaped outputs, so the program completes) and listed as
``unprovisioned`` at start-up, never silently dropped. Adding a type (Step Functions, Scheduler, S3) is
one function and one dict entry.
"""

from __future__ import annotations

import ast
import functools
import io
import json
import threading
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import jsonschema
import pulumi
from botocore.config import Config

from devtools.program import ACCOUNT_ID, RecordedResource, RecordingMocks
from localcloud.provision_cloudfront import CLOUDFRONT_PROVISIONERS
from localcloud.provision_cognito import COGNITO_PROVISIONERS
from localcloud.provision_s3 import S3_PROVISIONERS
from localcloud.provision_wafv2 import WAFV2_PROVISIONERS

Outputs = dict[str, Any]
#: moto accepts any credentials; these never leave the process.
MOTO_KEY = "testing"
Provisioned = tuple[str, Outputs]


@dataclass
class Clients:
    """boto3 clients of one explicit session, created once, used only by the local cloud itself."""

    region: str
    session: boto3.Session = field(init=False)
    _clients: dict[str, Any] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        key = MOTO_KEY
        self.session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=key, region_name=self.region)

    def __call__(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                config = Config(retries={"max_attempts": 1}, account_id_endpoint_mode="disabled")
                self._clients[service] = self.session.client(service, config=config)
            return self._clients[service]


class Context:
    """What a provisioner gets: clients, region and account, and helpers over the raw mock inputs."""

    def __init__(self, clients: Clients, region: str, account: str) -> None:
        self.client = clients
        self.region = region
        self.account = account
        #: EventBridge Schema Registry, which moto does not implement: registry -> schema name -> content.
        self.schema_registries: dict[str, dict[str, str]] = {}

    @staticmethod
    def json_text(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value)

    @staticmethod
    def mapping(value: Any) -> dict[str, Any]:
        """A map input; a few arrive as Python-literal text rather than a map."""
        if isinstance(value, str):
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = ast.literal_eval(value)
            return dict(parsed)
        return dict(value or {})


@dataclass(frozen=True)
class Declared:
    """A resource as the program declared it: its physical name and its raw (camelCase) inputs."""

    name: str
    inputs: Mapping[str, Any]


Provisioner = Callable[[Context, Declared], Provisioned]


def _int(value: Any) -> int:
    return int(float(value))


# --- EventBridge -----------------------------------------------------------------------------------


def event_bus(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    arn = ctx.client("events").create_event_bus(Name=name)["EventBusArn"]
    return name, {"arn": arn}


def event_archive(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    kwargs: dict[str, Any] = {"ArchiveName": name, "EventSourceArn": inputs["eventSourceArn"]}
    if inputs.get("description"):
        kwargs["Description"] = inputs["description"]
    if inputs.get("retentionDays") is not None:
        kwargs["RetentionDays"] = _int(inputs["retentionDays"])
    if inputs.get("eventPattern"):
        kwargs["EventPattern"] = ctx.json_text(inputs["eventPattern"])
    arn = ctx.client("events").create_archive(**kwargs)["ArchiveArn"]
    return name, {"arn": arn}


def event_rule(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    bus = str(inputs.get("eventBusName") or "default")
    kwargs: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": inputs.get("state") or "ENABLED"}
    if inputs.get("eventPattern"):
        kwargs["EventPattern"] = ctx.json_text(inputs["eventPattern"])
    if inputs.get("scheduleExpression"):
        kwargs["ScheduleExpression"] = inputs["scheduleExpression"]
    if inputs.get("description"):
        kwargs["Description"] = inputs["description"]
    if inputs.get("roleArn"):
        kwargs["RoleArn"] = inputs["roleArn"]
    arn = ctx.client("events").put_rule(**kwargs)["RuleArn"]
    return (name if bus == "default" else f"{bus}/{name}"), {"arn": arn}


def event_target(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    bus = str(inputs.get("eventBusName") or "default")
    target_id = str(inputs.get("targetId") or name)
    target: dict[str, Any] = {"Id": target_id, "Arn": inputs["arn"]}
    retry = inputs.get("retryPolicy")
    if retry:
        target["RetryPolicy"] = {
            "MaximumRetryAttempts": _int(retry.get("maximumRetryAttempts", 185)),
            "MaximumEventAgeInSeconds": _int(retry.get("maximumEventAgeInSeconds", 86400)),
        }
    if inputs.get("deadLetterConfig"):
        target["DeadLetterConfig"] = {"Arn": inputs["deadLetterConfig"]["arn"]}
    transformer = inputs.get("inputTransformer")
    if transformer:
        target["InputTransformer"] = {
            "InputPathsMap": dict(transformer.get("inputPaths") or {}),
            "InputTemplate": transformer["inputTemplate"],
        }
    for key, aws_key in (("input", "Input"), ("inputPath", "InputPath"), ("roleArn", "RoleArn")):
        if inputs.get(key):
            target[aws_key] = inputs[key]
    if inputs.get("sqsTarget"):
        target["SqsParameters"] = {"MessageGroupId": inputs["sqsTarget"].get("messageGroupId")}
    ctx.client("events").put_targets(Rule=inputs["rule"], EventBusName=bus, Targets=[target])
    return f"{bus}-{inputs['rule']}-{target_id}", {"targetId": target_id}


# --- SQS -------------------------------------------------------------------------------------------

_QUEUE_ATTRIBUTES = {
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "delaySeconds": "DelaySeconds",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "maxMessageSize": "MaximumMessageSize",
    "redrivePolicy": "RedrivePolicy",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
    "fifoQueue": "FifoQueue",
    "contentBasedDeduplication": "ContentBasedDeduplication",
    "policy": "Policy",
}


def _attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value)


def queue(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    attributes = {
        aws_key: _attribute(inputs[key]) for key, aws_key in _QUEUE_ATTRIBUTES.items() if inputs.get(key) is not None
    }
    sqs = ctx.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, {"arn": arn, "url": url}


def queue_policy(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    url = str(inputs["queueUrl"])
    ctx.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": ctx.json_text(inputs["policy"])})
    return url, {}


# --- DynamoDB --------------------------------------------------------------------------------------


def table(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    keys = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        keys.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": keys,
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs.get("attributes", [])
        ],
        "BillingMode": inputs.get("billingMode") or "PAY_PER_REQUEST",
    }
    if inputs.get("globalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = [_index(index) for index in inputs["globalSecondaryIndexes"]]
    if inputs.get("streamEnabled"):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": inputs.get("streamViewType")}
    if (inputs.get("serverSideEncryption") or {}).get("enabled"):
        kwargs["SSESpecification"] = {"Enabled": True}
    dynamodb = ctx.client("dynamodb")
    description = dynamodb.create_table(**kwargs)["TableDescription"]
    ttl = inputs.get("ttl") or {}
    if ttl.get("enabled") and ttl.get("attributeName"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]}
        )
    outputs: Outputs = {"arn": description["TableArn"]}
    outputs["streamArn"] = description.get("LatestStreamArn") or f"{description['TableArn']}/stream/none"
    return name, outputs


def _index(index: Mapping[str, Any]) -> dict[str, Any]:
    keys = [{"AttributeName": index["hashKey"], "KeyType": "HASH"}]
    if index.get("rangeKey"):
        keys.append({"AttributeName": index["rangeKey"], "KeyType": "RANGE"})
    return {"IndexName": index["name"], "KeySchema": keys, "Projection": {"ProjectionType": index["projectionType"]}}


def table_item(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    item = json.loads(inputs["item"]) if isinstance(inputs["item"], str) else inputs["item"]
    ctx.client("dynamodb").put_item(TableName=inputs["tableName"], Item=item)
    key = item[inputs["hashKey"]]
    return f"{inputs['tableName']}|{inputs['hashKey']}|{next(iter(key.values()))}", {}


# --- IAM, logs, alarms, KMS ------------------------------------------------------------------------


def role(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    created = ctx.client("iam").create_role(
        RoleName=name,
        AssumeRolePolicyDocument=ctx.json_text(inputs["assumeRolePolicy"]),
        Path=inputs.get("path") or "/",
    )["Role"]
    return name, {"arn": created["Arn"], "uniqueId": created["RoleId"]}


def role_policy(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    role_name = str(inputs["role"]).rsplit("/", 1)[-1]
    ctx.client("iam").put_role_policy(
        RoleName=role_name, PolicyName=name, PolicyDocument=ctx.json_text(inputs["policy"])
    )
    return f"{role_name}:{name}", {}


def log_group(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    logs = ctx.client("logs")
    logs.create_log_group(logGroupName=name)
    if inputs.get("retentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=_int(inputs["retentionInDays"]))
    return name, {"arn": f"arn:aws:logs:{ctx.region}:{ctx.account}:log-group:{name}"}


_ALARM_FIELDS = {
    "alarmDescription": "AlarmDescription",
    "metricName": "MetricName",
    "namespace": "Namespace",
    "statistic": "Statistic",
    "comparisonOperator": "ComparisonOperator",
    "treatMissingData": "TreatMissingData",
    "alarmActions": "AlarmActions",
    "okActions": "OKActions",
    "insufficientDataActions": "InsufficientDataActions",
}


def metric_alarm(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    kwargs: dict[str, Any] = {key: inputs[src] for src, key in _ALARM_FIELDS.items() if inputs.get(src) is not None}
    for src, key in (
        ("period", "Period"),
        ("evaluationPeriods", "EvaluationPeriods"),
        ("datapointsToAlarm", "DatapointsToAlarm"),
    ):
        if inputs.get(src) is not None:
            kwargs[key] = _int(inputs[src])
    kwargs["Threshold"] = float(inputs.get("threshold") or 0)
    if inputs.get("dimensions"):
        kwargs["Dimensions"] = [{"Name": k, "Value": str(v)} for k, v in inputs["dimensions"].items()]
    if inputs.get("metricQueries"):
        kwargs["Metrics"] = [_metric_query(q) for q in inputs["metricQueries"]]
    ctx.client("cloudwatch").put_metric_alarm(AlarmName=name, **kwargs)
    return name, {"arn": f"arn:aws:cloudwatch:{ctx.region}:{ctx.account}:alarm:{name}"}


def _metric_query(query: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"Id": query["id"], "ReturnData": bool(query.get("returnData", False))}
    if query.get("expression"):
        result["Expression"] = query["expression"]
    if query.get("label"):
        result["Label"] = query["label"]
    metric = query.get("metric")
    if metric:
        result["MetricStat"] = {
            "Metric": {
                "Namespace": metric.get("namespace"),
                "MetricName": metric.get("metricName"),
                "Dimensions": [{"Name": k, "Value": str(v)} for k, v in (metric.get("dimensions") or {}).items()],
            },
            "Period": _int(metric.get("period", 60)),
            "Stat": metric.get("stat", "Sum"),
        }
    return result


def kms_key(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    kms = ctx.client("kms")
    kwargs: dict[str, Any] = {"Description": inputs.get("description") or name}
    if inputs.get("policy"):
        kwargs["Policy"] = ctx.json_text(inputs["policy"])
    metadata = kms.create_key(**kwargs)["KeyMetadata"]
    if inputs.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    return metadata["KeyId"], {"arn": metadata["Arn"], "keyId": metadata["KeyId"]}


# --- SNS -------------------------------------------------------------------------------------------


def topic(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    attributes = {"KmsMasterKeyId": str(inputs["kmsMasterKeyId"])} if inputs.get("kmsMasterKeyId") else {}
    arn = ctx.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
    return arn, {"arn": arn}


def topic_policy(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    ctx.client("sns").set_topic_attributes(
        TopicArn=inputs["arn"], AttributeName="Policy", AttributeValue=ctx.json_text(inputs["policy"])
    )
    return str(inputs["arn"]), {}


def topic_subscription(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    attributes: dict[str, str] = {}
    if inputs.get("rawMessageDelivery"):
        attributes["RawMessageDelivery"] = "true"
    if inputs.get("redrivePolicy"):
        attributes["RedrivePolicy"] = ctx.json_text(inputs["redrivePolicy"])
    if inputs.get("filterPolicy"):
        attributes["FilterPolicy"] = ctx.json_text(inputs["filterPolicy"])
        attributes["FilterPolicyScope"] = inputs.get("filterPolicyScope") or "MessageAttributes"
    arn = ctx.client("sns").subscribe(
        TopicArn=inputs["topic"],
        Protocol=inputs["protocol"],
        Endpoint=inputs["endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return arn, {"arn": arn}


# --- Lambda ----------------------------------------------------------------------------------------


@functools.cache
def _stub_zip() -> bytes:
    """moto stores a package; the real code runs in process from the project, by its handler path."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("README.txt", "localcloud runs this function in process from the project tree\n")
    return buffer.getvalue()


def function(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    kwargs: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": inputs.get("runtime") or "python3.13",
        "Role": inputs["role"],
        "Handler": inputs["handler"],
        "Code": {"ZipFile": _stub_zip()},
        "Timeout": _int(inputs.get("timeout") or 3),
        "MemorySize": _int(inputs.get("memorySize") or 128),
        "Environment": {"Variables": dict((inputs.get("environment") or {}).get("variables") or {})},
    }
    if inputs.get("architectures"):
        kwargs["Architectures"] = list(inputs["architectures"])
    if inputs.get("tracingConfig"):
        kwargs["TracingConfig"] = {"Mode": inputs["tracingConfig"]["mode"]}
    created = ctx.client("lambda").create_function(**kwargs)
    arn = created["FunctionArn"]
    return name, {
        "arn": arn,
        "invokeArn": f"arn:aws:apigateway:{ctx.region}:lambda:path/2015-03-31/functions/{arn}/invocations",
        "qualifiedArn": f"{arn}:$LATEST",
        "version": "$LATEST",
    }


def permission(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    statement_id = str(inputs.get("statementId") or name)
    kwargs: dict[str, Any] = {
        "FunctionName": inputs["function"],
        "StatementId": statement_id,
        "Action": inputs["action"],
        "Principal": inputs["principal"],
    }
    if inputs.get("sourceArn"):
        kwargs["SourceArn"] = inputs["sourceArn"]
    ctx.client("lambda").add_permission(**kwargs)
    return statement_id, {"statementId": statement_id}


def event_source_mapping(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    if "/stream/" in str(inputs["eventSourceArn"]):
        # Not given to moto: its own stream mapping invokes Lambda through Docker and then empties the shard.
        # localcloud/streams.py polls the stream instead, as Lambda would.
        mapping_id = str(uuid.uuid5(uuid.NAMESPACE_URL, resource.name))
        return mapping_id, {"uuid": mapping_id, "functionArn": str(inputs["functionName"])}
    kwargs: dict[str, Any] = {
        "EventSourceArn": inputs["eventSourceArn"],
        "FunctionName": inputs["functionName"],
        "BatchSize": _int(inputs.get("batchSize") or 10),
    }
    if inputs.get("maximumBatchingWindowInSeconds") is not None:
        kwargs["MaximumBatchingWindowInSeconds"] = _int(inputs["maximumBatchingWindowInSeconds"])
    if inputs.get("functionResponseTypes"):
        kwargs["FunctionResponseTypes"] = list(inputs["functionResponseTypes"])
    created = ctx.client("lambda").create_event_source_mapping(**kwargs)
    return created["UUID"], {"uuid": created["UUID"], "functionArn": created["FunctionArn"]}


def invoke_config(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    kwargs: dict[str, Any] = {"FunctionName": inputs["functionName"]}
    if inputs.get("maximumRetryAttempts") is not None:
        kwargs["MaximumRetryAttempts"] = _int(inputs["maximumRetryAttempts"])
    if inputs.get("maximumEventAgeInSeconds") is not None:
        kwargs["MaximumEventAgeInSeconds"] = _int(inputs["maximumEventAgeInSeconds"])
    destinations = inputs.get("destinationConfig") or {}
    config = {
        aws_key: {"Destination": destinations[key]["destination"]}
        for key, aws_key in (("onSuccess", "OnSuccess"), ("onFailure", "OnFailure"))
        if destinations.get(key)
    }
    if config:
        kwargs["DestinationConfig"] = config
    ctx.client("lambda").put_function_event_invoke_config(**kwargs)
    return str(inputs["functionName"]), {}


# --- API Gateway -----------------------------------------------------------------------------------


def rest_api(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    apigateway = ctx.client("apigateway")
    created = apigateway.create_rest_api(name=name, description=inputs.get("description") or "")
    api_id = created["id"]
    root = created.get("rootResourceId") or next(
        r["id"] for r in apigateway.get_resources(restApiId=api_id)["items"] if r["path"] == "/"
    )
    return api_id, {
        "arn": f"arn:aws:apigateway:{ctx.region}::/restapis/{api_id}",
        "rootResourceId": root,
        "executionArn": f"arn:aws:execute-api:{ctx.region}:{ctx.account}:{api_id}",
    }


def api_resource(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    created = ctx.client("apigateway").create_resource(
        restApiId=inputs["restApi"], parentId=inputs["parentId"], pathPart=inputs["pathPart"]
    )
    return created["id"], {"path": created["path"]}


def api_model(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    created = ctx.client("apigateway").create_model(
        restApiId=inputs["restApi"],
        name=inputs["name"],
        contentType=inputs["contentType"],
        schema=ctx.json_text(inputs["schema"]),
    )
    return created["id"], {}


def request_validator(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    created = ctx.client("apigateway").create_request_validator(
        restApiId=inputs["restApi"],
        name=name,
        validateRequestBody=bool(inputs.get("validateRequestBody")),
        validateRequestParameters=bool(inputs.get("validateRequestParameters")),
    )
    return created["id"], {}


def api_method(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    kwargs: dict[str, Any] = {
        "restApiId": inputs["restApi"],
        "resourceId": inputs["resourceId"],
        "httpMethod": inputs["httpMethod"],
        "authorizationType": inputs.get("authorization") or "NONE",
    }
    if inputs.get("requestParameters"):
        kwargs["requestParameters"] = {k: bool(v) for k, v in inputs["requestParameters"].items()}
    if inputs.get("requestModels"):
        kwargs["requestModels"] = dict(inputs["requestModels"])
    if inputs.get("requestValidatorId"):
        kwargs["requestValidatorId"] = inputs["requestValidatorId"]
    ctx.client("apigateway").put_method(**kwargs)
    return f"agm-{inputs['restApi']}-{inputs['resourceId']}-{inputs['httpMethod']}", {}


def api_integration(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    kwargs: dict[str, Any] = {
        "restApiId": inputs["restApi"],
        "resourceId": inputs["resourceId"],
        "httpMethod": inputs["httpMethod"],
        "type": inputs["type"],
    }
    optional = {
        "integrationHttpMethod": "integrationHttpMethod",
        "uri": "uri",
        "credentials": "credentials",
        "passthroughBehavior": "passthroughBehavior",
    }
    kwargs |= {aws_key: inputs[key] for key, aws_key in optional.items() if inputs.get(key)}
    if inputs.get("requestTemplates"):
        kwargs["requestTemplates"] = ctx.mapping(inputs["requestTemplates"])
    ctx.client("apigateway").put_integration(**kwargs)
    return f"agi-{inputs['restApi']}-{inputs['resourceId']}-{inputs['httpMethod']}", {}


def method_response(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    ctx.client("apigateway").put_method_response(
        restApiId=inputs["restApi"],
        resourceId=inputs["resourceId"],
        httpMethod=inputs["httpMethod"],
        statusCode=str(inputs["statusCode"]),
    )
    return f"agmr-{inputs['restApi']}-{inputs['resourceId']}-{inputs['httpMethod']}-{inputs['statusCode']}", {}


def integration_response(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    kwargs: dict[str, Any] = {
        "restApiId": inputs["restApi"],
        "resourceId": inputs["resourceId"],
        "httpMethod": inputs["httpMethod"],
        "statusCode": str(inputs["statusCode"]),
    }
    if inputs.get("responseTemplates"):
        kwargs["responseTemplates"] = ctx.mapping(inputs["responseTemplates"])
    if inputs.get("selectionPattern") is not None:
        kwargs["selectionPattern"] = inputs["selectionPattern"]
    ctx.client("apigateway").put_integration_response(**kwargs)
    return f"agir-{inputs['restApi']}-{inputs['resourceId']}-{inputs['httpMethod']}-{inputs['statusCode']}", {}


def gateway_response(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    kwargs: dict[str, Any] = {"restApiId": inputs["restApiId"], "responseType": inputs["responseType"]}
    if inputs.get("statusCode"):
        kwargs["statusCode"] = str(inputs["statusCode"])
    if inputs.get("responseTemplates"):
        kwargs["responseTemplates"] = ctx.mapping(inputs["responseTemplates"])
    ctx.client("apigateway").put_gateway_response(**kwargs)
    return f"aggr-{inputs['restApiId']}-{inputs['responseType']}", {}


def deployment(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    created = ctx.client("apigateway").create_deployment(restApiId=inputs["restApi"])
    return created["id"], {}


def stage(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    api_id, stage_name = inputs["restApi"], inputs["stageName"]
    ctx.client("apigateway").create_stage(
        restApiId=api_id,
        stageName=stage_name,
        deploymentId=inputs["deployment"],
        tracingEnabled=bool(inputs.get("xrayTracingEnabled")),
    )
    return f"ags-{api_id}-{stage_name}", {
        "arn": f"arn:aws:apigateway:{ctx.region}::/restapis/{api_id}/stages/{stage_name}",
        "invokeUrl": f"https://{api_id}.execute-api.{ctx.region}.amazonaws.com/{stage_name}",
        "executionArn": f"arn:aws:execute-api:{ctx.region}:{ctx.account}:{api_id}/{stage_name}",
    }


def method_settings(ctx: Context, resource: Declared) -> Provisioned:
    """Throttling and metrics are stage settings moto stores but the local API does not enforce."""
    inputs = resource.inputs
    settings = inputs.get("settings") or {}
    path = str(inputs["methodPath"])
    operations = [
        {
            "op": "replace",
            "path": f"/{path}/throttling/rateLimit",
            "value": str(settings.get("throttlingRateLimit", 0)),
        },
        {
            "op": "replace",
            "path": f"/{path}/throttling/burstLimit",
            "value": str(_int(settings.get("throttlingBurstLimit", 0))),
        },
    ]
    ctx.client("apigateway").update_stage(
        restApiId=inputs["restApi"], stageName=inputs["stageName"], patchOperations=operations
    )
    return f"{inputs['restApi']}-{inputs['stageName']}-{path}", {}


# --- EventBridge Schema Registry (not in moto: checked and recorded here) ------------------------------

SCHEMA_TYPES = {"JSONSchemaDraft4": jsonschema.Draft4Validator, "OpenApi3": None}


def schema_registry(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    if name in ctx.schema_registries:
        raise ValueError(f"registry {name} already exists")
    ctx.schema_registries[name] = {}
    return name, {"arn": f"arn:aws:schemas:{ctx.region}:{ctx.account}:registry/{name}"}


def schema(ctx: Context, resource: Declared) -> Provisioned:
    """What the registry would refuse is refused here: no registry, an unknown type, content that is no schema."""
    name = resource.name
    inputs = resource.inputs
    registry = str(inputs["registryName"])
    if registry not in ctx.schema_registries:
        raise ValueError(f"registry {registry} does not exist")
    if inputs["type"] not in SCHEMA_TYPES:
        raise ValueError(f"schema type {inputs['type']} is not one of {', '.join(SCHEMA_TYPES)}")
    content = ctx.json_text(inputs["content"])
    document = json.loads(content)
    validator = SCHEMA_TYPES[inputs["type"]]
    if validator is not None:
        validator.check_schema(document)
    schemas = ctx.schema_registries[registry]
    if name in schemas:
        raise ValueError(f"schema {name} already exists in registry {registry}")
    schemas[name] = content
    return f"{name}/{registry}", {
        "arn": f"arn:aws:schemas:{ctx.region}:{ctx.account}:schema/{registry}/{name}",
        "version": "1",
    }


# --- S3 --------------------------------------------------------------------------------------------


def bucket(ctx: Context, resource: Declared) -> Provisioned:
    name = str(resource.inputs.get("bucket") or resource.name)
    kwargs: dict[str, Any] = {"Bucket": name}
    if ctx.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
    ctx.client("s3").create_bucket(**kwargs)
    regional = f"{name}.s3.{ctx.region}.amazonaws.com"
    return name, {"arn": f"arn:aws:s3:::{name}", "bucket": name, "bucketRegionalDomainName": regional}


def bucket_encryption(ctx: Context, resource: Declared) -> Provisioned:
    rules = []
    for rule in resource.inputs.get("rules") or []:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        by_default: dict[str, Any] = {"SSEAlgorithm": default.get("sseAlgorithm", "AES256")}
        if default.get("kmsMasterKeyId"):
            by_default["KMSMasterKeyID"] = default["kmsMasterKeyId"]
        rules.append(
            {"ApplyServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled"))}
        )
    name = str(resource.inputs["bucket"])
    ctx.client("s3").put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    return name, {}


def bucket_public_access_block(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    name = str(inputs["bucket"])
    keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ctx.client("s3").put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={key[0].upper() + key[1:]: bool(inputs.get(key)) for key in keys},
    )
    return name, {}


def bucket_ownership(ctx: Context, resource: Declared) -> Provisioned:
    name = str(resource.inputs["bucket"])
    ownership = resource.inputs["rule"]["objectOwnership"]
    ctx.client("s3").put_bucket_ownership_controls(
        Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]}
    )
    return name, {}


def _conditioned_denial(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Deny" and bool(statement.get("Condition"))


def bucket_policy(ctx: Context, resource: Declared) -> Provisioned:
    """moto enforces bucket policies but ignores their conditions, so a conditioned Deny would deny every call:
    they are left out. "Deny when not over TLS": in process every call counts as secure. "Deny PutObject
    without If-None-Match" (write-once prefixes): moto enforces If-None-Match itself (412), and the handler
    tests prove the writer sends it."""
    name = str(resource.inputs["bucket"])
    policy = json.loads(ctx.json_text(resource.inputs["policy"]))
    policy["Statement"] = [s for s in policy.get("Statement", []) if not _conditioned_denial(s)]
    if policy["Statement"]:
        ctx.client("s3").put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return name, {}


def bucket_lifecycle(ctx: Context, resource: Declared) -> Provisioned:
    rules = []
    for rule in resource.inputs.get("rules") or []:
        converted: dict[str, Any] = {
            "ID": rule["id"],
            "Status": rule["status"],
            "Filter": {"Prefix": (rule.get("filter") or {}).get("prefix", "")},
        }
        if rule.get("expiration"):
            converted["Expiration"] = {"Days": _int(rule["expiration"]["days"])}
        if rule.get("noncurrentVersionExpiration"):
            days = rule["noncurrentVersionExpiration"]["noncurrentDays"]
            converted["NoncurrentVersionExpiration"] = {"NoncurrentDays": _int(days)}
        if rule.get("abortIncompleteMultipartUpload"):
            days = rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"]
            converted["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": _int(days)}
        rules.append(converted)
    name = str(resource.inputs["bucket"])
    ctx.client("s3").put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
    return name, {}


def bucket_notification(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    name = str(inputs["bucket"])
    if inputs.get("queues") or inputs.get("topics") or inputs.get("lambdaFunctions"):
        raise NotImplementedError("the local cloud provisions EventBridge bucket notifications only")
    configuration: dict[str, Any] = {"EventBridgeConfiguration": {}} if inputs.get("eventbridge") else {}
    ctx.client("s3").put_bucket_notification_configuration(Bucket=name, NotificationConfiguration=configuration)
    return name, {}


# --- Step Functions and Scheduler -------------------------------------------------------------------


def state_machine(ctx: Context, resource: Declared) -> Provisioned:
    """Executed for real: the local cloud's ``mock_aws`` runs with ``execute_state_machine`` on."""
    inputs = resource.inputs
    kwargs: dict[str, Any] = {
        "name": resource.name,
        "definition": ctx.json_text(inputs["definition"]),
        "roleArn": inputs["roleArn"],
        "type": inputs.get("type") or "STANDARD",
    }
    tracing = inputs.get("tracingConfiguration")
    if tracing:
        kwargs["tracingConfiguration"] = {"enabled": bool(tracing.get("enabled"))}
    arn = ctx.client("stepfunctions").create_state_machine(**kwargs)["stateMachineArn"]
    return arn, {"arn": arn}


def schedule_group(ctx: Context, resource: Declared) -> Provisioned:
    arn = ctx.client("scheduler").create_schedule_group(Name=resource.name)["ScheduleGroupArn"]
    return resource.name, {"arn": arn}


PROVISIONERS: dict[str, Provisioner] = {
    "aws:cloudwatch/eventBus:EventBus": event_bus,
    "aws:cloudwatch/eventArchive:EventArchive": event_archive,
    "aws:cloudwatch/eventRule:EventRule": event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": event_target,
    "aws:sqs/queue:Queue": queue,
    "aws:sqs/queuePolicy:QueuePolicy": queue_policy,
    "aws:dynamodb/table:Table": table,
    "aws:dynamodb/tableItem:TableItem": table_item,
    "aws:iam/role:Role": role,
    "aws:iam/rolePolicy:RolePolicy": role_policy,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:kms/key:Key": kms_key,
    "aws:sns/topic:Topic": topic,
    "aws:sns/topicPolicy:TopicPolicy": topic_policy,
    "aws:sns/topicSubscription:TopicSubscription": topic_subscription,
    "aws:lambda/function:Function": function,
    "aws:lambda/permission:Permission": permission,
    "aws:lambda/eventSourceMapping:EventSourceMapping": event_source_mapping,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": invoke_config,
    "aws:apigateway/restApi:RestApi": rest_api,
    "aws:apigateway/resource:Resource": api_resource,
    "aws:apigateway/model:Model": api_model,
    "aws:apigateway/requestValidator:RequestValidator": request_validator,
    "aws:apigateway/method:Method": api_method,
    "aws:apigateway/integration:Integration": api_integration,
    "aws:apigateway/methodResponse:MethodResponse": method_response,
    "aws:apigateway/integrationResponse:IntegrationResponse": integration_response,
    "aws:apigateway/response:Response": gateway_response,
    "aws:apigateway/deployment:Deployment": deployment,
    "aws:apigateway/stage:Stage": stage,
    "aws:apigateway/methodSettings:MethodSettings": method_settings,
    "aws:schemas/registry:Registry": schema_registry,
    "aws:schemas/schema:Schema": schema,
    "aws:s3/bucket:Bucket": bucket,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": bucket_encryption,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": bucket_public_access_block,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": bucket_ownership,
    "aws:s3/bucketPolicy:BucketPolicy": bucket_policy,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": bucket_lifecycle,
    "aws:s3/bucketNotification:BucketNotification": bucket_notification,
    "aws:sfn/stateMachine:StateMachine": state_machine,
    "aws:scheduler/scheduleGroup:ScheduleGroup": schedule_group,
    **S3_PROVISIONERS,
    **COGNITO_PROVISIONERS,
    **CLOUDFRONT_PROVISIONERS,
    **WAFV2_PROVISIONERS,
}


class ProvisioningError(RuntimeError):
    """moto refused a resource; the message names the resource, its type and moto's answer."""


class MotoMocks(RecordingMocks):
    """Creates each resource the program declares in moto and answers with moto's ids and ARNs."""

    def __init__(self, stack: str, region: str, clients: Clients) -> None:
        super().__init__(stack, region)
        self.context = Context(clients, region, ACCOUNT_ID)
        self.unprovisioned: list[RecordedResource] = []
        self.errors: list[str] = []
        self._provision_lock = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        if not args.custom or args.typ.startswith("pulumi:providers:"):
            return super().new_resource(args)
        provisioner = PROVISIONERS.get(args.typ)
        if provisioner is None:
            resource_id, outputs = super().new_resource(args)
            self.unprovisioned.append(self.run.resources[-1])
            return resource_id, outputs
        name = self.physical_name(args)
        try:
            with self._provision_lock:
                resource_id, extra = provisioner(self.context, Declared(name, args.inputs))
        except Exception as error:
            message = f"{args.typ} {args.name!r}: {type(error).__name__}: {error}"
            self.errors.append(message)
            raise ProvisioningError(message) from error
        outputs = {**args.inputs, "name": name, **extra, "id": resource_id}
        missing = [key for key, value in extra.items() if value is None]
        if missing:
            raise ProvisioningError(f"{args.typ} {args.name!r}: moto gave no {', '.join(missing)}")
        with self._lock:
            self.run.resources.append(
                RecordedResource(
                    typ=args.typ,
                    name=args.name,
                    inputs=dict(args.inputs),
                    outputs=outputs,
                    id=resource_id,
                    provider=args.provider,
                    custom=True,
                )
            )
        return resource_id, outputs
