"""The registry: every policy of the eventshop-guardrails pack, with its name, level and description."""

from __future__ import annotations

from typing import Final

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from .api import check_routes_have_an_authorizer
from .edge import check_distributions_have_private_origins, check_prod_rest_stages_have_web_acl
from .graph import stack_validation
from .identity import (
    validate_key_usable_by_publishing_services,
    validate_no_wildcards,
    validate_put_events_scoped,
    validate_service_trust_scoped,
)
from .resources import (
    validate_arm64,
    validate_log_retention,
    validate_prod_table_durability,
    validate_queue_encrypted,
    validate_subscription_dlq,
    validate_table_encrypted,
    validate_target_retry_and_dlq,
    validate_tls_only_policy,
    validate_topic_encrypted,
)
from .stack import (
    check_async_functions_have_on_failure,
    check_buckets_block_public_access,
    check_buckets_encrypted,
    check_consumer_queues_have_dlq,
    check_dead_letter_queues_alarmed,
    check_functions_have_managed_log_group,
    check_queues_and_buckets_tls_only,
)
from .values import ADVISORY, MANDATORY
from .wiring import (
    check_alarms_notify,
    check_dead_letters_land_in_the_stack,
    check_lambda_targets_have_scoped_permissions,
    check_queue_consumers_fail_one_message_at_a_time,
    check_queue_targets_scoped_to_their_rules,
    check_rules_have_targets,
)

RESOURCE_POLICIES: Final = (
    ResourceValidationPolicy(
        name="sqs-queue-encrypted",
        description="SQS queues are encrypted at rest (SSE-SQS or KMS).",
        enforcement_level=MANDATORY,
        validate=validate_queue_encrypted,
    ),
    ResourceValidationPolicy(
        name="sns-topic-encrypted",
        description="SNS topics are encrypted at rest with KMS.",
        enforcement_level=MANDATORY,
        validate=validate_topic_encrypted,
    ),
    ResourceValidationPolicy(
        name="dynamodb-table-encrypted",
        description="DynamoDB tables use KMS server-side encryption.",
        enforcement_level=MANDATORY,
        validate=validate_table_encrypted,
    ),
    ResourceValidationPolicy(
        name="event-target-retry-and-dlq",
        description="Every EventBridge rule target has a retry policy and a dead-letter queue.",
        enforcement_level=MANDATORY,
        validate=validate_target_retry_and_dlq,
    ),
    ResourceValidationPolicy(
        name="iam-put-events-scoped",
        description="events:PutEvents is granted only on event-bus ARNs and with an events:source condition.",
        enforcement_level=MANDATORY,
        validate=validate_put_events_scoped,
    ),
    ResourceValidationPolicy(
        name="iam-no-wildcards",
        description='Identity policies grant no wildcard actions and no Resource "*" beyond the actions that need it.',
        enforcement_level=MANDATORY,
        validate=validate_no_wildcards,
    ),
    ResourceValidationPolicy(
        name="sns-subscription-dlq",
        description="SNS subscriptions to application endpoints (HTTP/S, Lambda, SQS, Firehose) have a DLQ.",
        enforcement_level=ADVISORY,
        validate=validate_subscription_dlq,
    ),
    ResourceValidationPolicy(
        name="log-group-retention",
        description="Every log group has a retention period.",
        enforcement_level=MANDATORY,
        validate=validate_log_retention,
    ),
    ResourceValidationPolicy(
        name="lambda-arm64",
        description="Lambda functions run on arm64 (Graviton).",
        enforcement_level=ADVISORY,
        validate=validate_arm64,
    ),
    ResourceValidationPolicy(
        name="tls-only-resource-policies",
        description="Queue and bucket policies deny requests that do not use TLS.",
        enforcement_level=MANDATORY,
        validate=validate_tls_only_policy,
    ),
    ResourceValidationPolicy(
        name="prod-table-durability",
        description="Production DynamoDB tables have point-in-time recovery and deletion protection.",
        enforcement_level=MANDATORY,
        validate=validate_prod_table_durability,
    ),
    ResourceValidationPolicy(
        name="iam-service-trust-scoped",
        description="Roles that AWS services assume are limited by aws:SourceAccount / aws:SourceArn.",
        enforcement_level=MANDATORY,
        validate=validate_service_trust_scoped,
    ),
    ResourceValidationPolicy(
        name="kms-key-usable-by-publishing-services",
        description="KMS keys let CloudWatch and EventBridge encrypt in AWS's documented form (no source conditions).",
        enforcement_level=MANDATORY,
        validate=validate_key_usable_by_publishing_services,
    ),
)

