"""IAM grants proven by use: every AWS call a function makes, checked against its role's policy.

moto's IAM enforcement cannot prove least privilege (it checks resource ARNs for SQS and S3 only), so the
local cloud records each call instead: every botocore client created while the recorder is installed
gets a ``before-parameter-build`` hook, and the call is attributed to the function (or API integration
role) running on that thread. Calls Lambda makes with the function's role on its behalf (polling the
queue, sending to a destination) are recorded explicitly by the runtime.

A call is allowed when an Allow statement of the role's policies matches its action and resource
(``fnmatch`` wildcards, case-insensitive actions) and the conditions the local cloud knows how to
evaluate (``StringEquals`` on ``events:source``) hold. Deny statements are not needed by this program
and are not evaluated.
"""

from __future__ import annotations

import contextlib
import contextvars
import fnmatch
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import botocore.session

from localcloud import stepfunctions

#: (action, resource ARN, condition keys) of one authorisation.
Authorisation = tuple[str, str, dict[str, str]]

_principal: contextvars.ContextVar[str | None] = contextvars.ContextVar("localcloud_principal", default=None)


def current_principal() -> str | None:
    """The function (or API integration role) the AWS calls on this thread are attributed to, if any."""
    return _principal.get()


@dataclass(frozen=True)
class AwsCall:
    """One authorisation request: ``principal`` (function name or role) did ``action`` on ``resource``."""

    principal: str
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        extra = "".join(f" with {key}={value}" for key, value in self.context)
        return f"{self.principal}: {self.action} on {self.resource}{extra}"


