"""One command line for every generated document: print it, ``--write`` it, or ``--check`` it is fresh.

docs/events.md, docs/openapi.json and docs/asyncapi.yaml are generated from the program; each has a
staleness test, and each generator's ``main`` is this one function with its own path and renderer.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from devtools.program import ROOT


def document_command(
    argv: list[str] | None,
    *,
    description: str | None,
    document: Path,
    module: str,
    render: Callable[[str], str],
    source: Callable[[str], str],
    per_stack: bool = True,
) -> int:
    """Runs a generator's command line: ``render(stack)`` gives the document, ``source(stack)`` says whence."""
    relative = document.relative_to(ROOT)
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    if per_stack:
        parser.add_argument("--stack", default="dev")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help=f"refresh {relative}")
    action.add_argument("--check", action="store_true", help=f"fail if {relative} is stale")
    args = parser.parse_args(argv)
    stack = str(getattr(args, "stack", "dev"))
    text = render(stack)
    if args.write:
        document.parent.mkdir(parents=True, exist_ok=True)
        document.write_text(text)
        print(f"{relative} refreshed from {source(stack)}")
        return 0
    if args.check:
        if not document.is_file() or document.read_text() != text:
            print(f"{relative} is stale: run `python -m {module} --write`", file=sys.stderr)
            return 1
        return 0
    print(text, end="")
    return 0
