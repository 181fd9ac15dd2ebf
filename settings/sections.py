"""The stack's settings, each declared once: its config key, its kind and its bounds, next to its field.

`settings.spec` turns these declarations into the reader, the unknown-key check and the list of keys.
To add a section: declare its dataclass here with `setting(...)` fields, add one `Section(...)` field to
`Settings`, and (if it must agree with another section) a check in `settings.load`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from settings.spec import Choice, Flag, Integer, Number, Section, Text, TextList, setting

# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MFA_MODES = ("OFF", "OPTIONAL", "ON")
# Step Functions' execution log levels (OFF is not offered: every stack logs its workflow).
WORKFLOW_LOG_LEVELS = ("ALL", "ERROR", "FATAL")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HTTPS_URL = re.compile(r"^https://[^\s/]+(/\S*)?$")
CLIENT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
# The AWS-managed Powertools layer for Python 3.13 on arm64, published by AWS in every region.
POWERTOOLS_LAYER = re.compile(
    r"^arn:aws:lambda:(?P<region>[a-z0-9-]+):017000801446:layer:"
    r"AWSLambdaPowertoolsPythonV3-python313-arm64:\d+$"
)
#: Lambda refuses a reservation that leaves the account fewer unreserved concurrent executions than this.
UNRESERVED_MINIMUM = 100


@dataclass(frozen=True, kw_only=True)
class ConsumerSettings:
    """How queued consumers poll: batch size, batching window, concurrency and redrive."""

    # With a batching window the event source mapping accepts up to 10,000; 10 keeps retries cheap.
    batch_size: int = setting("batchSize", Integer(1, 100))
    batching_window_seconds: int = setting("batchingWindowSeconds", Integer(0, 300))
    # SQS event source mappings require a maximum concurrency of at least 2.
    maximum_concurrency: int = setting("maximumConcurrency", Integer(2, 1000))
    max_receive_count: int = setting("maxReceiveCount", Integer(1, 20))


@dataclass(frozen=True, kw_only=True)
class AsyncInvokeSettings:
    """Retries for EventBridge-invoked functions and their rule targets."""

    maximum_retry_attempts: int = setting("maximumRetryAttempts", Integer(0, 2))
    maximum_event_age_seconds: int = setting("maximumEventAgeSeconds", Integer(60, 21600))


@dataclass(frozen=True, kw_only=True)
class DataSettings:
    """Durability of stateful resources."""

    point_in_time_recovery: bool = setting("pointInTimeRecovery", Flag())
    deletion_protection: bool = setting("deletionProtection", Flag())
    protect: bool = setting("protect", Flag())


@dataclass(frozen=True, kw_only=True)
class InvoiceSettings:
    """The invoices bucket: how long an invoice document is kept."""

    # Up to 10 years: invoices are kept as long as the law of the shop's country asks.
    retention_days: int = setting("retentionDays", Integer(1, 3653))


@dataclass(frozen=True, kw_only=True)
class ApiSettings:
    """Throttling of the public API: stage-wide, and per registered client application (each has an API key
    in the usage plan; ``client_*`` limits apply to each key)."""

    throttle_rate_limit: float = setting("throttleRateLimit", Number(1, 10000))
    throttle_burst_limit: int = setting("throttleBurstLimit", Integer(1, 5000))
    clients: tuple[str, ...] = setting("clients", TextList(CLIENT_NAME, "a client name like storefront"))
    client_rate_limit: float = setting("clientRateLimit", Number(1, 10000))
    client_burst_limit: int = setting("clientBurstLimit", Integer(1, 5000))


@dataclass(frozen=True, kw_only=True)
class CustomerNotificationSettings:
    """Who receives customer notifications from the customer topic."""

    outbox_queue: bool = setting("outboxQueue", Flag())
    email_subscribers: tuple[str, ...] = setting("emailSubscribers", TextList(EMAIL, "an email address"))
    https_subscribers: tuple[str, ...] = setting("httpsSubscribers", TextList(HTTPS_URL, "an https URL"))


@dataclass(frozen=True, kw_only=True)
class FulfillmentSettings:
    """The fulfillment workflow: how much it logs, from how many orders a customer is a VIP, and how long past
    the Warehouse queue's retention it still waits for a reservation before it compensates the order."""

    log_level: str = setting("logLevel", Choice(WORKFLOW_LOG_LEVELS))
    vip_threshold: int = setting("vipThreshold", Integer(1, 1000))
    # At least the Warehouse's last receive (its visibility timeout) and the event's way back; a day at most.
    reservation_grace_minutes: int = setting("reservationGraceMinutes", Integer(5, 1440))


