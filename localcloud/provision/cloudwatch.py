"""CloudWatch Logs log groups and CloudWatch metric alarms (the local cloud evaluates the SQS ones)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localcloud.provision.base import Context, Declared, Provisioned, Provisioner, as_int


def log_group(ctx: Context, resource: Declared) -> Provisioned:
    name = resource.name
    inputs = resource.inputs
    logs = ctx.client("logs")
    logs.create_log_group(logGroupName=name)
    if inputs.get("retentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=as_int(inputs["retentionInDays"]))
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
            kwargs[key] = as_int(inputs[src])
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
            "Period": as_int(metric.get("period", 60)),
            "Stat": metric.get("stat", "Sum"),
        }
    return result


PROVISIONERS: dict[str, Provisioner] = {
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
}
