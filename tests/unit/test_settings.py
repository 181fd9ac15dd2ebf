"""Stack settings: read once, every bad key reported at once, naming key and stack."""

from __future__ import annotations

import json

import pytest

from devtools.program import load_stack_config, run_program
from settings import SettingsError, settings_from_config


def test_the_real_stack_files_are_valid() -> None:
    dev = settings_from_config("dev", load_stack_config("dev"))
    prod = settings_from_config("prod", load_stack_config("prod"))
    assert (dev.log_retention_days, prod.log_retention_days) == (7, 90)
    assert dev.data.protect is False and prod.data.protect is True
    assert dev.customer_notifications.outbox_queue and not prod.customer_notifications.outbox_queue
    assert (dev.stack, dev.namespace, prod.stack) == ("dev", "eventshop", "prod")


def test_a_missing_key_names_the_key_and_the_stack() -> None:
    config = load_stack_config("prod")
    del config["eventshop:alarmEmail"]
    with pytest.raises(SettingsError, match=r"stack 'prod' \(Pulumi.prod.yaml\)") as error:
        settings_from_config("prod", config)
    assert "eventshop:alarmEmail: is required but missing" in str(error.value)


def test_every_problem_is_reported_at_once() -> None:
    config = load_stack_config("dev")
    config["eventshop:logRetentionDays"] = "10"
    config["eventshop:logLevel"] = "LOUD"
    config["eventshop:consumers"] = json.dumps({"batchSize": 0, "batchingWindowSeconds": 0, "maximumConcurrency": 1})
    config["eventshop:api"] = json.dumps({"throttleRateLimit": "fast", "throttleBurstLimit": 10, "burst": 1})
    with pytest.raises(SettingsError) as error:
        settings_from_config("dev", config)
    message = str(error.value)
    assert "eventshop:logRetentionDays: must be one of 1, 3, 5, 7, 14" in message
    assert "eventshop:logLevel: must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'" in message
    assert "eventshop:consumers.batchSize: must be between 1 and 100, got 0" in message
    assert "eventshop:consumers.maximumConcurrency: must be between 2 and 1000, got 1" in message
    assert "eventshop:consumers.maxReceiveCount: is required but missing" in message
    assert "eventshop:api.throttleRateLimit: must be a number, got 'fast'" in message
    assert "eventshop:api.burst: is not a known setting" in message


def test_the_powertools_layer_must_be_the_aws_managed_one_in_the_stacks_region() -> None:
    config = load_stack_config("dev")
    config["eventshop:powertoolsLayerArn"] = config["eventshop:powertoolsLayerArn"].replace("eu-west-1", "us-east-1")
    with pytest.raises(SettingsError, match="powertoolsLayerArn: is in region us-east-1, but aws:region is eu-west-1"):
        settings_from_config("dev", config)
    config["eventshop:powertoolsLayerArn"] = "arn:aws:lambda:eu-west-1:999999999999:layer:Mine:1"
    with pytest.raises(SettingsError, match="powertoolsLayerArn: must be the AWS-managed Powertools layer"):
        settings_from_config("dev", config)


def test_objects_and_lists_are_type_checked() -> None:
    config = load_stack_config("prod")
    config["eventshop:customerNotifications"] = json.dumps(
        {"outboxQueue": "maybe", "emailSubscribers": ["not-an-email"], "httpsSubscribers": "http://x"}
    )
    config["eventshop:data"] = "[]"
    with pytest.raises(SettingsError) as error:
        settings_from_config("prod", config)
    message = str(error.value)
    assert "customerNotifications.outboxQueue: must be true or false, got 'maybe'" in message
    assert "customerNotifications.emailSubscribers: every entry must be an email address, got 'not-an-email'" in message
    assert "customerNotifications.httpsSubscribers: must be a list, got 'http://x'" in message
    assert "eventshop:data: must be an object, got '[]'" in message


def test_customers_must_be_reachable_somehow() -> None:
    config = load_stack_config("prod")
    config["eventshop:customerNotifications"] = json.dumps(
        {"outboxQueue": False, "emailSubscribers": [], "httpsSubscribers": []}
    )
    with pytest.raises(SettingsError, match="needs an outbox queue or at least one email or https subscriber"):
        settings_from_config("prod", config)


def test_the_program_fails_before_declaring_anything_on_bad_settings() -> None:
    config = load_stack_config("dev")
    config["eventshop:archiveRetentionDays"] = "forever"
    with pytest.raises(Exception, match=r"eventshop:archiveRetentionDays: must be a whole number, got 'forever'"):
        run_program("dev", config=config)


def test_a_stack_without_a_file_is_refused() -> None:
    with pytest.raises(ValueError, match=r"stack 'staging' has no Pulumi\.staging\.yaml"):
        load_stack_config("staging")


def test_invoices_are_kept_briefly_in_dev_and_for_years_in_prod() -> None:
    dev = settings_from_config("dev", load_stack_config("dev"))
    prod = settings_from_config("prod", load_stack_config("prod"))
    assert (dev.invoices.retention_days, prod.invoices.retention_days) == (30, 2555)
    config = load_stack_config("dev")
    config["eventshop:invoices"] = json.dumps({"retentionDays": 0})
    with pytest.raises(SettingsError, match="eventshop:invoices"):
        settings_from_config("dev", config)


def test_fulfillment_and_reminder_settings_differ_per_stack() -> None:
    dev = settings_from_config("dev", load_stack_config("dev"))
    prod = settings_from_config("prod", load_stack_config("prod"))
    assert (dev.fulfillment.log_level, prod.fulfillment.log_level) == ("ALL", "ERROR")
    assert dev.fulfillment.vip_threshold == prod.fulfillment.vip_threshold == 5
    assert dev.reminders.delay_minutes < 60 and prod.reminders.delay_minutes == 1440


def test_bad_workflow_and_reminder_settings_name_the_key_and_the_stack() -> None:
    config = load_stack_config("prod")
    config["eventshop:fulfillment"] = json.dumps({"logLevel": "LOUD", "vipThreshold": 0})
    config["eventshop:reminders"] = json.dumps({"delayMinutes": 0, "jitter": 1})
    with pytest.raises(SettingsError, match=r"stack 'prod'") as error:
        settings_from_config("prod", config)
    message = str(error.value)
    assert "eventshop:fulfillment.logLevel: must be one of ALL, ERROR, FATAL, got 'LOUD'" in message
    assert "eventshop:fulfillment.vipThreshold: must be between 1 and 1000, got 0" in message
    assert "eventshop:reminders.delayMinutes: must be between 1 and 10080, got 0" in message
    assert "eventshop:reminders.jitter: is not a known setting" in message
