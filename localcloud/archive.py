"""What the bus archive recorded, and the deliveries those events owe a target: the books' side of "every event
a rule matched reached its target"."""

from __future__ import annotations

from typing import Any

from devtools.program import ProgramRun
from localcloud import moto_patches


def archived_events(account: str, region: str, run: ProgramRun) -> list[dict[str, Any]]:
    """Every event the program's bus archives (``EventArchive``) recorded, oldest first."""
    events: list[dict[str, Any]] = []
    for archive in run.of_type("aws:cloudwatch/eventArchive:EventArchive"):
        events += moto_patches.archived_events(account, region, archive.outputs["name"])
    return events


def owed_deliveries(run: ProgramRun, events: list[dict[str, Any]], target_arn: str) -> int:
    """How many deliveries ``events`` owe ``target_arn``: one per (event, rule targeting it that matches)."""
    rules = {r.outputs["name"]: r.inputs.get("eventPattern") for r in run.of_type("aws:cloudwatch/eventRule:EventRule")}
    owed = [
        rules[str(t.inputs["rule"])]
        for t in run.of_type("aws:cloudwatch/eventTarget:EventTarget")
        if t.inputs.get("arn") == target_arn
    ]
    return sum(1 for event in events for pattern in owed if moto_patches.pattern_matches(pattern, event))
