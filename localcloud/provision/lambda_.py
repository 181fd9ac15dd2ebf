"""Lambda functions (stored with a stub package: the real code runs in process), permissions, event-source
mappings and asynchronous invocation configs.
"""

from __future__ import annotations

import functools
import io
import uuid
import zipfile
from typing import Any

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner, as_int


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
        "Timeout": as_int(inputs.get("timeout") or 3),
        "MemorySize": as_int(inputs.get("memorySize") or 128),
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


def layer_version(ctx: Context, resource: Declared) -> Provisioned:
    """Published with a stub archive, like functions: the local cloud runs handlers with this interpreter's
    packages (requirements-dev.txt pins the layer's versions), never the layer's arm64 wheels."""
    inputs = resource.inputs
    published = ctx.client("lambda").publish_layer_version(
        LayerName=str(inputs["layerName"]),
        Description=str(inputs.get("description") or ""),
        Content={"ZipFile": _stub_zip()},
        CompatibleRuntimes=list(inputs.get("compatibleRuntimes") or []),
        CompatibleArchitectures=list(inputs.get("compatibleArchitectures") or []),
    )
    arn = str(published["LayerVersionArn"])
    return arn, {"arn": arn, "layerArn": str(published["LayerArn"]), "version": str(published["Version"])}


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
        "BatchSize": as_int(inputs.get("batchSize") or 10),
    }
    if inputs.get("maximumBatchingWindowInSeconds") is not None:
        kwargs["MaximumBatchingWindowInSeconds"] = as_int(inputs["maximumBatchingWindowInSeconds"])
    if inputs.get("functionResponseTypes"):
        kwargs["FunctionResponseTypes"] = list(inputs["functionResponseTypes"])
    created = ctx.client("lambda").create_event_source_mapping(**kwargs)
    return created["UUID"], {"uuid": created["UUID"], "functionArn": created["FunctionArn"]}


def invoke_config(ctx: Context, resource: Declared) -> Provisioned:
    inputs = resource.inputs
    kwargs: dict[str, Any] = {"FunctionName": inputs["functionName"]}
    if inputs.get("maximumRetryAttempts") is not None:
        kwargs["MaximumRetryAttempts"] = as_int(inputs["maximumRetryAttempts"])
    if inputs.get("maximumEventAgeInSeconds") is not None:
        kwargs["MaximumEventAgeInSeconds"] = as_int(inputs["maximumEventAgeInSeconds"])
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


PROVISIONERS: dict[str, Provisioner] = {
    "aws:lambda/function:Function": function,
    "aws:lambda/permission:Permission": permission,
    "aws:lambda/layerVersion:LayerVersion": layer_version,
    "aws:lambda/eventSourceMapping:EventSourceMapping": event_source_mapping,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": invoke_config,
}
