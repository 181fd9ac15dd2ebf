"""CloudWatch alarms on the local clock: the queue alarms the invariants rest on, evaluated as CloudWatch would.

moto stores the program's alarms and never evaluates them. The local cloud evaluates the ones whose metric
it can measure exactly: ``AWS/SQS`` ``ApproximateNumberOfMessagesVisible`` (every dead-letter queue's
alarm) and ``ApproximateAgeOfOldestMessage`` (the consumers' backlog alarms), per ``QueueName``. Each time
the local clock passes a period boundary, every alarm gets one datapoint per elapsed period (the maximum
over the period: the queue's depth, which nothing changed while the clock jumped, and the age the oldest
message had at the end of that period). An alarm is in ALARM when ``DatapointsToAlarm`` (default
``EvaluationPeriods``) of its last ``EvaluationPeriods`` datapoints breach. A state change is recorded, set
on the alarm in moto, and published to the alarm's actions (``AlarmActions`` on ALARM, ``OKActions`` on OK)
in CloudWatch's SNS notification format. Alarms on other metrics are listed, not evaluated.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import operator
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localcloud import queue_clock

if TYPE_CHECKING:
    from devtools.program import ProgramRun
    from localcloud.runtime import Runtime

EVALUATED_METRICS = frozenset({"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"})
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


@dataclass
class Alarm:
    """One alarm the program defined, and its state on the local cloud."""

    name: str
    arn: str
    description: str
    namespace: str
    metric: str
    queue: str | None
    comparison: str
    threshold: float
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    alarm_actions: tuple[str, ...]
    ok_actions: tuple[str, ...]
    state: str = "INSUFFICIENT_DATA"
    datapoints: deque[float] = field(default_factory=deque)

    @property
    def evaluated(self) -> bool:
        return self.namespace == "AWS/SQS" and self.metric in EVALUATED_METRICS and self.queue is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "metric": f"{self.namespace} {self.metric}",
            "queue": self.queue,
            "threshold": self.threshold,
            "evaluated": self.evaluated,
        }


@dataclass(frozen=True)
class StateChange:
    alarm: str
    old: str
    new: str
    at: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"alarm": self.alarm, "old": self.old, "new": self.new, "at": self.at, "reason": self.reason}


class AlarmEvaluator:
    """Evaluates the cloud's alarms on its clock; ``history`` lists every state change, oldest first."""

    def __init__(self, runtime: Runtime, run: ProgramRun) -> None:
        self.runtime = runtime
        self.alarms: dict[str, Alarm] = {}
        self.history: list[StateChange] = []
        #: Every notification published to an alarm action (topic, subject, parsed message).
        self.published: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._last: float | None = runtime.clock.now()
        for resource in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
            inputs = resource.inputs
            evaluation_periods = int(inputs.get("evaluationPeriods") or 1)
            alarm = Alarm(
                name=str(resource.outputs.get("name") or resource.id),
                arn=str(resource.outputs.get("arn", "")),
                description=str(inputs.get("alarmDescription") or ""),
                namespace=str(inputs.get("namespace") or ""),
                metric=str(inputs.get("metricName") or ""),
                queue=(inputs.get("dimensions") or {}).get("QueueName"),
                comparison=str(inputs.get("comparisonOperator") or "GreaterThanOrEqualToThreshold"),
                threshold=float(inputs.get("threshold") or 0),
                period=int(inputs.get("period") or 60),
                evaluation_periods=evaluation_periods,
                datapoints_to_alarm=int(inputs.get("datapointsToAlarm") or evaluation_periods),
                alarm_actions=tuple(str(a) for a in inputs.get("alarmActions") or ()),
                ok_actions=tuple(str(a) for a in inputs.get("okActions") or ()),
            )
            self.alarms[alarm.name] = alarm

    def on_clock(self, now: float) -> None:
        """Clock watcher: evaluate once per elapsed minute of local time."""
        if self._last is None:
            self._last = now
            return
        if now - self._last >= 60:
            self.evaluate(now)

    def evaluate(self, now: float | None = None) -> list[StateChange]:
        """Take the datapoints owed since the last evaluation (at least one) and apply state changes."""
        now = self.runtime.clock.now() if now is None else now
        changes: list[StateChange] = []
        with self._lock:
            elapsed = now - (self._last if self._last is not None else now)
            self._last = now
            for alarm in self.alarms.values():
                if not alarm.evaluated or alarm.queue is None:
                    continue
                periods = max(1, min(alarm.evaluation_periods, math.floor(elapsed / alarm.period)))
                for index in reversed(range(periods)):
                    alarm.datapoints.append(self._datapoint(alarm, alarm.queue, now, index * alarm.period))
                while len(alarm.datapoints) > alarm.evaluation_periods:
                    alarm.datapoints.popleft()
                change = self._apply(alarm, now)
                if change is not None:
                    changes.append(change)
            self.history.extend(changes)
        for change in changes:
            self._notify(self.alarms[change.alarm], change)
        return changes

    def _datapoint(self, alarm: Alarm, queue: str, now: float, ago: float) -> float:
        account, region = self.runtime.account, self.runtime.region
        if alarm.metric == "ApproximateAgeOfOldestMessage":
            return max(0.0, queue_clock.oldest_message_age(account, region, queue, now) - ago)
        return float(queue_clock.visible_messages(account, region, queue))

    def _apply(self, alarm: Alarm, now: float) -> StateChange | None:
        compare = COMPARISONS[alarm.comparison]
        breaching = [value for value in alarm.datapoints if compare(value, alarm.threshold)]
        new = "ALARM" if len(breaching) >= alarm.datapoints_to_alarm else "OK"
        if new == alarm.state:
            return None
        latest = alarm.datapoints[-1]
        reason = (
            f"Threshold Crossed: {len(breaching)} out of the last {len(alarm.datapoints)} datapoints "
            f"[{', '.join(f'{v:g}' for v in alarm.datapoints)}] {'were' if new == 'ALARM' else 'were not'} "
            f"{alarm.comparison} the threshold ({alarm.threshold:g}); latest {latest:g}."
        )
        change = StateChange(alarm.name, alarm.state, new, now, reason)
        alarm.state = new
        return change

    def _notify(self, alarm: Alarm, change: StateChange) -> None:
        """Set the state in moto and publish to the actions, as CloudWatch does (its own principal)."""
        self.runtime.clients("cloudwatch").set_alarm_state(
            AlarmName=alarm.name, StateValue=change.new, StateReason=change.reason[:1023]
        )
        actions = alarm.alarm_actions if change.new == "ALARM" else alarm.ok_actions
        message = json.dumps(
            {
                "AlarmName": alarm.name,
                "AlarmDescription": alarm.description,
                "AWSAccountId": self.runtime.account,
                "NewStateValue": change.new,
                "NewStateReason": change.reason,
                "StateChangeTime": dt.datetime.fromtimestamp(change.at, dt.UTC).isoformat(timespec="milliseconds"),
                "Region": self.runtime.region,
                "AlarmArn": alarm.arn,
                "OldStateValue": change.old,
                "Trigger": {
                    "MetricName": alarm.metric,
                    "Namespace": alarm.namespace,
                    "Statistic": "MAXIMUM",
                    "Dimensions": [{"name": "QueueName", "value": alarm.queue}],
                    "Period": alarm.period,
                    "EvaluationPeriods": alarm.evaluation_periods,
                    "ComparisonOperator": alarm.comparison,
                    "Threshold": alarm.threshold,
                },
            }
        )
        subject = f'{change.new}: "{alarm.name}" in {self.runtime.region}'[:100]
        for action in actions:
            if ":sns:" in action:
                self.runtime.clients("sns").publish(TopicArn=action, Subject=subject, Message=message)
                self.published.append({"topic": action, "subject": subject, "message": json.loads(message)})
        self.runtime.trace.add("alarm", alarm.name, f"{change.old} -> {change.new}: {change.reason}")

    # --- accessors for tests and /_local/alarms ---

    def state(self, name: str) -> str:
        return self.alarms[name].state

    def raised(self) -> set[str]:
        """Every alarm that went to ALARM at least once."""
        return {change.alarm for change in self.history if change.new == "ALARM"}

    def for_queue(self, queue: str, metric: str = "ApproximateNumberOfMessagesVisible") -> list[Alarm]:
        return [a for a in self.alarms.values() if a.queue == queue and a.metric == metric]

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "alarms": [alarm.as_dict() for alarm in sorted(self.alarms.values(), key=lambda a: a.name)],
                "history": [change.as_dict() for change in self.history],
            }
