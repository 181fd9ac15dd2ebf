"""Probes that each need a fresh interpreter, run from one interpreter that forks a child per probe.

A test that checks what an import does (a handler's cold start, a process-wide setting read at import) runs its
probe in a new interpreter, since the test process has imported much already. When several probes start with the
same imports, most of each one's CPU is those imports: here one interpreter runs their shared prelude once (what
every probe would do first, whatever their differences: imports, a patch), then forks a child per probe. Each child
starts from exactly the state a fresh interpreter had after the prelude, with its own environment changes and
``sys.argv``, runs its probe as ``python -c`` would, and reports its own exit status, stdout and stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Runs in the fresh interpreter: ``argv[1]`` names a JSON file with the prelude and the probes, ``argv[2]`` the
#: directory where each child writes its stdout and stderr, and the reports go to ``argv[3]``.
_RUNNER = """
import json, os, sys, traceback
with open(sys.argv[1]) as request_file:
    request = json.load(request_file)
output, reports_path = sys.argv[2], sys.argv[3]
exec(compile(request["prelude"], "<prelude>", "exec"), {"__name__": "__prelude__"})
reports = {}
for index, probe in enumerate(request["probes"]):
    sys.stdout.flush()
    sys.stderr.flush()
    stdout_path, stderr_path = f"{output}/{index}.out", f"{output}/{index}.err"
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            os.dup2(os.open(stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
            os.dup2(os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
            os.environ.update(probe["environment"])
            sys.argv = ["-c", *probe["argv"]]
            exec(compile(probe["code"], "<string>", "exec"), {"__name__": "__main__"})
        except SystemExit as exit_:
            if exit_.code is None or isinstance(exit_.code, int):
                status = exit_.code or 0
            else:
                print(exit_.code, file=sys.stderr)
                status = 1
        except BaseException:
            traceback.print_exc()
            status = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    exit_code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    with open(stdout_path, errors="replace") as stdout, open(stderr_path, errors="replace") as stderr:
        reports[probe["name"]] = {"returncode": exit_code, "stdout": stdout.read(), "stderr": stderr.read()}
with open(reports_path, "w") as reports_file:
    json.dump(reports, reports_file)
"""


@dataclass(frozen=True)
class Probe:
    """One probe: its code (run as ``python -c code *argv``), its arguments and its environment changes."""

    name: str
    code: str
    argv: Sequence[str] = ()
    environment: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


def run_forked(
    prelude: str,
    probes: Sequence[Probe],
    *,
    cwd: Path,
    environment: Mapping[str, str],
    timeout: float = 300,
) -> dict[str, Finished]:
    """Each probe's outcome by name, every probe forked from one interpreter that ran ``prelude`` first."""
    names = [probe.name for probe in probes]
    if len(set(names)) != len(names):
        raise ValueError(f"probe names must be unique: {names}")
    with tempfile.TemporaryDirectory(prefix="forked-probes-") as directory:
        request, reports = Path(directory) / "request.json", Path(directory) / "reports.json"
        request.write_text(
            json.dumps(
                {
                    "prelude": prelude,
                    "probes": [
                        {"name": p.name, "code": p.code, "argv": list(p.argv), "environment": dict(p.environment)}
                        for p in probes
                    ],
                }
            )
        )
        runner = subprocess.run(  # noqa: S603 - this interpreter, a fixed runner
            [sys.executable, "-c", _RUNNER, str(request), directory, str(reports)],
            cwd=cwd,
            env=dict(environment),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if runner.returncode != 0 or not reports.exists():
            raise RuntimeError(f"the probes' runner failed ({runner.returncode}): {runner.stderr[-2000:]}")
        finished = json.loads(reports.read_text())
    return {name: Finished(**finished[name]) for name in names}
