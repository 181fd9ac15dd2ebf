"""The correlation id rule: what a caller's ``X-Correlation-Id`` may be, the same everywhere it travels.

Every event contract limits ``metadata.correlationId`` to ``MAX_LENGTH`` characters, so a header that
breaks this rule would be accepted, saved, and then fail the event contract later. The API checks it
before anything is saved and answers 400 naming the header.
"""

from __future__ import annotations

import re

HEADER = "X-Correlation-Id"
#: The event contracts' ``metadata.correlationId`` ``maxLength`` (a contract test keeps them equal).
MAX_LENGTH = 128
#: Letters, digits and ``. _ ~ : / @ + = -``: safe in logs, JSON, URLs and trace annotations.
PATTERN = re.compile(r"[A-Za-z0-9._~:/@+=-]{1,128}")
RULE = f"must be 1 to {MAX_LENGTH} characters of letters, digits and . _ ~ : / @ + = -"


def problem(value: str) -> str | None:
    """What is wrong with ``value`` as a correlation id, or ``None`` when it is valid."""
    return None if PATTERN.fullmatch(value) else RULE
