"""Logs without payment tokens or customers' addresses: a Powertools Logger whose formatter redacts them.

Powertools' ``LambdaPowertoolsFormatter`` is extended at its documented hook, ``serialize``: before a log
record becomes JSON, the value of every sensitive key (at any depth: ``extra``, appended keys, a logged
event) becomes ``"*****"``, and anything shaped like an email address inside any string (messages,
exception texts, stack traces) is masked too. Powertools' data-masking utility erases known JSON paths;
log records have no fixed shape, so the formatter walks them by key instead.

Handlers call ``redacting_logger()`` instead of ``Logger()``. X-Ray capture of responses is off for every
function (``POWERTOOLS_TRACER_CAPTURE_RESPONSE=false``, set by the LambdaFunction component), so traces
never hold a handler's result either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

MASK = "*****"
#: Keys whose values never reach a log line (compared case-insensitively, ``-`` and ``_`` ignored).
SENSITIVE_KEYS = frozenset({"email", "paymenttoken", "token", "authorization", "cookie", "setcookie"})
#: An apostrophe is legal before the @ (o'brien@example.com), so it is masked with the rest of the address.
EMAIL = re.compile(r"[^@\s\"<>(),;:\\]+@[^@\s\"'<>(),;:\\]+\.[A-Za-z]{2,}")


def _is_sensitive(key: str) -> bool:
    return key.replace("-", "").replace("_", "").lower() in SENSITIVE_KEYS


def redact(value: Any) -> Any:
    """``value`` with every sensitive key's value masked and every email-shaped substring masked."""
    if isinstance(value, Mapping):
        return {key: MASK if _is_sensitive(str(key)) else redact(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    # Strings, and anything the JSON encoder would write through str() (an exception, a Decimal).
    return EMAIL.sub(MASK, str(value))


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON log formatter, redacting before it serialises."""

    def serialize(self, log: Any) -> str:
        return super().serialize(log=redact(log))


def redacting_logger(**kwargs: Any) -> Logger:
    """A Powertools ``Logger`` (same arguments) whose lines never hold a token or an email address."""
    return Logger(logger_formatter=RedactingFormatter(), **kwargs)
