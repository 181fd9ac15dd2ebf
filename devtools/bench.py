"""Prints the program's figures: resources per stack, mock evaluation time, handler cold imports, package sizes,
and the latency budget of the order journeys (devtools/latency.py).

python -m devtools.bench
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pulumi
from rich.console import Console
from rich.table import Table

from devtools import latency
from devtools.program import ROOT, ProgramRun, run_program

STACKS = ("dev", "prod")
RUNS = 5


def evaluate(stack: str) -> tuple[ProgramRun, list[float]]:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        result = run_program(stack)
        timings.append(time.perf_counter() - started)
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


def cold_import(handler: str, environment: dict[str, str]) -> float:
    """Seconds to import a handler's module in a fresh interpreter, as a Lambda cold start would."""
    module = handler.rsplit(".", 1)[0]
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {
        **os.environ,
        **environment,
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    samples = []
    for _ in range(3):
        output = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        ).stdout
        samples.append(float(output.strip().splitlines()[-1]))
    return statistics.median(samples)


def main() -> int:
    console = Console(width=140)
    stacks = Table(title=f"Stacks under Pulumi mocks (median of {RUNS} evaluations)")
    for column in ("stack", "resources", "cloud resources", "median s", "min s", "max s"):
        stacks.add_column(column, justify="right" if column != "stack" else "left")
    runs = {}
    for stack in STACKS:
        result, timings = evaluate(stack)
        runs[stack] = result
        stacks.add_row(
            stack,
            str(len(result.resources)),
            str(len(result.custom_resources)),
            f"{statistics.median(timings):.2f}",
            f"{min(timings):.2f}",
            f"{max(timings):.2f}",
        )
    console.print(stacks)

    functions = Table(title="Functions (dev): cold import of the handler module (median of 3) and package size")
    for column in ("function", "handler", "import ms", "files KiB", "zip KiB"):
        functions.add_column(column, justify="left" if column in ("function", "handler") else "right")
    for function in sorted(runs["dev"].of_type("aws:lambda/function:Function"), key=lambda f: f.name):
        environment = {k: str(v) for k, v in function.inputs["environment"]["variables"].items()}
        raw, zipped = package(function.inputs["code"])
        functions.add_row(
            function.outputs["name"],
            function.inputs["handler"],
            f"{cold_import(function.inputs['handler'], environment) * 1000:.0f}",
            f"{raw / 1024:.1f}",
            f"{zipped / 1024:.1f}",
        )
    console.print(functions)
    latency.report(console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
