"""tests/forked_probes.py: each probe runs as ``python -c`` would in a fresh interpreter that ran the prelude, and
reports its own exit status, stdout and stderr; no probe sees what another did."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.forked_probes import Finished, Probe, run_forked

ROOT = Path(__file__).resolve().parents[2]
PRELUDE = "import colorsys\nPRELUDE_NAME = 'the prelude'"


@pytest.fixture(scope="module")
def finished() -> dict[str, Finished]:
    probes = [
        Probe(
            "reads",
            "import os, sys\n"
            "print(sys.argv, os.environ['PROBE_SETTING'], 'colorsys' in sys.modules, __name__)\n"
            "print('PRELUDE_NAME' in globals(), os.getcwd())",
            argv=["first", "second"],
            environment={"PROBE_SETTING": "set"},
        ),
        Probe("changes", "import os, sys, wave\nsys.modules['colorsys'].CHANGED = True\nos.environ['LEAK'] = '1'"),
        Probe(
            "sees_no_change",
            "import os, sys\nprint('wave' in sys.modules, hasattr(sys.modules['colorsys'], 'CHANGED'), "
            "os.environ.get('LEAK'), os.environ.get('PROBE_SETTING'))",
        ),
        Probe("raises", "raise ValueError('the probe broke')"),
        Probe("exits", "import sys\nsys.exit(3)"),
        Probe("exits_with_text", "import sys\nsys.exit('stopped')"),
        Probe("exits_plainly", "import sys\nprint('before')\nsys.exit()"),
        Probe("killed", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
    ]
    return run_forked(PRELUDE, probes, cwd=ROOT, environment={**os.environ, "PROBE_SETTING": "outer"})


def test_a_probe_gets_its_arguments_environment_and_the_prelude_s_imports_as_a_fresh_c_run(
    finished: dict[str, Finished],
) -> None:
    reads = finished["reads"]
    assert reads.returncode == 0, reads.stderr
    assert reads.stdout.splitlines() == [f"{['-c', 'first', 'second']} set True __main__", f"False {ROOT}"]


def test_no_probe_sees_another_probe_s_imports_changes_or_environment(finished: dict[str, Finished]) -> None:
    assert finished["changes"].returncode == 0, finished["changes"].stderr
    assert finished["sees_no_change"].stdout.split() == ["False", "False", "None", "outer"]


def test_each_probe_reports_its_own_exit_status_and_stderr(finished: dict[str, Finished]) -> None:
    assert finished["raises"].returncode == 1
    assert finished["raises"].stderr.rstrip().endswith("ValueError: the probe broke")
    assert (finished["exits"].returncode, finished["exits"].stderr) == (3, "")
    assert (finished["exits_with_text"].returncode, finished["exits_with_text"].stderr) == (1, "stopped\n")
    assert (finished["exits_plainly"].returncode, finished["exits_plainly"].stdout) == (0, "before\n")
    assert finished["killed"].returncode == -9


def test_a_failing_prelude_is_an_error_naming_it() -> None:
    with pytest.raises(
        RuntimeError, match=r"(?s)the probes' runner failed \(1\): .*<prelude>.*No module named 'no_such_module_here'"
    ):
        run_forked("import no_such_module_here", [Probe("any", "pass")], cwd=ROOT, environment=os.environ)


def test_probe_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="probe names must be unique"):
        run_forked("", [Probe("twice", "pass"), Probe("twice", "pass")], cwd=ROOT, environment=os.environ)
