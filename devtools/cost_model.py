"""From what a local-cloud run recorded to billable units, and from units to dollars (devtools/prices.json).

Per-order units are counted from the run (``localcloud.metering``): the recorded AWS calls of the program's
principals, each Lambda run, the bus archive (every event the bus received), the Step Functions execution
histories and the trace (API requests, schedules fired). What AWS bills by time rather than by order is a
fixed monthly cost read from the program's resources (alarms, KMS keys, WAF, and the empty receives of the
event source mappings' long polls).

Assumptions, stated where they are used:
- Lambda's SQS pollers long-poll (20 s) with at least 5 pollers per event source mapping, so an idle mapping
  costs 5 x 30 x 86,400 / 20 = 648,000 empty receives a month: a fixed cost. Empty receives of the local run
  (whose pollers wait far less than 20 s) are not counted per order.
- Lambda duration is the handler's duration in the local run (in process, against moto), rounded up to the
  millisecond as Lambda bills it: an estimate, not a measurement on AWS.
- DynamoDB writes are sized from the request (key, item, update values) and the answer when it returns the
  item: a lower bound for an update of a large item (the items here are far below 1 KB, so one WRU each).
- Each invocation writes the Lambda platform's START, END and REPORT lines (PLATFORM_LOG_BYTES).

Not counted (they grow with data kept or with traffic shape, not with each order's calls): DynamoDB and S3
storage (and so point-in-time recovery, a per-GB-month charge on prod's tables), X-Ray traces (sampled: the
default rule keeps 1 request a second plus 5%), data transfer, and the KMS calls SQS and SNS make for their own
encryption (bounded by their data-key reuse period, not by orders).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.cost_units import (
    dynamodb_units,
    global_indexes,
    index_write_units,
    sqs_request_count,
    state_machine_log_bytes,
)
from devtools.program import ROOT, ProgramRun
from localcloud.metering import Meter, chunks_of_64kb, put_events_entry_size

PRICES = ROOT / "devtools" / "prices.json"
GB = 1024**3
MONTH_SECONDS = 30 * 86_400
LONG_POLL_SECONDS = 20
MIN_POLLERS_PER_MAPPING = 5
#: START, END and REPORT lines Lambda writes per invocation (about 60 + 50 + 240 bytes).
PLATFORM_LOG_BYTES = 350
_PER = {
    "per_million": 1e6,
    "per_hundred_thousand": 1e5,
    "per_ten_thousand": 1e4,
    "per_thousand": 1e3,
}
_S3_PUT_CLASS = frozenset(
    {
        "PutObject",
        "CopyObject",
        "ListObjects",
        "ListObjectsV2",
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
        "ListBuckets",
    }
)


class PriceTableError(ValueError):
    """The price table is missing a price, or a price has no source."""


@dataclass(frozen=True)
class Price:
    key: str
    usd: float
    per: float
    source: str

    @property
    def unit_usd(self) -> float:
        return self.usd / self.per


def load_prices(path: Path = PRICES) -> dict[str, Price]:
    document = json.loads(path.read_text())
    prices: dict[str, Price] = {}
    problems: list[str] = []
    for key, spec in document["prices"].items():
        if not str(spec.get("source", "")).startswith("https://"):
            problems.append(f"{key} cites no pricing page")
        per = next((size for suffix, size in _PER.items() if key.endswith(suffix)), 1.0)
        prices[key] = Price(key, float(spec["usd"]), per, str(spec.get("source")))
    if problems:
        raise PriceTableError(f"{path.name}: " + "; ".join(problems))
    return prices


@dataclass(frozen=True)
class Usage:
    """A quantity of one billable unit (over the whole run, or per month for a fixed cost)."""

    service: str
    what: str
    quantity: float
    price: str
    #: False for estimates that follow the machine's timing (local durations, retries of a wait): printed, but
    #: left out of the baseline check so a busy CI machine cannot fail it.
    gated: bool = True

    def usd(self, prices: Mapping[str, Price]) -> float:
        if self.price not in prices:
            raise PriceTableError(f"no price {self.price!r} in {PRICES.name} (needed for {self.service}: {self.what})")
        return self.quantity * prices[self.price].unit_usd


# --- the program's declared resources --------------------------------------------------------------------


def subscriptions_by_topic(program: ProgramRun) -> dict[str, Counter[str]]:
    """Topic name -> how many subscriptions of each protocol it has (from the real stack, not the local run)."""
    found: dict[str, Counter[str]] = {}
    for subscription in program.of_type("aws:sns/topicSubscription:TopicSubscription"):
        topic = str(subscription.inputs["topic"]).rsplit(":", 1)[-1]
        found.setdefault(topic, Counter())[str(subscription.inputs["protocol"])] += 1
    return found


def kms_encrypted_buckets(program: ProgramRun) -> set[str]:
    """Buckets whose objects S3 encrypts with a KMS key without an S3 Bucket Key: one KMS request per object op."""
    found = set()
    for config in program.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ):
        for rule in config.inputs.get("rules") or []:
            default = rule.get("applyServerSideEncryptionByDefault") or {}
            if str(default.get("sseAlgorithm", "")).startswith("aws:kms") and not rule.get("bucketKeyEnabled"):
                found.add(str(config.inputs["bucket"]))
    return found


def fixed_monthly(program: ProgramRun) -> list[Usage]:
    """What the stack costs a month whatever the orders: alarms, keys, WAF, idle long polls."""
    alarms = 0
    for alarm in program.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        queries = alarm.inputs.get("metricQueries") or []
        alarms += max(1, sum(1 for query in queries if query.get("metric")))
    mappings = [
        m
        for m in program.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
        if ":sqs:" in str(m.inputs.get("eventSourceArn"))
    ]
    empty_receives = len(mappings) * MIN_POLLERS_PER_MAPPING * MONTH_SECONDS / LONG_POLL_SECONDS
    acls = program.of_type("aws:wafv2/webAcl:WebAcl")
    lines = [
        Usage("CloudWatch", "alarm metrics", alarms, "cloudwatch.standard_alarm_month"),
        Usage("KMS", "customer managed keys", len(program.of_type("aws:kms/key:Key")), "kms.key_month"),
        Usage(
            "SQS",
            f"empty long-poll receives ({len(mappings)} mappings x {MIN_POLLERS_PER_MAPPING} pollers, "
            f"{LONG_POLL_SECONDS} s each)",
            empty_receives,
            "sqs.standard_requests_per_million",
        ),
    ]
    if acls:
        rules = sum(len(acl.inputs.get("rules") or []) for acl in acls)
        lines += [
            Usage("WAF", "web ACLs", len(acls), "wafv2.web_acl_month"),
            Usage("WAF", "rules", rules, "wafv2.rule_month"),
        ]
    distributions = program.of_type("aws:cloudfront/distribution:Distribution")
    if distributions:
        lines.append(Usage("CloudFront", "distributions", len(distributions), "cloudfront.distribution_month"))
    return lines


# --- units a run recorded ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRecord:
    """Everything a run leaves behind that the model reads (gathered by devtools.cost from a local cloud)."""

    orders: int
    meter: Meter
    api_requests: int
    schedules_fired: int
    archived_events: list[dict[str, Any]]
    rule_deliveries: list[tuple[str, dict[str, Any]]]  # (target service, event) per rule target delivery
    executions: list[tuple[str, list[dict[str, Any]]]]  # (state machine type, history) per execution
    log_retention_days: int
    archive_retention_days: int
    state_machine_logging: Mapping[str, Any]


def per_run(record: RunRecord, program: ProgramRun) -> list[Usage]:
    """The billable units of the whole run (divide by ``record.orders`` for one order)."""
    state_log_bytes, workflow_lines = _workflows(record)
    web_acl = [Usage("WAF", "requests inspected", record.api_requests, "wafv2.requests_per_million")]
    return [
        Usage("API Gateway", "REST requests", record.api_requests, "apigateway.rest_requests_per_million"),
        *_websocket(record),
        *(web_acl if program.of_type("aws:wafv2/webAclAssociation:WebAclAssociation") else []),
        *_eventbridge(record),
        *_messaging(record, program),
        *_lambda(record.meter),
        *workflow_lines,
        *_data(record.meter, program),
        *_logs(record, state_log_bytes),
    ]


def _websocket(record: RunRecord) -> list[Usage]:
    """Status pushes: each PostToConnection is one message sent, billed per 32 KB. (A run with no connected
    customer pushes nothing; connection minutes follow customers' sessions, not orders.)"""
    posts = record.meter.billed_calls("execute-api", "PostToConnection")
    chunks = sum(math.ceil(max(1, len(bytes(call.params.get("Data", b"")))) / (32 * 1024)) for call in posts)
    return [
        Usage("API Gateway", "WebSocket messages (32 KB chunks)", chunks, "apigateway.websocket_messages_per_million")
    ]


def _eventbridge(record: RunRecord) -> list[Usage]:
    entries = [entry for call in record.meter.of("events", "PutEvents") for entry in call.params.get("Entries", [])]
    archived = sum(len(json.dumps(event).encode()) for event in record.archived_events) / GB
    return [
        Usage(
            "EventBridge",
            "PutEvents entries (64 KB chunks)",
            sum(chunks_of_64kb(put_events_entry_size(e)) for e in entries),
            "events.custom_events_per_million",
        ),
        Usage(
            "EventBridge",
            "events delivered to targets",
            len(record.rule_deliveries),
            "events.same_account_deliveries_per_million",
        ),
        Usage("EventBridge", "GB archived", archived, "events.archive_gb"),
        Usage(
            "EventBridge",
            f"archive GB-months ({record.archive_retention_days} days kept)",
            archived * record.archive_retention_days / 30,
            "events.archive_gb_month",
        ),
        Usage("Scheduler", "schedules fired", record.schedules_fired, "scheduler.invocations_per_million"),
    ]


def _messaging(record: RunRecord, program: ProgramRun) -> list[Usage]:
    """SNS publishes and their deliveries per protocol (the real stack's subscriptions), and SQS requests."""
    topics = subscriptions_by_topic(program)
    # The program's publishes; CloudWatch's alarm notifications (the local cloud's own calls) come on state
    # changes, not per order: the alarms' first OK at deploy, then incidents.
    publishes = record.meter.billed_calls("sns", "Publish")
    deliveries: Counter[str] = Counter()
    for call in publishes:
        deliveries.update(topics.get(str(call.params.get("TopicArn", "")).rsplit(":", 1)[-1], Counter()))
    sqs_requests = sqs_request_count(record.meter.billed_calls("sqs")) + deliveries["sqs"]
    sqs_requests += sum(
        chunks_of_64kb(len(json.dumps(event).encode())) for service, event in record.rule_deliveries if service == "sqs"
    )
    return [
        Usage(
            "SQS",
            "requests (sends, non-empty receives, deletes; 64 KB chunks)",
            sqs_requests,
            "sqs.standard_requests_per_million",
        ),
        Usage(
            "SNS",
            "publishes (64 KB chunks)",
            sum(chunks_of_64kb(len(str(c.params.get("Message", "")).encode())) for c in publishes),
            "sns.publishes_per_million",
        ),
        Usage("SNS", "HTTPS deliveries", deliveries["https"], "sns.https_deliveries_per_million"),
        Usage(
            "SNS",
            "email deliveries",
            deliveries["email"] + deliveries["email-json"],
            "sns.email_deliveries_per_hundred_thousand",
        ),
        Usage(
            "SNS",
            "SQS and Lambda deliveries",
            deliveries["sqs"] + deliveries["lambda"],
            "sns.sqs_and_lambda_deliveries_per_million",
        ),
    ]


def _lambda(meter: Meter) -> list[Usage]:
    runs = meter.lambda_runs
    gb_seconds = sum(run.memory_mb / 1024 * math.ceil(run.duration_ms) / 1000 for run in runs)
    return [
        Usage("Lambda", "invocations", len(runs), "lambda.requests_per_million"),
        Usage("Lambda", "GB-seconds (estimate: local durations)", gb_seconds, "lambda.arm64_gb_second", gated=False),
    ]


def _workflows(record: RunRecord) -> tuple[int, list[Usage]]:
    """(bytes the state machines log, their billable units): transitions for Standard, requests and GB-s for
    Express. A state entered again in the same execution was re-entered by a Retry (a wait): timing-dependent."""
    transitions = retried = express_requests = log_bytes = 0
    express_gb_seconds = 0.0
    for kind, history in record.executions:
        log_bytes += state_machine_log_bytes(history, record.state_machine_logging)
        if kind == "EXPRESS":
            express_requests += 1
            stamps = [event["timestamp"] for event in history if "timestamp" in event]
            seconds = (max(stamps) - min(stamps)).total_seconds() if len(stamps) > 1 else 0.0
            express_gb_seconds += 0.0625 * max(1, math.ceil(seconds * 10)) / 10
            continue
        entered = [event for event in history if str(event.get("type", "")).endswith("StateEntered")]
        names = [str((event.get("stateEnteredEventDetails") or {}).get("name")) for event in entered]
        transitions += len(set(names))
        retried += len(names) - len(set(names))
    price = "states.standard_transitions_per_thousand"
    lines = [
        Usage("Step Functions", "state transitions (Standard)", transitions, price),
        Usage(
            "Step Functions", "state transitions re-entered by a Retry (timing-dependent)", retried, price, gated=False
        ),
    ]
    if express_requests:
        lines += [
            Usage("Step Functions", "executions (Express)", express_requests, "states.express_requests_per_million"),
            Usage("Step Functions", "GB-seconds (Express)", express_gb_seconds, "states.express_gb_second"),
        ]
    return log_bytes, lines


def _data(meter: Meter, program: ProgramRun) -> list[Usage]:
    read_units = write_units = 0.0
    indexes_of = global_indexes(program)
    for call in meter.billed_calls("dynamodb"):
        reads, writes = dynamodb_units(call)
        read_units, write_units = read_units + reads, write_units + writes + index_write_units(call, indexes_of)
    s3_calls = meter.billed_calls("s3")
    puts = sum(1 for call in s3_calls if call.operation in _S3_PUT_CLASS)
    encrypted = kms_encrypted_buckets(program)
    object_calls = [call for call in s3_calls if call.operation in ("PutObject", "GetObject")]
    kms_requests = len(meter.billed_calls("kms")) + sum(1 for c in object_calls if c.params.get("Bucket") in encrypted)
    return [
        Usage("DynamoDB", "read request units", read_units, "dynamodb.read_request_units_per_million"),
        Usage("DynamoDB", "write request units", write_units, "dynamodb.write_request_units_per_million"),
        Usage("S3", "PUT, COPY, POST, LIST requests", puts, "s3.put_requests_per_thousand"),
        Usage("S3", "GET and other requests", len(s3_calls) - puts, "s3.get_requests_per_thousand"),
        Usage("KMS", "requests", kms_requests, "kms.requests_per_ten_thousand"),
    ]


def _logs(record: RunRecord, state_log_bytes: int) -> list[Usage]:
    meter = record.meter
    log_bytes = sum(meter.log_bytes.values()) + PLATFORM_LOG_BYTES * len(meter.lambda_runs) + state_log_bytes
    return [
        Usage("CloudWatch", "log GB ingested", log_bytes / GB, "logs.ingested_gb"),
        Usage(
            "CloudWatch",
            f"log GB-months stored ({record.log_retention_days} days kept)",
            log_bytes / GB * record.log_retention_days / 30,
            "logs.stored_gb_month",
        ),
    ]


def per_million_orders(
    lines: Iterable[Usage], orders: int, prices: Mapping[str, Price], gated_only: bool = False
) -> dict[str, float]:
    """Dollars per million orders, per service (``gated_only``: without the timing-dependent estimates)."""
    by_service: dict[str, float] = {}
    for line in lines:
        if gated_only and not line.gated:
            continue
        by_service[line.service] = by_service.get(line.service, 0.0) + line.usd(prices) / orders * 1e6
    return by_service
