"""Prints the program's figures: resources per stack, mock evaluation time, handler cold imports, package sizes,
and the latency budget of the order journeys (devtools/latency.py).

python -m devtools.bench [--record]     --record: add the figures to make bench's goals table (build/bench/)

The machine may be shared, so each figure that noise would blur comes with a ratio measured in the same run:
a stack's evaluation beside the SDK's default evaluation of it, and each handler's cold import beside the
floor (a fresh interpreter importing boto3 and creating one client), sampled alternately.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
from rich.console import Console
from rich.table import Table

from devtools import bench_record, latency
from devtools.program import ROOT, STACKS, ProgramRun, run_program

RUNS = 5
#: The cold-start floor: what any Python function that talks to AWS pays before its own code runs.
FLOOR_CODE = "import boto3; boto3.client('dynamodb')"
#: A fresh interpreter's import time moves by 10-20% from one process to the next on a shared machine: nine
#: alternating samples keep one slow process from deciding a handler's median (five let one run read 1.26x
#: for a handler that reads 1.13-1.14x in runs of nine).
IMPORT_SAMPLES = 9


@dataclass
class Evaluations:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def evaluate(stack: str, sdk_defaults: bool = False) -> tuple[ProgramRun, Evaluations]:
    timings = Evaluations()
    for _ in range(RUNS):
        started, cpu = time.perf_counter(), time.process_time()
        result = run_program(stack, sdk_defaults=sdk_defaults)
        timings.wall.append(time.perf_counter() - started)
        timings.cpu.append(time.process_time() - cpu)
    return result, timings


def package(archive: pulumi.AssetArchive) -> tuple[int, int]:
    """(files' bytes, zipped bytes) of a function's code as Lambda would receive it."""
    buffer = io.BytesIO()
    raw = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, asset in archive.assets.items():
            source = Path(ROOT / str(getattr(asset, "path", "")))
            files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
            for path in files:
                if "__pycache__" in path.parts:
                    continue
                arcname = name if source.is_file() else f"{name}/{path.relative_to(source)}"
                bundle.write(path, arcname)
                raw += path.stat().st_size
    return raw, len(buffer.getvalue())


@dataclass
class ColdImport:
    """Milliseconds of CPU (and wall) to import a handler's module in a fresh interpreter, as a Lambda cold
    start would, and the same for the floor, sampled alternately so both see the same neighbours."""

    cpu_ms: float
    wall_ms: float
    floor_cpu_ms: float
    floor_wall_ms: float

    @property
    def ratio(self) -> float:
        return self.cpu_ms / self.floor_cpu_ms


def _timed(code: str, env: dict[str, str]) -> tuple[float, float]:
    probe = (
        "import time; w, c = time.perf_counter(), time.process_time()\n"
        f"{code}\n"
        "print(time.process_time() - c, time.perf_counter() - w)"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    cpu, wall = output.strip().splitlines()[-1].split()
    return float(cpu) * 1000, float(wall) * 1000


def cold_import(handler: str, environment: dict[str, str]) -> ColdImport:
    module = handler.rsplit(".", 1)[0]
    env = {
        **os.environ,
        **environment,
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    own, floor = [], []
    for _ in range(IMPORT_SAMPLES):
        own.append(_timed(f"import {module}", env))
        floor.append(_timed(FLOOR_CODE, env))
    return ColdImport(
        statistics.median(cpu for cpu, _ in own),
        statistics.median(wall for _, wall in own),
        statistics.median(cpu for cpu, _ in floor),
        statistics.median(wall for _, wall in floor),
    )


def main(argv: list[str]) -> int:
    if argv not in ([], ["--record"]):
        print(f"usage: python -m devtools.bench [--record] (got {' '.join(argv)})", file=sys.stderr)
        return 2
    measured: dict[str, float] = {}
    console = Console(width=140)
    stacks = Table(title=f"Stacks under Pulumi mocks (median of {RUNS} evaluations; goal: at most 0.6 s)")
    for column in (
        "stack",
        "resources",
        "cloud resources",
        "median s",
        "min s",
        "max s",
        "CPU s",
        "SDK defaults: CPU s",
        "CPU ratio",
    ):
        stacks.add_column(column, justify="right" if column != "stack" else "left")
    runs = {}
    for stack in STACKS:
        result, timings = evaluate(stack)
        _, defaults = evaluate(stack, sdk_defaults=True)
        runs[stack] = result
        measured["stack_seconds"] = max(statistics.median(timings.wall), measured.get("stack_seconds", 0.0))
        stacks.add_row(
            stack,
            str(len(result.resources)),
            str(len(result.custom_resources)),
            f"{statistics.median(timings.wall):.2f}",
            f"{min(timings.wall):.2f}",
            f"{max(timings.wall):.2f}",
            f"{statistics.median(timings.cpu):.2f}",
            f"{statistics.median(defaults.cpu):.2f}",
            f"{statistics.median(timings.cpu) / statistics.median(defaults.cpu):.2f}",
        )
    console.print(stacks)

    functions = Table(
        title=f"Functions (dev): cold import of the handler module beside the floor ({FLOOR_CODE}), median of "
        f"{IMPORT_SAMPLES} alternating samples; goal: at most 1.25x the floor"
    )
    for column in ("function", "handler", "import CPU ms", "floor CPU ms", "ratio", "import wall ms", "zip KiB"):
        functions.add_column(column, justify="left" if column in ("function", "handler") else "right")
    for function in sorted(runs["dev"].of_type("aws:lambda/function:Function"), key=lambda f: f.name):
        environment = {k: str(v) for k, v in function.inputs["environment"]["variables"].items()}
        _, zipped = package(function.inputs["code"])
        cold = cold_import(function.inputs["handler"], environment)
        measured["handler_import_ratio"] = max(cold.ratio, measured.get("handler_import_ratio", 0.0))
        functions.add_row(
            function.outputs["name"],
            function.inputs["handler"],
            f"{cold.cpu_ms:.0f}",
            f"{cold.floor_cpu_ms:.0f}",
            f"{cold.ratio:.2f}x",
            f"{cold.wall_ms:.0f}",
            f"{zipped / 1024:.1f}",
        )
    console.print(functions)
    latency.report(console)
    if argv == ["--record"]:
        bench_record.record(measured)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
