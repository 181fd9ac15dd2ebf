"""The stack's settings, read once from Pulumi config into one typed, validated object.

Every problem in a stack file is collected and reported at once, each line naming
the key and the stack, so a bad `Pulumi.<stack>.yaml` fails before any resource
is declared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi

# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MFA_MODES = ("OFF", "OPTIONAL", "ON")
# Step Functions' execution log levels (OFF is not offered: every stack logs its workflow).
WORKFLOW_LOG_LEVELS = ("ALL", "ERROR", "FATAL")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
# The AWS-managed Powertools layer for Python 3.13 on arm64, published by AWS in every region.
_POWERTOOLS_LAYER = re.compile(
    r"^arn:aws:lambda:(?P<region>[a-z0-9-]+):017000801446:layer:"
    r"AWSLambdaPowertoolsPythonV3-python313-arm64:\d+$"
)


class SettingsError(ValueError):
    """A stack's configuration is missing a key or holds an invalid value."""


@dataclass(frozen=True, kw_only=True)
class ConsumerSettings:
    """How queued consumers poll: batch size, batching window, concurrency and redrive."""

    batch_size: int
    batching_window_seconds: int
    maximum_concurrency: int
    max_receive_count: int


@dataclass(frozen=True, kw_only=True)
class AsyncInvokeSettings:
    """Retries for EventBridge-invoked functions and their rule targets."""

    maximum_retry_attempts: int
    maximum_event_age_seconds: int


@dataclass(frozen=True, kw_only=True)
class DataSettings:
    """Durability of stateful resources."""

    point_in_time_recovery: bool
    deletion_protection: bool
    protect: bool


@dataclass(frozen=True, kw_only=True)
class InvoiceSettings:
    """The invoices bucket: how long an invoice document is kept."""

    retention_days: int


@dataclass(frozen=True, kw_only=True)
class ApiSettings:
    """Stage-wide throttling of the public API."""

    throttle_rate_limit: float
    throttle_burst_limit: int


@dataclass(frozen=True, kw_only=True)
class CustomerNotificationSettings:
    """Who receives customer notifications from the customer topic."""

    outbox_queue: bool
    email_subscribers: tuple[str, ...]
    https_subscribers: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class FulfillmentSettings:
    """The fulfillment workflow: how much it logs, from how many orders a customer is a VIP, and how long past
    the Warehouse queue's retention it still waits for a reservation before it compensates the order."""

    log_level: str
    vip_threshold: int
    reservation_grace_minutes: int


@dataclass(frozen=True, kw_only=True)
class ReminderSettings:
    """How long after the last item added to a cart its reminder fires."""

    delay_minutes: int


@dataclass(frozen=True, kw_only=True)
class ConcurrencySettings:
    """Reserved concurrency: what the API is guaranteed, and what Email may take at most.

    Queued consumers reserve their event source mapping's maximum concurrency (``consumers``); the rest of
    the account's limit stays unreserved, and AWS requires at least ``UNRESERVED_MINIMUM`` of it.
    """

    account_limit: int
    api: int
    email: int


#: Lambda refuses a reservation that leaves the account fewer unreserved concurrent executions than this.
UNRESERVED_MINIMUM = 100


@dataclass(frozen=True, kw_only=True)
class OutboxSettings:
    """Orders' outbox relay: when an order still unpublished pages on-call, and how long it is retried."""

    alarm_after_seconds: int
    maximum_record_age_seconds: int


@dataclass(frozen=True, kw_only=True)
class IdentitySettings:
    """Who may sign in and how: the customers' user pool."""

    mfa: str
    self_sign_up: bool


@dataclass(frozen=True, kw_only=True)
class WafSettings:
    """The REST API's web ACL: whether the stage has one, and how many requests one IP address may send in
    five minutes before it is blocked (AWS managed common rules run too)."""

    enabled: bool
    rate_limit: int


