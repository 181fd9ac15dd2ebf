"""Secure defaults in one place, returned fresh so no caller can change another's.

Components merge these first, the user's overrides (transforms) on top, and what the
pattern needs to work (redrive, ReportBatchItemFailures, names) last.
"""

from __future__ import annotations

from typing import Any

LAMBDA_RUNTIME = "python3.13"
LAMBDA_ARCHITECTURE = "arm64"
DEFAULT_TIMEOUT_SECONDS = 10
DEFAULT_MEMORY_MB = 256
# AWS recommends a source queue's visibility timeout of at least six times the function timeout.
VISIBILITY_TIMEOUT_FACTOR = 6
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum, so a failure can wait for a human


def queue_args() -> dict[str, Any]:
    return {
        "sqs_managed_sse_enabled": True,
        "message_retention_seconds": 4 * 24 * 3600,
        "receive_wait_time_seconds": 20,
    }


def dead_letter_queue_args() -> dict[str, Any]:
    return {
        "sqs_managed_sse_enabled": True,
        "message_retention_seconds": DLQ_RETENTION_SECONDS,
    }


def function_args() -> dict[str, Any]:
    return {
        "runtime": LAMBDA_RUNTIME,
        "architectures": [LAMBDA_ARCHITECTURE],
        "timeout": DEFAULT_TIMEOUT_SECONDS,
        "memory_size": DEFAULT_MEMORY_MB,
        "tracing_config": {"mode": "Active"},
        "logging_config": {"log_format": "JSON"},
    }


def table_args() -> dict[str, Any]:
    return {
        "billing_mode": "PAY_PER_REQUEST",
        "server_side_encryption": {"enabled": True},
        "point_in_time_recovery": {"enabled": True},
        "deletion_protection_enabled": True,
    }


def topic_key_args() -> dict[str, Any]:
    return {
        "enable_key_rotation": True,
        "deletion_window_in_days": 30,
    }


def alarm_args() -> dict[str, Any]:
    return {
        "evaluation_periods": 1,
        "period": 60,
        "treat_missing_data": "notBreaching",
    }
