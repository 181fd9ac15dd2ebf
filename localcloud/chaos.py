"""Fault sets from the command line: ``--faults FILE`` and the default mix behind ``demo --chaos``.

The default chaos mix (seeded, so a run reproduces for the same traffic):

- Billing's and Warehouse's PutEvents throttled (``ThrottlingException``) 20 % of the time;
- Billing crashes on its next 2 invocations;
- half of all queue and asynchronous deliveries arrive twice;
- Warehouse's queue poller paused for an hour of local time (the consumer an hour late);
- Email 50 ms slower on every invocation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from localcloud.fault_model import FaultSetError, parse_fault_set

DEFAULT_CHAOS: dict[str, Any] = {
    "seed": 8,
    "faults": [
        {
            "kind": "error",
            "service": "events",
            "operation": "PutEvents",
            "error": "ThrottlingException",
            "probability": 0.2,
            "function": "billing",
        },
        {
            "kind": "error",
            "service": "events",
            "operation": "PutEvents",
            "error": "ThrottlingException",
            "probability": 0.2,
            "function": "warehouse",
        },
        {"kind": "crash", "function": "billing", "times": 2},
        {"kind": "duplicate", "probability": 0.5},
        {"kind": "pause", "function": "warehouse", "seconds": 3600},
        {"kind": "latency", "function": "email", "ms": 50},
    ],
}


def load_fault_file(path: str | Path) -> dict[str, Any]:
    """The fault set in ``path``, validated (``FaultSetError`` names the file and every problem)."""
    where = Path(path)
    try:
        document = json.loads(where.read_text(encoding="utf-8"))
    except OSError as error:
        raise FaultSetError([f"{where}: cannot be read ({error.strerror or error})"]) from error
    except ValueError as error:
        raise FaultSetError([f"{where}: not JSON ({error})"]) from error
    try:
        parse_fault_set(document)
    except FaultSetError as error:
        raise FaultSetError([f"{where}: {problem}" for problem in error.problems]) from error
    if not isinstance(document, dict):  # parse_fault_set refused anything else already
        raise FaultSetError([f"{where}: must be an object"])
    return document
