"""The speed goals, and the figures ``make bench`` measured against them.

Each part of ``make bench`` records what it measured (``record``) in ``build/bench/figures.json``, with the
commit it ran on; the last step prints one table of every goal (``python -m devtools.bench_record report``).
A figure recorded on another commit is shown as stale, and a goal nothing measured says which target
measures it.

python -m devtools.bench_record put KEY SECONDS     record a figure measured outside Python (make's timers)
python -m devtools.bench_record report              the goals table; exit status 0 even when a goal is short
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from devtools.program import ROOT

FIGURES = ROOT / "build" / "bench" / "figures.json"


@dataclass(frozen=True)
class Goal:
    key: str
    what: str
    #: The figure the speed issue measured before this work began, as it quoted it.
    before: str
    limit: float
    unit: str
    #: "at most" or "at least".
    bound: str
    #: The make target that measures it.
    target: str

    def met(self, value: float) -> bool:
        return value <= self.limit if self.bound == "at most" else value >= self.limit

    def show(self, value: float) -> str:
        return f"{value:.2f} {self.unit}" if self.unit in ("s", "x") else f"{value:.1f} {self.unit}"


GOALS: tuple[Goal, ...] = (
    Goal("orders_per_second", "throughput, 500 orders", "2.8 orders/s", 10.0, "orders/s", "at least", "bench"),
    Goal("cpu_ms_per_order", "CPU per order, 500 orders", "361 ms", 100.0, "ms", "at most", "bench"),
    Goal("cpu_flatness", "CPU per order, largest / smallest of the scale table", "-", 1.25, "x", "at most", "bench"),
    Goal("boot_cached_seconds", "boot, recorded deployment replayed", "6.8 s", 3.0, "s", "at most", "bench"),
    Goal("boot_cold_seconds", "boot, program evaluated (after a change)", "6.8 s", 3.0, "s", "at most", "bench"),
    Goal("peak_mib", "peak memory, 500 orders", "486 MiB", 400.0, "MiB", "at most", "bench"),
    Goal("make_test_seconds", "make test, warm", "146 s", 60.0, "s", "at most", "bench-test"),
    Goal("fresh_clone_seconds", "make install + make test, fresh clone", "-", 240.0, "s", "at most", "bench-fresh"),
    Goal("handler_import_ratio", "handler cold import / floor, worst", "1.4-2.4x", 1.25, "x", "at most", "bench"),
    Goal(
        "stack_seconds", "a stack under mocks, the slowest stack's median", "1.07-1.15 s", 0.6, "s", "at most", "bench"
    ),
)
GOALS_BY_KEY = {goal.key: goal for goal in GOALS}


def commit() -> str:
    """The commit being measured, marked dirty when the work tree differs from it."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    head = subprocess.run([git, "rev-parse", "--short", "HEAD"], check=False, cwd=ROOT, capture_output=True, text=True)
    if head.returncode != 0:
        return "unknown"
    changes = [git, "status", "--porcelain", "--untracked-files=no"]
    dirty = subprocess.run(changes, check=False, cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return head.stdout.strip() + ("+dirty" if dirty else "")


def load(path: Path = FIGURES) -> dict[str, dict[str, object]]:
    try:
        figures = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not JSON ({error}); delete it and run make bench again") from error
    if not isinstance(figures, dict):
        raise ValueError(f"{path} must hold an object of figures; delete it and run make bench again")
    return figures


def record(figures: Mapping[str, float], path: Path = FIGURES) -> None:
    """Add measured figures (keys of ``GOALS`` or informative extras) to the record, stamped with the commit."""
    unknown = sorted(key for key in figures if key not in GOALS_BY_KEY and not key.startswith("info_"))
    if unknown:
        raise ValueError(f"no speed goal is called {', '.join(unknown)}; known: {', '.join(GOALS_BY_KEY)}")
    stored = load(path)
    stamp = {"commit": commit(), "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for key, value in figures.items():
        stored[key] = {"value": float(value), **stamp}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")


def report(console: Console, path: Path = FIGURES) -> int:
    """Print every goal beside what was measured; answer how many goals are short or unmeasured."""
    stored = load(path)
    now = commit()
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    table = Table(title=f"Speed goals (figures from {shown}; this tree: {now})")
    for column in ("figure", "before", "now", "goal", "verdict", "measured on"):
        table.add_column(column, justify="left" if column in ("figure", "verdict", "measured on") else "right")
    open_goals = 0
    for goal in GOALS:
        entry = stored.get(goal.key)
        wanted = f"{goal.bound} {goal.show(goal.limit)}"
        if entry is None:
            open_goals += 1
            table.add_row(goal.what, goal.before, "-", wanted, f"not measured: make {goal.target}", "-")
            continue
        value = float(str(entry["value"]))
        met = goal.met(value)
        open_goals += not met
        stale = "" if entry["commit"] == now else " (stale)"
        verdict = "met" if met else "short"
        table.add_row(goal.what, goal.before, goal.show(value), wanted, verdict, f"{entry['commit']}{stale}")
    console.print(table, width=max(console.width, 120))
    for key in sorted(key for key in stored if key.startswith("info_")):
        entry = stored[key]
        what = key.removeprefix("info_").replace("_", " ")
        console.print(f"also measured: {what} {float(str(entry['value'])):.1f} (on {entry['commit']})", highlight=False)
    return open_goals


def flatness(cpu_ms_per_order: Sequence[float]) -> float:
    """Largest over smallest CPU per order across the scale table's sizes: 1.0 is perfectly flat."""
    if not cpu_ms_per_order or min(cpu_ms_per_order) <= 0:
        raise ValueError("the scale table needs at least one size with CPU measured")
    return max(cpu_ms_per_order) / min(cpu_ms_per_order)


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"a figure must be a number, not {text!r}") from None


def main(argv: Sequence[str]) -> int:
    console = Console(width=140)
    if len(argv) == 3 and argv[0] == "put":
        try:
            record({argv[1]: number(argv[2])})
        except ValueError as error:
            console.print(f"[red]{error}[/red]", highlight=False)
            return 2
        return 0
    if list(argv) == ["report"]:
        report(console)
        return 0
    console.print("usage: python -m devtools.bench_record put KEY VALUE | report", highlight=False)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
