"""Queries over a recorded program run: who targets what, which queue feeds which function."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Any

from devtools.program import ROOT, ProgramRun, RecordedResource

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TABLE = "aws:dynamodb/table:Table"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def lambda_entry_points(package: str = "handlers") -> list[str]:
    """Every Lambda entry point under `package` (`handlers.billing.app.handler`): each module-level function
    decorated with Powertools' `inject_lambda_context`, as every entry point is. What the program must deploy,
    read from the code."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == "inject_lambda_context"
                for decorator in node.decorator_list
            ):
                found.append(f"{module}.{node.name}")
    return found


@dataclass
class Graph:
    run: ProgramRun

    def by_physical_name(self, typ: str, name: str) -> RecordedResource:
        matches = [r for r in self.run.of_type(typ) if r.outputs.get("name") == name]
        assert len(matches) == 1, f"{len(matches)} {typ} named {name}"
        return matches[0]

    def rule_by_name(self, name: str) -> RecordedResource:
        return self.by_physical_name(RULE, name)

    def targets_of(self, rule: RecordedResource) -> list[RecordedResource]:
        return [t for t in self.run.of_type(TARGET) if t.inputs["rule"] == rule.outputs["name"]]

    def rule_of(self, target: RecordedResource) -> RecordedResource:
        return self.rule_by_name(target.inputs["rule"])

    def queue_policy_of(self, queue: RecordedResource) -> dict[str, Any]:
        policies = [p for p in self.run.of_type(QUEUE_POLICY) if p.inputs["queueUrl"] == queue.id]
        assert len(policies) == 1, f"queue {queue.name} has {len(policies)} policies"
        document: dict[str, Any] = json.loads(policies[0].inputs["policy"])
        return document

    def function_by_arn(self, arn: str) -> RecordedResource:
        return next(f for f in self.run.of_type(FUNCTION) if f.arn == arn)

    def role_policy_of(self, function: RecordedResource) -> dict[str, Any]:
        role = next(r for r in self.run.of_type(ROLE) if r.arn == function.inputs["role"])
        policies = [p for p in self.run.of_type(ROLE_POLICY) if p.inputs["role"] == role.id]
        assert len(policies) == 1, f"role {role.id} has {len(policies)} inline policies"
        document: dict[str, Any] = json.loads(policies[0].inputs["policy"])
        return document

    def grants_of(self, function: RecordedResource) -> set[tuple[str, str]]:
        """Every (action, resource) pair the function's role allows."""
        pairs = set()
        for statement in self.role_policy_of(function)["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in statement["Action"]:
                for resource in statement["Resource"]:
                    pairs.add((action, resource))
        return pairs

    def dead_letter_queue_arns(self) -> set[str]:
        """Every queue something dead-letters into: redrive, target DLQ or async on-failure destination."""
        arns = {
            json.loads(q.inputs["redrivePolicy"])["deadLetterTargetArn"]
            for q in self.run.of_type(QUEUE)
            if q.inputs.get("redrivePolicy")
        }
        arns |= {
            t.inputs["deadLetterConfig"]["arn"] for t in self.run.of_type(TARGET) if t.inputs.get("deadLetterConfig")
        }
        arns |= {c.inputs["destinationConfig"]["onFailure"]["destination"] for c in self.run.of_type(INVOKE_CONFIG)}
        arns |= {  # a stream consumer's mapping records what it gave up on
            m.inputs["destinationConfig"]["onFailure"]["destinationArn"]
            for m in self.run.of_type(MAPPING)
            if m.inputs.get("destinationConfig")
        }
        arns |= {
            json.loads(s.inputs["redrivePolicy"])["deadLetterTargetArn"]
            for s in self.run.of_type(SUBSCRIPTION)
            if s.inputs.get("redrivePolicy")
        }
        # Schedules a function creates at run time dead-letter to the queue it is handed.
        arns |= {
            f.inputs["environment"]["variables"]["SCHEDULER_DLQ_ARN"]
            for f in self.run.of_type(FUNCTION)
            if "SCHEDULER_DLQ_ARN" in f.inputs.get("environment", {}).get("variables", {})
        }
        return arns

    def queue_by_arn(self, arn: str) -> RecordedResource:
        return next(q for q in self.run.of_type(QUEUE) if q.arn == arn)
