"""``--faults FILE`` and ``demo --chaos``: a bad file is refused before anything boots, naming each problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localcloud.__main__ import main
from localcloud.chaos import DEFAULT_CHAOS, load_fault_file
from localcloud.fault_model import FaultSetError, parse_fault_set


def test_the_default_chaos_mix_is_a_valid_fault_set_with_every_kind() -> None:
    parsed = parse_fault_set(DEFAULT_CHAOS)

    assert {fault.kind for fault in parsed.faults} == {"error", "crash", "pause", "duplicate", "latency"}


def test_a_fault_file_is_read_and_validated(tmp_path: Path) -> None:
    path = tmp_path / "faults.json"
    path.write_text(json.dumps({"seed": 3, "faults": [{"kind": "crash", "function": "billing", "times": 2}]}))

    assert load_fault_file(path)["faults"] == [{"kind": "crash", "function": "billing", "times": 2}]


@pytest.mark.parametrize("command", ["demo", "serve", "bench"])
def test_a_bad_fault_file_fails_the_command_naming_each_problem(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "faults.json"
    path.write_text(json.dumps({"faults": [{"kind": "pause", "function": "warehouse"}, {"kind": "nap"}]}))

    assert main([command, "--faults", str(path)]) == 2

    printed = " ".join(capsys.readouterr().out.split())
    assert f"- {path}: faults[0].seconds: required for kind 'pause'" in printed
    assert f"- {path}: faults[1].kind: unknown kind 'nap'" in printed


@pytest.mark.parametrize(("content", "problem"), [(None, "cannot be read"), ("{", "not JSON")])
def test_a_missing_or_malformed_file_is_named(tmp_path: Path, content: str | None, problem: str) -> None:
    path = tmp_path / "faults.json"
    if content is not None:
        path.write_text(content)

    with pytest.raises(FaultSetError, match=f"{path}: {problem}"):
        load_fault_file(path)


def test_chaos_and_a_fault_file_are_not_combined(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "faults.json"
    path.write_text(json.dumps(DEFAULT_CHAOS))

    assert main(["demo", "--chaos", "--faults", str(path)]) == 2
    assert "cannot be combined" in capsys.readouterr().out
