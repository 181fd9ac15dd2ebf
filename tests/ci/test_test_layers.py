"""`make test` runs every test file exactly once: each directory of tests/ is one layer of TEST_LAYERS."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def declared_layers() -> list[str]:
    match = re.search(r"^TEST_LAYERS := (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "the Makefile declares no TEST_LAYERS"
    return match.group(1).split()


def test_every_directory_with_tests_is_exactly_one_layer() -> None:
    layers = declared_layers()
    with_tests = {path.parent.name for path in (ROOT / "tests").glob("*/test_*.py")}

    assert len(layers) == len(set(layers)), f"a layer is listed twice, so its tests run twice: {layers}"
    assert set(layers) == with_tests
    assert not list((ROOT / "tests").glob("test_*.py")), "a test file directly in tests/ belongs to no layer"


def test_ci_runs_the_layers_through_make_test() -> None:
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.MULTILINE)
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert recipe, "the Makefile has no test target"
    # One session over every layer, in TEST_LAYERS' order (tests/conftest.py's layer gate reads that order).
    assert "$(addprefix tests/,$(TEST_LAYERS))" in recipe.group(1)


def test_make_test_keeps_bytecode_outside_the_source_tree() -> None:
    """The test processes keep compiled modules (and pytest's rewritten test modules) between runs, even where the
    environment says PYTHONDONTWRITEBYTECODE, and keep them in build/ (ignored by git), never beside the handlers'
    code that the program archives."""
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert recipe and "\t$(TEST_BYTECODE) $(PYTEST) " in recipe.group(1), "the test recipe runs pytest without it"
    make = shutil.which("make")
    assert make, "make is not installed"
    printed = subprocess.run(  # noqa: S603 (make on the Makefile of this tree, fixed arguments)
        [
            make,
            "-s",
            "--no-print-directory",
            "--eval",
            "print-test-bytecode: ; @echo $(TEST_BYTECODE)",
            "print-test-bytecode",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assignments = dict(assignment.split("=", 1) for assignment in printed.split())
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; print(sys.dont_write_bytecode, sys.pycache_prefix)"],
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **assignments},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert probe[0] == "False", f"bytecode is not written with {printed.strip()}"
    assert Path(probe[1]).is_relative_to(ROOT / "build"), f"bytecode goes to {probe[1]}, not build/"
    assert "build/" in (ROOT / ".gitignore").read_text().splitlines()
