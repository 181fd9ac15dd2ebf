"""requirements.lock and policy/requirements.lock: what jobs holding cloud credentials install, every file
checked by hash (`make lock`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def logical_lines(path: Path) -> list[str]:
    """The file's requirement lines, continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    lines = (line.split(" #", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def pins(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        requirement = Requirement(line.split(" --hash", 1)[0])
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{line!r} is not pinned with =="
        found[canonicalize_name(requirement.name)] = specifier.version
    return found


LOCKS = ("requirements", "policy/requirements")


@pytest.mark.parametrize("stem", LOCKS)
def test_the_lock_pins_every_direct_requirement_as_requirements_txt_does(stem: str) -> None:
    direct = pins(logical_lines(ROOT / f"{stem}.txt"))
    locked = pins(logical_lines(ROOT / f"{stem}.lock"))

    assert direct, "requirements.txt names nothing"
    assert {name: locked.get(name) for name in direct} == direct, "run `make lock` after changing requirements.txt"


@pytest.mark.parametrize("stem", LOCKS)
def test_every_locked_requirement_is_pinned_and_hashed(stem: str) -> None:
    lines = logical_lines(ROOT / f"{stem}.lock")

    assert lines
    assert [line for line in lines if not HASH.search(line)] == []
    assert [line for line in lines if line.startswith("-")] == [], "no options (index or find-links) in the lock"
    pins(lines)