@dataclass
class CallRecorder:
    """Collects ``AwsCall``s; thread-safe. ``region``/``account`` build ARNs from names."""

    region: str
    account: str
    counts: Counter[AwsCall] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextlib.contextmanager
    def acting_as(self, principal: str) -> Iterator[None]:
        """Attribute the AWS calls made on this thread to ``principal`` for the duration."""
        token = _principal.set(principal)
        try:
            yield
        finally:
            _principal.reset(token)

    def record(self, principal: str, action: str, resource: str, **context: str) -> None:
        with self._lock:
            self.counts[AwsCall(principal, action, resource, tuple(sorted(context.items())))] += 1

    @property
    def calls(self) -> list[AwsCall]:
        """Each distinct call once (``counts`` says how often), sorted."""
        with self._lock:
            return sorted(self.counts, key=str)

    def by_principal(self, principal: str) -> list[AwsCall]:
        return [call for call in self.calls if call.principal == principal]

    def on_call(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        principal = _principal.get()
        if principal is None:
            return
        prefix = model.service_model.signing_name
        for action, resource, context in self.authorisations(prefix, model.name, params):
            self.record(principal, action, resource, **context)

    def authorisations(self, prefix: str, operation: str, params: Mapping[str, Any]) -> list[Authorisation]:
        """One entry per IAM authorisation a call needs (a transaction needs one per item)."""
        resolve = _RESOLVERS.get(prefix)
        if resolve is None:
            return [(f"{prefix}:{operation}", "*", {})]
        return resolve(self, operation, params)

    def _events(self, operation: str, params: Mapping[str, Any]) -> list[Authorisation]:
        if operation != "PutEvents":
            return [(f"events:{operation}", "*", {})]
        return [
            (
                "events:PutEvents",
                self._bus_arn(str(entry.get("EventBusName") or "default")),
                {"events:source": str(entry.get("Source", ""))},
            )
            for entry in params.get("Entries", [])
        ]

    def _sns(self, operation: str, params: Mapping[str, Any]) -> list[Authorisation]:
        target = params.get("TopicArn") or params.get("TargetArn") or "*"
        return [(f"sns:{operation}", str(target), {})]

    def _sqs(self, operation: str, params: Mapping[str, Any]) -> list[Authorisation]:
        # IAM authorises the batch calls with the single-message actions.
        url = str(params.get("QueueUrl", ""))
        name = url.rstrip("/").rsplit("/", 1)[-1] if url else str(params.get("QueueName", "*"))
        return [(f"sqs:{operation.removesuffix('Batch')}", f"arn:aws:sqs:{self.region}:{self.account}:{name}", {})]

    def _s3(self, operation: str, params: Mapping[str, Any]) -> list[Authorisation]:
        bucket, key = params.get("Bucket"), params.get("Key")
        return [(f"s3:{operation}", f"arn:aws:s3:::{bucket}" + (f"/{key}" if key else ""), {})]

    def _states(self, operation: str, params: Mapping[str, Any]) -> list[Authorisation]:
        arn = params.get("stateMachineArn") or params.get("executionArn") or "*"
        if "taskToken" in params:
            # SendTask*: IAM authorises them on the state machine whose execution issued the token.
            arn = stepfunctions.token_owner(self.account, self.region, str(params["taskToken"])) or "*"
        return [(f"states:{operation}", str(arn), {})]

    def _scheduler(self, operation: str, params: Mapping[str, Any]) -> list[Authorisation]:
        group = params.get("GroupName") or "default"
        resource = f"arn:aws:scheduler:{self.region}:{self.account}:schedule/{group}/{params.get('Name', '*')}"
        return [(f"scheduler:{operation}", resource, {})]

    def _dynamodb(self, operation: str, params: Mapping[str, Any]) -> list[Authorisation]:
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", self._table_arn(name), {}) for name in params.get("RequestItems", {})]
        if operation in ("TransactWriteItems", "TransactGetItems"):
            actions = {
                "Put": "PutItem",
                "Update": "UpdateItem",
                "Delete": "DeleteItem",
                "ConditionCheck": "ConditionCheckItem",
                "Get": "GetItem",
            }
            found: list[Authorisation] = []
            for item in params.get("TransactItems", []):
                for kind, spec in item.items():
                    found.append((f"dynamodb:{actions[kind]}", self._table_arn(str(spec["TableName"])), {}))
            return found
        table = self._table_arn(str(params.get("TableName", "*")))
        # A Query or Scan of an index is authorised on the index's ARN.
        resource = f"{table}/index/{params['IndexName']}" if params.get("IndexName") else table
        return [(f"dynamodb:{operation}", resource, {})]

    def _table_arn(self, name: str) -> str:
        if name.startswith("arn:"):
            return name
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{name}"

    def _bus_arn(self, name: str) -> str:
        if name.startswith("arn:"):
            return name
        return f"arn:aws:events:{self.region}:{self.account}:event-bus/{name}"


def _recorded_at_the_edge(_recorder: CallRecorder, _operation: str, _params: Mapping[str, Any]) -> list[Authorisation]:
    """``@connections`` calls name their API only in the endpoint's host, which this hook cannot see: the local
    management API records them (``localcloud.connections_api``), as ``execute-api:ManageConnections``."""
    return []


_RESOLVERS: dict[str, Callable[[CallRecorder, str, Mapping[str, Any]], list[Authorisation]]] = {
    "execute-api": _recorded_at_the_edge,
    "dynamodb": CallRecorder._dynamodb,
    "events": CallRecorder._events,
    "sns": CallRecorder._sns,
    "sqs": CallRecorder._sqs,
    "s3": CallRecorder._s3,
    "states": CallRecorder._states,
    "scheduler": CallRecorder._scheduler,
}


@dataclass
class _Installation:
    """One recorder per process, like botocore's sessions; the hook is installed once."""

    recorder: CallRecorder | None = None
    hooked: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_installation = _Installation()


def install(recorder: CallRecorder) -> None:
    """Hook every botocore client created from now on (any session) into ``recorder``."""
    with _installation.lock:
        _installation.recorder = recorder
        if _installation.hooked:
            return
        original = botocore.session.Session.create_client

        def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = original(self, *args, **kwargs)
            client.meta.events.register("before-parameter-build", _dispatch)
            return client

        _replace(botocore.session.Session, "create_client", create_client)
        _installation.hooked = True


def _replace(owner: object, attribute: str, replacement: Any) -> None:
    setattr(owner, attribute, replacement)


def _dispatch(params: Mapping[str, Any], model: Any, **kwargs: Any) -> None:
    if _installation.recorder is not None:
        _installation.recorder.on_call(params, model, **kwargs)


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, Any]]

    def allows(self, call: AwsCall) -> bool:
        if self.effect != "Allow":
            return False
        if not any(fnmatch.fnmatchcase(call.action.lower(), pattern.lower()) for pattern in self.actions):
            return False
        if not any(fnmatch.fnmatchcase(call.resource, pattern) for pattern in self.resources):
            return False
        return self._conditions_hold(dict(call.context))

    def _conditions_hold(self, context: Mapping[str, str]) -> bool:
        for operator, clauses in self.conditions.items():
            for key, expected in clauses.items():
                values = expected if isinstance(expected, list) else [expected]
                actual = context.get(key)
                # Other operators (aws:SourceArn on resource policies, ...) are not in identity policies here.
                if operator == "StringEquals":
                    holds = actual is not None and actual in values
                elif operator == "StringLike":
                    holds = actual is not None and any(fnmatch.fnmatchcase(actual, str(v)) for v in values)
                else:
                    holds = True
                if not holds:
                    return False
        return True


def parse_policy(document: str | Mapping[str, Any]) -> list[Statement]:
    doc = json.loads(document) if isinstance(document, str) else document
    raw = doc.get("Statement", [])
    statements = raw if isinstance(raw, list) else [raw]

    def as_tuple(value: Any) -> tuple[str, ...]:
        return tuple(str(v) for v in (value if isinstance(value, list) else [value]))

    return [
        Statement(
            effect=str(s.get("Effect")),
            actions=as_tuple(s.get("Action", [])),
            resources=as_tuple(s.get("Resource", [])),
            conditions=s.get("Condition", {}),
        )
        for s in statements
    ]


@dataclass(frozen=True)
class MissingGrant:
    call: AwsCall

    def __str__(self) -> str:
        return f"{self.call.principal} called {self.call.action} on {self.call.resource} without a grant" + "".join(
            f" ({key}={value})" for key, value in self.call.context
        )


def check_calls(calls: Sequence[AwsCall], policies: Mapping[str, Sequence[Statement]]) -> list[MissingGrant]:
    """Every call no Allow statement of its principal's policies covers (unknown principals: all their calls)."""
    missing = []
    for call in sorted(set(calls), key=str):
        statements = policies.get(call.principal, ())
        if not any(statement.allows(call) for statement in statements):
            missing.append(MissingGrant(call))
    return missing