STACK_POLICIES: Final = (
    StackValidationPolicy(
        name="api-routes-authorized",
        description="Every REST API route but GET /products requires an authorizer (a signed-in customer).",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_routes_have_an_authorizer),
    ),
    StackValidationPolicy(
        name="consumer-queues-have-dlq",
        description="Every consumed SQS queue redrives to a dead-letter queue.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_consumer_queues_have_dlq),
    ),
    StackValidationPolicy(
        name="async-lambda-on-failure-destination",
        description="Every Lambda invoked asynchronously (EventBridge, SNS, S3) has an on-failure destination.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_async_functions_have_on_failure),
    ),
    StackValidationPolicy(
        name="dead-letter-queues-alarmed",
        description="Every dead-letter queue has an alarm on its visible message count.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_dead_letter_queues_alarmed),
    ),
    StackValidationPolicy(
        name="s3-public-access-blocked",
        description="Every S3 bucket has a public access block with all four settings on.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_buckets_block_public_access),
    ),
    StackValidationPolicy(
        name="s3-bucket-encrypted",
        description="Every S3 bucket declares default server-side encryption.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_buckets_encrypted),
    ),
    StackValidationPolicy(
        name="queues-and-buckets-tls-only",
        description="Every queue and bucket has a resource policy that denies non-TLS access.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_queues_and_buckets_tls_only),
    ),
    StackValidationPolicy(
        name="lambda-log-group-managed",
        description="Every Lambda function logs to a log group the stack declares (so retention applies).",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_functions_have_managed_log_group),
    ),
    StackValidationPolicy(
        name="event-rules-have-targets",
        description="Every EventBridge rule has at least one target.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_rules_have_targets),
    ),
    StackValidationPolicy(
        name="dead-letters-land-in-the-stack",
        description="Every dead-letter reference names a queue of the stack, never the queue it serves.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_dead_letters_land_in_the_stack),
    ),
    StackValidationPolicy(
        name="lambda-targets-permitted-per-rule",
        description="A function a rule targets has an EventBridge invoke permission scoped to that rule.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_lambda_targets_have_scoped_permissions),
    ),
    StackValidationPolicy(
        name="sqs-consumers-fail-per-message",
        description="SQS consumers report partial batch failures; queues hide messages for 6x the consumer timeout.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_queue_consumers_fail_one_message_at_a_time),
    ),
    StackValidationPolicy(
        name="queue-targets-scoped-to-their-rules",
        description="A queue that rules target lets EventBridge send to it only on behalf of those rules.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_queue_targets_scoped_to_their_rules),
    ),
    StackValidationPolicy(
        name="alarms-notify",
        description="Every metric alarm has an alarm action.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_alarms_notify),
    ),
    StackValidationPolicy(
        name="cloudfront-origin-private",
        description="A CloudFront distribution's S3 origin is private: public access blocked, OAC, read for it alone.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_distributions_have_private_origins),
    ),
    StackValidationPolicy(
        name="prod-rest-api-web-acl",
        description="In production, every REST API stage has a WAF web ACL.",
        enforcement_level=MANDATORY,
        validate=stack_validation(check_prod_rest_stages_have_web_acl),
    ),
)

POLICIES: Final[tuple[ResourceValidationPolicy | StackValidationPolicy, ...]] = (*RESOURCE_POLICIES, *STACK_POLICIES)
