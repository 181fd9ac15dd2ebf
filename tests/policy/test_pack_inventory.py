"""The pack's policies, each with its kind, level and description: a change to any of them is deliberate."""

from __future__ import annotations

from pulumi_policy import StackValidationPolicy

from policy.rules.pack import POLICIES

INVENTORY = [
    ("sqs-queue-encrypted", "resource", "mandatory", "SQS queues are encrypted at rest (SSE-SQS or KMS)."),
    ("sns-topic-encrypted", "resource", "mandatory", "SNS topics are encrypted at rest with KMS."),
    ("dynamodb-table-encrypted", "resource", "mandatory", "DynamoDB tables use KMS server-side encryption."),
    (
        "event-target-retry-and-dlq",
        "resource",
        "mandatory",
        "Every EventBridge rule target has a retry policy and a dead-letter queue.",
    ),
    (
        "iam-put-events-scoped",
        "resource",
        "mandatory",
        "events:PutEvents is granted only on event-bus ARNs and with an events:source condition.",
    ),
    (
        "iam-no-wildcards",
        "resource",
        "mandatory",
        'Identity policies grant no wildcard actions and no Resource "*" beyond the actions that need it.',
    ),
    (
        "sns-subscription-dlq",
        "resource",
        "advisory",
        "SNS subscriptions to application endpoints (HTTP/S, Lambda, SQS, Firehose) have a DLQ.",
    ),
    ("log-group-retention", "resource", "mandatory", "Every log group has a retention period."),
    ("lambda-arm64", "resource", "advisory", "Lambda functions run on arm64 (Graviton)."),
    (
        "tls-only-resource-policies",
        "resource",
        "mandatory",
        "Queue and bucket policies deny requests that do not use TLS.",
    ),
    (
        "prod-table-durability",
        "resource",
        "mandatory",
        "Production DynamoDB tables have point-in-time recovery and deletion protection.",
    ),
    (
        "iam-service-trust-scoped",
        "resource",
        "mandatory",
        "Roles that AWS services assume are limited by aws:SourceAccount / aws:SourceArn.",
    ),
    (
        "kms-key-usable-by-publishing-services",
        "resource",
        "mandatory",
        "KMS keys let CloudWatch and EventBridge encrypt in AWS's documented form (no source conditions).",
    ),
    (
        "api-routes-authorized",
        "stack",
        "mandatory",
        "Every REST API route but GET /products requires an authorizer (a signed-in customer).",
    ),
    ("consumer-queues-have-dlq", "stack", "mandatory", "Every consumed SQS queue redrives to a dead-letter queue."),
    (
        "async-lambda-on-failure-destination",
        "stack",
        "mandatory",
        "Every Lambda invoked asynchronously (EventBridge, SNS, S3) has an on-failure destination.",
    ),
    (
        "dead-letter-queues-alarmed",
        "stack",
        "mandatory",
        "Every dead-letter queue has an alarm on its visible message count.",
    ),
    (
        "s3-public-access-blocked",
        "stack",
        "mandatory",
        "Every S3 bucket has a public access block with all four settings on.",
    ),
    ("s3-bucket-encrypted", "stack", "mandatory", "Every S3 bucket declares default server-side encryption."),
    (
        "queues-and-buckets-tls-only",
        "stack",
        "mandatory",
        "Every queue and bucket has a resource policy that denies non-TLS access.",
    ),
    (
        "lambda-log-group-managed",
        "stack",
        "mandatory",
        "Every Lambda function logs to a log group the stack declares (so retention applies).",
    ),
    # The general wiring rules, moved here from tests/unit/test_wiring.py so every stack is held to them.
    ("event-rules-have-targets", "stack", "mandatory", "Every EventBridge rule has at least one target."),
    (
        "dead-letters-land-in-the-stack",
        "stack",
        "mandatory",
        "Every dead-letter reference names a queue of the stack, never the queue it serves.",
    ),
    (
        "lambda-targets-permitted-per-rule",
        "stack",
        "mandatory",
        "A function a rule targets has an EventBridge invoke permission scoped to that rule.",
    ),
    (
        "sqs-consumers-fail-per-message",
        "stack",
        "mandatory",
        "SQS consumers report partial batch failures; queues hide messages for 6x the consumer timeout.",
    ),
    (
        "queue-targets-scoped-to-their-rules",
        "stack",
        "mandatory",
        "A queue that rules target lets EventBridge send to it only on behalf of those rules.",
    ),
    ("alarms-notify", "stack", "mandatory", "Every metric alarm has an alarm action."),
    (
        "cloudfront-origin-private",
        "stack",
        "mandatory",
        "A CloudFront distribution's S3 origin is private: public access blocked, OAC, read for it alone.",
    ),
    ("prod-rest-api-web-acl", "stack", "mandatory", "In production, every REST API stage has a WAF web ACL."),
]


def test_the_pack_holds_exactly_the_listed_policies_in_order() -> None:
    found = [
        (
            policy.name,
            "stack" if isinstance(policy, StackValidationPolicy) else "resource",
            policy.enforcement_level.value if policy.enforcement_level else None,
            policy.description,
        )
        for policy in POLICIES
    ]

    assert found == INVENTORY
