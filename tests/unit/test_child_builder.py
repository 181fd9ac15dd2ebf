"""Every child of every component is created by `components.base.child` (defaults -> the user's transform of
(args, opts) -> what the pattern requires): no module in components/ calls a resource's constructor itself."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pulumi

from components.base import child_args

COMPONENTS = Path(__file__).resolve().parents[2] / "components"


def direct_constructions(source: str) -> list[str]:
    """`aws.<module>.<Resource>(...)` calls: a provider resource built without the child builder."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        parts = []
        target: ast.expr = node.func
        while isinstance(target, ast.Attribute):
            parts.append(target.attr)
            target = target.value
        if isinstance(target, ast.Name) and target.id == "aws" and parts[0][:1].isupper():
            found.append(f"line {node.lineno}: aws.{'.'.join(reversed(parts))}(...)")
    return found


def test_no_component_creates_a_resource_without_the_child_builder() -> None:
    bypasses = {
        path.name: direct_constructions(path.read_text())
        for path in sorted(COMPONENTS.glob("*.py"))
        if direct_constructions(path.read_text())
    }
    assert bypasses == {}


def test_the_check_sees_a_direct_construction() -> None:
    source = "queue = aws.sqs.Queue('q', opts=None)\nrole = child(aws.iam.Role, 'r', owner, None, 'role')\n"
    assert direct_constructions(source) == ["line 1: aws.sqs.Queue(...)"]


def test_requirements_go_on_after_the_users_transform_of_args_and_opts() -> None:
    def transform(args: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
        args.update(size=5, name="theirs", logging={"format": "TEXT", "group": "theirs"})
        opts.protect = True
        opts.aliases = ["urn:theirs"]

    args, opts = child_args(
        {"queue": transform},
        "queue",
        {"size": 1, "logging": {"format": "JSON"}},
        {"name": "ours", "logging": {"group": "ours"}},
        pulumi.ResourceOptions(aliases=["urn:ours"], retain_on_delete=True),
    )
    assert args == {"size": 5, "name": "ours", "logging": {"format": "TEXT", "group": "ours"}}
    assert (opts.protect, opts.retain_on_delete, opts.aliases) == (True, True, ["urn:theirs", "urn:ours"])
