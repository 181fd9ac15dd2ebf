"""Throwaway pytest sessions for the tests of the test set-up itself (tests/ci): a tree holding tests/conftest.py
and a few small layers, run by this interpreter with xdist as the only plugin, as `make test` runs its layers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Each throwaway layer's conftest: its tests make no AWS client, so they skip tests/conftest.py's autouse fixture
#: that imports moto and parses botocore's data (about a third of each inner test process's CPU). The layer gate and
#: the grouping by module fixture, which these tests check, come from tests/conftest.py's hooks, not from it.
NO_BOTOCORE_DATA = """
import pytest

@pytest.fixture(scope="session")
def shared_botocore_data():
    return None
"""


def make_tree(root: Path, layers: dict[str, dict[str, str]]) -> None:
    (root / "pytest.ini").write_text("[pytest]\naddopts = -ra\n")
    (root / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", root / "tests" / "conftest.py")
    for layer, modules in layers.items():
        (root / "tests" / layer).mkdir()
        (root / "tests" / layer / "conftest.py").write_text(NO_BOTOCORE_DATA)
        for name, text in modules.items():
            (root / "tests" / layer / name).write_text(text)


def run_layers(root: Path, layers: list[str], *options: str) -> subprocess.CompletedProcess[str]:
    # Only xdist is loaded: the other plugins' imports (hypothesis, schemathesis) would cost each run a second.
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BUILDS_FILE": str(root / "builds"),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    plugins = ["-p", "xdist.plugin", "-p", "no:cacheprovider"]
    return subprocess.run(  # noqa: S603 (this interpreter, running pytest on the tree just written)
        [sys.executable, "-m", "pytest", "-q", *plugins, *options, *(f"tests/{layer}" for layer in layers)],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
