"""Reading the stack's settings: the declared keys, then the checks that span more than one key."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi.runtime.config

from settings.sections import POWERTOOLS_LAYER, Settings
from settings.spec import Problems, declared, declared_keys, read_settings


class SettingsError(ValueError):
    """A stack's configuration is missing a key or holds an invalid value."""


def setting_keys(namespace: str) -> tuple[str, ...]:
    """Every config key the program reads: the declared ones, in the project's namespace (plus `aws:region`)."""
    return declared_keys(Settings, namespace)


#: Every key the settings declare as the stack file writes it, a bare one in the project's namespace.
SETTING_KEYS = tuple(spec.name for _, spec in declared(Settings))


def config_namespace(values: Mapping[str, str]) -> str:
    """The namespace the program's config keys use (`<project>:logLevel`) when the caller did not say.

    That is the one namespace besides the provider's (`aws`) and the engine's (`pulumi`).
    """
    namespaces = sorted({key.split(":", 1)[0] for key in values if ":" in key} - {"aws", "pulumi"})
    if len(namespaces) != 1:
        found = ", ".join(namespaces) or "none"
        raise SettingsError(f"the config must hold one project's keys besides aws: and pulumi:, found {found}")
    return namespaces[0]


def settings_from_config(stack: str, values: Mapping[str, str], namespace: str | None = None) -> Settings:
    """Builds the settings from raw config strings keyed like the stack file (`<namespace>:logLevel`).

    namespace: the project's config namespace; the program passes `pulumi.get_project()`, and by default it
    is the one namespace the keys use besides `aws` and `pulumi`.
    Raises SettingsError listing every missing, unknown or invalid key, naming the stack.
    """
    ns = namespace or config_namespace(values)
    problems = Problems()
    settings = Settings(stack=stack, namespace=ns, **read_settings(Settings, problems, values, ns))
    problems.extend(_cross_checks(settings, ns, clean=not problems))
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise SettingsError(f"Invalid settings for stack '{stack}' (Pulumi.{stack}.yaml):\n{lines}")
    return settings


def _cross_checks(settings: Settings, ns: str, *, clean: bool) -> list[str]:
    """What no single key can say. The ones comparing numbers wait for every key to be valid (`clean`)."""
    problems = []
    layer = POWERTOOLS_LAYER.match(settings.powertools_layer_arn)
    if layer and settings.region and layer["region"] != settings.region:
        problems.append(f"{ns}:powertoolsLayerArn: is in region {layer['region']}, but aws:region is {settings.region}")
    if not clean:
        return problems
    if settings.concurrency.api < settings.api.throttle_burst_limit:
        problems.append(
            f"{ns}:concurrency.api: {settings.concurrency.api} is less than {ns}:api.throttleBurstLimit "
            f"({settings.api.throttle_burst_limit}): Lambda would throttle requests API Gateway lets through"
        )
    api = settings.api
    # A client's limits above the stage's could never be reached: the stage throttles first.
    if api.client_rate_limit > api.throttle_rate_limit or api.client_burst_limit > api.throttle_burst_limit:
        problems.append(
            f"{ns}:api.clientRateLimit/clientBurstLimit: a client's limits must not exceed the stage's "
            f"({api.throttle_rate_limit:g}/{api.throttle_burst_limit})"
        )
    notify = settings.customer_notifications
    if not (notify.outbox_queue or notify.email_subscribers or notify.https_subscribers):
        problems.append(f"{ns}:customerNotifications: needs an outbox queue or at least one email or https subscriber")
    return problems


def load_settings() -> Settings:
    """Reads the running stack's configuration (call once, from the program).

    Every key of the project's namespace is read, so a misspelt key fails the run instead of being ignored.
    """
    namespace = pulumi.get_project()
    config = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    wanted = set(setting_keys(namespace))
    values = {
        key: str(value)
        for key, value in config.items()
        if (key in wanted or key.startswith(f"{namespace}:")) and value is not None
    }
    return settings_from_config(pulumi.get_stack(), values, namespace=namespace)
