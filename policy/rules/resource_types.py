"""The Pulumi type tokens of the resources the rules look at."""

from __future__ import annotations

from typing import Final

QUEUE: Final = "aws:sqs/queue:Queue"
QUEUE_POLICY: Final = "aws:sqs/queuePolicy:QueuePolicy"
TOPIC: Final = "aws:sns/topic:Topic"
TOPIC_SUBSCRIPTION: Final = "aws:sns/topicSubscription:TopicSubscription"
TABLE: Final = "aws:dynamodb/table:Table"
FUNCTION: Final = "aws:lambda/function:Function"
PERMISSION: Final = "aws:lambda/permission:Permission"
INVOKE_CONFIG: Final = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
EVENT_SOURCE_MAPPING: Final = "aws:lambda/eventSourceMapping:EventSourceMapping"
EVENT_TARGET: Final = "aws:cloudwatch/eventTarget:EventTarget"
LOG_GROUP: Final = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM: Final = "aws:cloudwatch/metricAlarm:MetricAlarm"
SCHEDULE: Final = "aws:scheduler/schedule:Schedule"
ROLE: Final = "aws:iam/role:Role"
ROLE_POLICY: Final = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY: Final = "aws:iam/policy:Policy"
BUCKETS: Final = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_POLICY: Final = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_PUBLIC_ACCESS_BLOCK: Final = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_ENCRYPTION: Final = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
KMS_KEY: Final = "aws:kms/key:Key"
EVENT_RULE: Final = "aws:cloudwatch/eventRule:EventRule"
API_METHOD: Final = "aws:apigateway/method:Method"
API_RESOURCE: Final = "aws:apigateway/resource:Resource"
DISTRIBUTION: Final = "aws:cloudfront/distribution:Distribution"
ORIGIN_ACCESS_CONTROL: Final = "aws:cloudfront/originAccessControl:OriginAccessControl"
REST_STAGE: Final = "aws:apigateway/stage:Stage"
WEB_ACL_ASSOCIATION: Final = "aws:wafv2/webAclAssociation:WebAclAssociation"