@dataclass(frozen=True, kw_only=True)
class ReminderSettings:
    """How long after the last item added to a cart its reminder fires."""

    # A one-time schedule must lie in the future; a week is the longest a cart reminder makes sense.
    delay_minutes: int = setting("delayMinutes", Integer(1, 10080))


@dataclass(frozen=True, kw_only=True)
class ConcurrencySettings:
    """Reserved concurrency: what the API is guaranteed, and what Email may take at most.

    Queued consumers reserve their event source mapping's maximum concurrency (``consumers``); the rest of
    the account's limit stays unreserved, and AWS requires at least ``UNRESERVED_MINIMUM`` of it.
    """

    # The account's Lambda quota in the region (AWS's default is 1000; it can be raised).
    account_limit: int = setting("accountLimit", Integer(UNRESERVED_MINIMUM, 1_000_000))
    api: int = setting("api", Integer(1, 1_000_000))
    email: int = setting("email", Integer(1, 1_000_000))


@dataclass(frozen=True, kw_only=True)
class OutboxSettings:
    """Orders' outbox relay: when an order still unpublished pages on-call, and how long it is retried."""

    # A stream keeps records 24 hours; an unpublished order should page within minutes.
    alarm_after_seconds: int = setting("alarmAfterSeconds", Integer(60, 3600))
    maximum_record_age_seconds: int = setting("maximumRecordAgeSeconds", Integer(60, 86400))


@dataclass(frozen=True, kw_only=True)
class IdentitySettings:
    """Who may sign in and how: the customers' user pool."""

    # SMS MFA is not offered: it costs per message and is the weakest second factor.
    mfa: str = setting("mfa", Choice(MFA_MODES))
    self_sign_up: bool = setting("selfSignUp", Flag())


#: What AWS WAF accepts as a rate-based rule's limit (requests per IP per evaluation window).
WAF_RATE_LIMIT_RANGE = (10, 2_000_000_000)


@dataclass(frozen=True, kw_only=True)
class WafSettings:
    """The REST API's web ACL: whether the stage has one, and how many requests one IP address may send in
    five minutes before it is blocked (AWS managed common rules run too)."""

    enabled: bool = setting("enabled", Flag())
    rate_limit: int = setting("rateLimit", Integer(*WAF_RATE_LIMIT_RANGE))


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the program reads from the stack's configuration (and the stack it was read for).

    Physical names take their prefix from the engine (`components.base.name_prefix()`), not from here.
    """

    stack: str
    #: The config namespace the keys were read from (the project's), for messages that name a key.
    namespace: str
    region: str = setting("aws:region", Text(REGION, "an AWS region such as eu-west-1"))
    log_retention_days: int = setting("logRetentionDays", Integer(1, 3653, LOG_RETENTION_DAYS))
    log_level: str = setting("logLevel", Choice(LOG_LEVELS))
    archive_retention_days: int = setting("archiveRetentionDays", Integer(1, 3650))
    alarm_email: str = setting("alarmEmail", Text(EMAIL, "an email address"))
    powertools_layer_arn: str = setting(
        "powertoolsLayerArn",
        Text(
            POWERTOOLS_LAYER,
            "the AWS-managed Powertools layer ARN (AWSLambdaPowertoolsPythonV3-python313-arm64:<version>)",
        ),
    )
    consumers: ConsumerSettings = setting("consumers", Section(ConsumerSettings))
    async_invoke: AsyncInvokeSettings = setting("asyncInvoke", Section(AsyncInvokeSettings))
    data: DataSettings = setting("data", Section(DataSettings))
    api: ApiSettings = setting("api", Section(ApiSettings))
    customer_notifications: CustomerNotificationSettings = setting(
        "customerNotifications", Section(CustomerNotificationSettings)
    )
    seed_catalog: bool = setting("seedCatalog", Flag())
    invoices: InvoiceSettings = setting("invoices", Section(InvoiceSettings))
    fulfillment: FulfillmentSettings = setting("fulfillment", Section(FulfillmentSettings))
    reminders: ReminderSettings = setting("reminders", Section(ReminderSettings))
    concurrency: ConcurrencySettings = setting("concurrency", Section(ConcurrencySettings))
    outbox: OutboxSettings = setting("outbox", Section(OutboxSettings))
    identity: IdentitySettings = setting("identity", Section(IdentitySettings))
    waf: WafSettings = setting("waf", Section(WafSettings))