#: What AWS WAF accepts as a rate-based rule's limit (requests per IP per evaluation window).
WAF_RATE_LIMIT_RANGE = (10, 2_000_000_000)


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the program reads from the stack's configuration."""

    project: str
    stack: str
    region: str
    log_retention_days: int
    log_level: str
    archive_retention_days: int
    alarm_email: str
    powertools_layer_arn: str
    consumers: ConsumerSettings
    async_invoke: AsyncInvokeSettings
    data: DataSettings
    api: ApiSettings
    customer_notifications: CustomerNotificationSettings
    seed_catalog: bool
    invoices: InvoiceSettings
    fulfillment: FulfillmentSettings
    reminders: ReminderSettings
    concurrency: ConcurrencySettings
    outbox: OutboxSettings
    identity: IdentitySettings
    waf: WafSettings

    @property
    def prefix(self) -> str:
        """The physical-name prefix that keeps two stacks from colliding."""
        return f"{self.project}-{self.stack}"

    @property
    def bus_name(self) -> str:
        return f"{self.project}-{self.stack}"


T = TypeVar("T")


class _Reader:
    """Reads raw config strings, recording every problem instead of stopping at the first."""

    def __init__(self, stack: str, values: Mapping[str, str]) -> None:
        self.stack = stack
        self.values = values
        self.problems: list[str] = []

    def _problem(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def raw(self, key: str) -> str | None:
        return self.values.get(key)

    def required(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is None or value == "":
            self._problem(key, "is required but missing")
            return None
        return value

    def string(self, key: str, pattern: re.Pattern[str], expected: str) -> str:
        value = self.required(key)
        if value is None:
            return ""
        if not pattern.match(value):
            self._problem(key, f"must be {expected}, got {value!r}")
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.required(key)
        if value is None:
            return choices[0]
        if value not in choices:
            self._problem(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def one_of(self, key: str, value: Any, choices: tuple[str, ...]) -> str:
        if value not in choices:
            self._problem(key, f"must be one of {', '.join(choices)}, got {value!r}")
            return choices[0]
        return str(value)

    def integer(self, key: str, low: int, high: int, allowed: frozenset[int] | None = None) -> int:
        value = self.required(key)
        if value is None:
            return low
        return self._to_int(key, value, low, high, allowed)

    def _to_int(self, key: str, value: Any, low: int, high: int, allowed: frozenset[int] | None = None) -> int:
        try:
            number = int(str(value))
        except ValueError:
            self._problem(key, f"must be a whole number, got {value!r}")
            return low
        if allowed is not None and number not in allowed:
            self._problem(key, f"must be one of {', '.join(map(str, sorted(allowed)))}, got {number}")
        elif not low <= number <= high:
            self._problem(key, f"must be between {low} and {high}, got {number}")
        return number

    def boolean(self, key: str) -> bool:
        value = self.required(key)
        if value is None:
            return False
        return self._to_bool(key, value)

    def _to_bool(self, key: str, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text not in ("true", "false"):
            self._problem(key, f"must be true or false, got {value!r}")
            return False
        return text == "true"

    def obj(self, key: str) -> Mapping[str, Any]:
        value = self.required(key)
        if value is None:
            return {}
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            self._problem(key, f"must be an object, got {value!r}")
            return {}
        if not isinstance(parsed, dict):
            self._problem(key, f"must be an object, got {value!r}")
            return {}
        return parsed

    def field(self, key: str, parent: Mapping[str, Any], name: str, convert: Callable[[str, Any], T], default: T) -> T:
        full = f"{key}.{name}"
        if name not in parent:
            self._problem(full, "is required but missing")
            return default
        return convert(full, parent[name])

    def unknown_fields(self, key: str, parent: Mapping[str, Any], known: set[str]) -> None:
        for name in sorted(set(parent) - known):
            self._problem(f"{key}.{name}", f"is not a known setting (known: {', '.join(sorted(known))})")

    def int_field(self, key: str, parent: Mapping[str, Any], name: str, low: int, high: int) -> int:
        return self.field(key, parent, name, lambda k, v: self._to_int(k, v, low, high), low)

    def float_field(self, key: str, parent: Mapping[str, Any], name: str, low: float, high: float) -> float:
        def convert(full: str, value: Any) -> float:
            try:
                number = float(value)
            except (TypeError, ValueError):
                self._problem(full, f"must be a number, got {value!r}")
                return low
            if not low <= number <= high:
                self._problem(full, f"must be between {low:g} and {high:g}, got {number:g}")
            return number

        return self.field(key, parent, name, convert, low)

    def bool_field(self, key: str, parent: Mapping[str, Any], name: str) -> bool:
        return self.field(key, parent, name, self._to_bool, False)

    def list_field(
        self, key: str, parent: Mapping[str, Any], name: str, pattern: re.Pattern[str], expected: str
    ) -> tuple[str, ...]:
        def convert(full: str, value: Any) -> tuple[str, ...]:
            if not isinstance(value, list):
                self._problem(full, f"must be a list, got {value!r}")
                return ()
            for item in value:
                if not isinstance(item, str) or not pattern.match(item):
                    self._problem(full, f"every entry must be {expected}, got {item!r}")
            return tuple(str(item) for item in value)

        return self.field(key, parent, name, convert, ())


_HTTPS_URL = re.compile(r"^https://[^\s/]+(/\S*)?$")


def config_project(values: Mapping[str, str]) -> str:
    """The project whose namespace the config keys use (`<project>:logLevel`).

    That is the one namespace besides the provider's (`aws:`) and the engine's (`pulumi:`).
    """
    namespaces = sorted({key.split(":", 1)[0] for key in values if ":" in key} - {"aws", "pulumi"})
    if len(namespaces) != 1:
        found = ", ".join(namespaces) or "none"
        raise SettingsError(f"the config must hold one project's keys besides aws: and pulumi:, found {found}")
    return namespaces[0]


def _waf_settings(read: _Reader, key: str) -> WafSettings:
    waf = read.obj(key)
    read.unknown_fields(key, waf, {"enabled", "rateLimit"})
    return WafSettings(
        enabled=read.bool_field(key, waf, "enabled"),
        rate_limit=read.int_field(key, waf, "rateLimit", *WAF_RATE_LIMIT_RANGE),
    )


def settings_from_config(stack: str, values: Mapping[str, str], project: str | None = None) -> Settings:
    """Builds the settings from raw config strings keyed like the stack file (`<project>:logLevel`).

    project: the Pulumi project, which names the keys' namespace and prefixes every physical name. The
    program passes `pulumi.get_project()`; by default it is the namespace the keys use.
    Raises SettingsError listing every missing or invalid key, naming the stack.
    """
    project = project or config_project(values)
    ns = project
    read = _Reader(stack, values)
    region = read.string("aws:region", _REGION, "an AWS region such as eu-west-1")
    layer = read.string(
        f"{ns}:powertoolsLayerArn",
        _POWERTOOLS_LAYER,
        "the AWS-managed Powertools layer ARN (AWSLambdaPowertoolsPythonV3-python313-arm64:<version>)",
    )
    layer_match = _POWERTOOLS_LAYER.match(layer)
    if layer_match and region and layer_match["region"] != region:
        read.problems.append(
            f"{ns}:powertoolsLayerArn: is in region {layer_match['region']}, but aws:region is {region}"
        )

    consumers_key = f"{ns}:consumers"
    consumers = read.obj(consumers_key)
    read.unknown_fields(
        consumers_key, consumers, {"batchSize", "batchingWindowSeconds", "maximumConcurrency", "maxReceiveCount"}
    )
    async_key = f"{ns}:asyncInvoke"
    async_invoke = read.obj(async_key)
    read.unknown_fields(async_key, async_invoke, {"maximumRetryAttempts", "maximumEventAgeSeconds"})
    data_key = f"{ns}:data"
    data = read.obj(data_key)
    read.unknown_fields(data_key, data, {"pointInTimeRecovery", "deletionProtection", "protect"})
    api_key = f"{ns}:api"
    api = read.obj(api_key)
    read.unknown_fields(api_key, api, {"throttleRateLimit", "throttleBurstLimit"})
    notify_key = f"{ns}:customerNotifications"
    notify = read.obj(notify_key)
    read.unknown_fields(notify_key, notify, {"outboxQueue", "emailSubscribers", "httpsSubscribers"})
    invoices_key = f"{ns}:invoices"
    invoices = read.obj(invoices_key)
    read.unknown_fields(invoices_key, invoices, {"retentionDays"})

    fulfillment_key = f"{ns}:fulfillment"
    fulfillment = read.obj(fulfillment_key)
    read.unknown_fields(fulfillment_key, fulfillment, {"logLevel", "vipThreshold", "reservationGraceMinutes"})
    reminders_key = f"{ns}:reminders"
    reminders = read.obj(reminders_key)
    read.unknown_fields(reminders_key, reminders, {"delayMinutes"})
    concurrency_key = f"{ns}:concurrency"
    concurrency = read.obj(concurrency_key)
    read.unknown_fields(concurrency_key, concurrency, {"accountLimit", "api", "email"})
    outbox_key = f"{ns}:outbox"
    outbox = read.obj(outbox_key)
    read.unknown_fields(outbox_key, outbox, {"alarmAfterSeconds", "maximumRecordAgeSeconds"})
    identity_key = f"{ns}:identity"
    identity = read.obj(identity_key)
    read.unknown_fields(identity_key, identity, {"mfa", "selfSignUp"})

    settings = Settings(
        project=project,
        stack=stack,
        region=region,
        log_retention_days=read.integer(f"{ns}:logRetentionDays", 1, 3653, LOG_RETENTION_DAYS),
        log_level=read.choice(f"{ns}:logLevel", LOG_LEVELS),
        archive_retention_days=read.integer(f"{ns}:archiveRetentionDays", 1, 3650),
        alarm_email=read.string(f"{ns}:alarmEmail", _EMAIL, "an email address"),
        powertools_layer_arn=layer,
        consumers=ConsumerSettings(
            # With a batching window the event source mapping accepts up to 10,000; 10 keeps retries cheap.
            batch_size=read.int_field(consumers_key, consumers, "batchSize", 1, 100),
            batching_window_seconds=read.int_field(consumers_key, consumers, "batchingWindowSeconds", 0, 300),
            # SQS event source mappings require a maximum concurrency of at least 2.
            maximum_concurrency=read.int_field(consumers_key, consumers, "maximumConcurrency", 2, 1000),
            max_receive_count=read.int_field(consumers_key, consumers, "maxReceiveCount", 1, 20),
        ),
        async_invoke=AsyncInvokeSettings(
            maximum_retry_attempts=read.int_field(async_key, async_invoke, "maximumRetryAttempts", 0, 2),
            maximum_event_age_seconds=read.int_field(async_key, async_invoke, "maximumEventAgeSeconds", 60, 21600),
        ),
        data=DataSettings(
            point_in_time_recovery=read.bool_field(data_key, data, "pointInTimeRecovery"),
            deletion_protection=read.bool_field(data_key, data, "deletionProtection"),
            protect=read.bool_field(data_key, data, "protect"),
        ),
        api=ApiSettings(
            throttle_rate_limit=read.float_field(api_key, api, "throttleRateLimit", 1, 10000),
            throttle_burst_limit=int(read.float_field(api_key, api, "throttleBurstLimit", 1, 5000)),
        ),
        customer_notifications=CustomerNotificationSettings(
            outbox_queue=read.bool_field(notify_key, notify, "outboxQueue"),
            email_subscribers=read.list_field(notify_key, notify, "emailSubscribers", _EMAIL, "an email address"),
            https_subscribers=read.list_field(notify_key, notify, "httpsSubscribers", _HTTPS_URL, "an https URL"),
        ),
        seed_catalog=read.boolean(f"{ns}:seedCatalog"),
        # Up to 10 years: invoices are kept as long as the law of the shop's country asks.
        invoices=InvoiceSettings(retention_days=read.int_field(invoices_key, invoices, "retentionDays", 1, 3653)),
        fulfillment=FulfillmentSettings(
            log_level=read.field(
                fulfillment_key,
                fulfillment,
                "logLevel",
                lambda k, v: read.one_of(k, v, WORKFLOW_LOG_LEVELS),
                WORKFLOW_LOG_LEVELS[0],
            ),
            vip_threshold=read.int_field(fulfillment_key, fulfillment, "vipThreshold", 1, 1000),
            # At least the Warehouse's last receive (its visibility timeout) and the event's way back; a day at most.
            reservation_grace_minutes=read.int_field(fulfillment_key, fulfillment, "reservationGraceMinutes", 5, 1440),
        ),
        # A one-time schedule must lie in the future; a week is the longest a cart reminder makes sense.
        reminders=ReminderSettings(delay_minutes=read.int_field(reminders_key, reminders, "delayMinutes", 1, 10080)),
        concurrency=ConcurrencySettings(
            # The account's Lambda quota in the region (AWS's default is 1000; it can be raised).
            account_limit=read.int_field(concurrency_key, concurrency, "accountLimit", UNRESERVED_MINIMUM, 1_000_000),
            api=read.int_field(concurrency_key, concurrency, "api", 1, 1_000_000),
            email=read.int_field(concurrency_key, concurrency, "email", 1, 1_000_000),
        ),
        # A stream keeps records 24 hours; an unpublished order should page within minutes.
        outbox=OutboxSettings(
            alarm_after_seconds=read.int_field(outbox_key, outbox, "alarmAfterSeconds", 60, 3600),
            maximum_record_age_seconds=read.int_field(outbox_key, outbox, "maximumRecordAgeSeconds", 60, 86400),
        ),
        # SMS MFA is not offered: it costs per message and is the weakest second factor.
        identity=IdentitySettings(
            mfa=read.field(identity_key, identity, "mfa", lambda k, v: read.one_of(k, v, MFA_MODES), "OPTIONAL"),
            self_sign_up=read.bool_field(identity_key, identity, "selfSignUp"),
        ),
        waf=_waf_settings(read, f"{ns}:waf"),
    )
    if not read.problems and settings.concurrency.api < settings.api.throttle_burst_limit:
        read.problems.append(
            f"{concurrency_key}.api: {settings.concurrency.api} is less than {api_key}.throttleBurstLimit "
            f"({settings.api.throttle_burst_limit}): Lambda would throttle requests API Gateway lets through"
        )
    if not read.problems and not (
        settings.customer_notifications.outbox_queue
        or settings.customer_notifications.email_subscribers
        or settings.customer_notifications.https_subscribers
    ):
        read.problems.append(f"{notify_key}: needs an outbox queue or at least one email or https subscriber")
    if read.problems:
        lines = "\n".join(f"  - {problem}" for problem in read.problems)
        raise SettingsError(f"Invalid settings for stack '{stack}' (Pulumi.{stack}.yaml):\n{lines}")
    return settings


SETTING_NAMES = (
    "logRetentionDays",
    "logLevel",
    "archiveRetentionDays",
    "alarmEmail",
    "powertoolsLayerArn",
    "consumers",
    "asyncInvoke",
    "data",
    "api",
    "customerNotifications",
    "seedCatalog",
    "invoices",
    "fulfillment",
    "reminders",
    "concurrency",
    "outbox",
    "identity",
    "waf",
)


def setting_keys(project: str) -> tuple[str, ...]:
    """Every config key the program reads, in the project's namespace (plus the provider's region)."""
    return ("aws:region", *(f"{project}:{name}" for name in SETTING_NAMES))


def load_settings() -> Settings:
    """Reads the running stack's configuration (call once, from the program)."""
    # One source for the project name: the engine's (Pulumi.yaml), which the components' names use too.
    project = pulumi.get_project()
    values: dict[str, str] = {}
    for key in setting_keys(project):
        namespace, name = key.split(":", 1)
        value = pulumi.Config(namespace).get(name)
        if value is not None:
            values[key] = value
    return settings_from_config(pulumi.get_stack(), values, project=project)
