"""Targets moto does not deliver to: EventBridge rule targets (Lambda, SNS, Step Functions) and EventBridge
Scheduler's one-time schedules (moto stores schedules and never fires them).

A Lambda target is queued as an asynchronous invocation once the function's resource policy lets
``events.amazonaws.com`` invoke it from that rule; SNS and Step Functions targets are delivered off moto's
thread. A delivery that fails goes to the target's dead-letter queue, as EventBridge does.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from moto.utilities.arns import parse_arn

from localcloud import direct
from localcloud.deployment import Deployment
from localcloud.runtime import Runtime
from localcloud.trace import order_id_of

#: ``(function name, event, source)``: how a Lambda target's event is handed to the async invoker.
InvokeAsync = Callable[[str, dict[str, Any], str], None]


class TargetDelivery:
    """Delivers rule targets (``deliver`` is moto's target hook) and fires due schedules (a clock watcher)."""

    def __init__(self, runtime: Runtime, deployment: Deployment, invoke_async: InvokeAsync) -> None:
        self.runtime = runtime
        self.deployment = deployment
        self.invoke_async = invoke_async
        #: Executions started here (state machine targets), with the order each is about.
        self._executions: dict[str, str | None] = {}
        self._schedule_lock = threading.Lock()

    # --- rule targets ------------------------------------------------------------------------------

    def deliver(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
        arn = parse_arn(target["Arn"])
        order_id = order_id_of(event)
        where = f"rule {rule.name}"
        trace = self.runtime.trace
        if arn.service == "lambda":
            function = self.deployment.function_by_arn(target["Arn"])
            if not self.deployment.allows_invoke(function, "events.amazonaws.com", rule.arn):
                trace.add("dead-letter", where, f"no permission for events to invoke {function.name}", order_id)
                self._to_dead_letter(target, event, "NO_PERMISSIONS")
                return
            trace.add("deliver", where, f"{event.get('detail-type')} -> {function.name} (async)", order_id)
            self.invoke_async(function.name, event, where)
            return
        trace.add("deliver", where, f"{event.get('detail-type')} -> {target['Arn']}", order_id)
        self._spawn_delivery(target, event)

    def _spawn_delivery(self, target: dict[str, Any], event: dict[str, Any]) -> None:
        """SNS and Step Functions targets, delivered off the caller's thread (moto is mid-request)."""
        clients = self.runtime.clients

        def deliver() -> None:
            try:
                arn = parse_arn(target["Arn"])
                body = json.dumps(event)
                if arn.service == "sns":
                    clients("sns").publish(TopicArn=target["Arn"], Message=body)
                elif arn.service == "states":
                    # EventBridge names executions itself (a fresh uuid), so a duplicate event starts a second one.
                    execution = clients("stepfunctions").start_execution(
                        stateMachineArn=target["Arn"], input=body, name=str(uuid.uuid4())
                    )["executionArn"]
                    self._executions[execution] = order_id_of(event)
            except Exception as error:
                self.runtime.trace.add("dead-letter", target["Arn"], f"delivery failed: {error}", order_id_of(event))
                self._to_dead_letter(target, event, type(error).__name__)
            finally:
                self.runtime.work.leave()

        self.runtime.work.enter()  # counted from now, so the cloud is never idle between the event and its delivery
        threading.Thread(target=deliver, name="target-delivery", daemon=True).start()

    def execution_ended(self, execution_arn: str, status: str) -> None:
        order_id = self._executions.pop(execution_arn, None)
        self.runtime.trace.add("result", execution_arn.split(":")[-2], f"execution {status}", order_id)

    def _to_dead_letter(self, target: Mapping[str, Any], event: Mapping[str, Any], code: str) -> None:
        dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not dead_letter:
            return
        info = self.deployment.queues[dead_letter]
        self.runtime.clients("sqs").send_message(
            QueueUrl=info.url,
            MessageBody=json.dumps(event),
            MessageAttributes={
                "ERROR_CODE": {"DataType": "String", "StringValue": code},
                "RULE_ARN": {"DataType": "String", "StringValue": str(target["Arn"])},
            },
        )

    # --- EventBridge Scheduler ---------------------------------------------------------------------

    def fire_due_schedules(self, now: float) -> None:
        """Fire every one-time ``at(...)`` schedule the clock has passed, as the Scheduler would.

        Only the EventBridge PutEvents universal target is implemented (what the program uses); a schedule
        whose put fails goes to its target's DLQ. ``ActionAfterCompletion: DELETE`` deletes it afterwards.
        """
        if not self.runtime.running:
            return
        account, region = self.runtime.account, self.runtime.region

        def passed(expression: str) -> bool:
            due = at_time(expression)
            return due is not None and due <= now

        with self._schedule_lock:
            for schedule in direct.schedules(account, region, passed):  # the Scheduler's own reads, not a caller's
                if schedule.get("State") == "DISABLED":
                    continue
                self._fire_schedule(schedule)
                if schedule.get("ActionAfterCompletion") == "DELETE":
                    direct.delete_schedule(account, region, schedule["GroupName"], schedule["Name"])

    def _fire_schedule(self, schedule: Mapping[str, Any]) -> None:
        target = schedule["Target"]
        parameters = target.get("EventBridgeParameters") or {}
        detail = str(target.get("Input") or "{}")
        where = f"schedule {schedule['Name']}"
        clients, trace = self.runtime.clients, self.runtime.trace
        try:
            entry = {
                "EventBusName": target["Arn"],
                "Source": parameters["Source"],
                "DetailType": parameters["DetailType"],
                "Detail": detail,
            }
            response = clients("events").put_events(Entries=[entry])
            if response.get("FailedEntryCount"):
                raise RuntimeError(str(response["Entries"]))
            trace.add("deliver", where, f"{parameters['DetailType']} -> {target['Arn']}", order_id_of(detail))
        except Exception as error:
            trace.add("dead-letter", where, f"delivery failed: {error}", order_id_of(detail))
            dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
            if dead_letter:
                url = clients("sqs").get_queue_url(QueueName=dead_letter.rsplit(":", 1)[-1])["QueueUrl"]
                clients("sqs").send_message(QueueUrl=url, MessageBody=detail)


def at_time(expression: str) -> float | None:
    """Epoch seconds of a one-time ``at(yyyy-mm-ddThh:mm:ss)`` expression (UTC), else None."""
    if not (expression.startswith("at(") and expression.endswith(")")):
        return None
    return dt.datetime.fromisoformat(expression[3:-1]).replace(tzinfo=dt.UTC).timestamp()
