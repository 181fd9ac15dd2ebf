"""The stack's settings, read once from Pulumi config into one typed, validated object.

Every problem in a stack file is collected and reported at once, each line naming the key and the stack,
so a bad `Pulumi.<stack>.yaml` fails before any resource is declared. Each key is declared once, in
`settings.sections`; `settings.spec` derives the reader, the unknown-key check and the key list from it.
"""

from settings.load import (
    SETTING_KEYS,
    SettingsError,
    config_namespace,
    load_settings,
    setting_keys,
    settings_from_config,
)
from settings.sections import (
    LOG_LEVELS,
    LOG_RETENTION_DAYS,
    UNRESERVED_MINIMUM,
    WORKFLOW_LOG_LEVELS,
    ApiSettings,
    AsyncInvokeSettings,
    ConcurrencySettings,
    ConsumerSettings,
    CustomerNotificationSettings,
    DataSettings,
    FulfillmentSettings,
    IdentitySettings,
    InvoiceSettings,
    OutboxSettings,
    ReminderSettings,
    Settings,
    WafSettings,
)

__all__ = [
    "LOG_LEVELS",
    "LOG_RETENTION_DAYS",
    "SETTING_KEYS",
    "UNRESERVED_MINIMUM",
    "WORKFLOW_LOG_LEVELS",
    "ApiSettings",
    "AsyncInvokeSettings",
    "ConcurrencySettings",
    "ConsumerSettings",
    "CustomerNotificationSettings",
    "DataSettings",
    "FulfillmentSettings",
    "IdentitySettings",
    "InvoiceSettings",
    "OutboxSettings",
    "ReminderSettings",
    "Settings",
    "SettingsError",
    "WafSettings",
    "config_namespace",
    "load_settings",
    "setting_keys",
    "settings_from_config",
]
