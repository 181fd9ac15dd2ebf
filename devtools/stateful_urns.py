"""The stateful resources of both stacks by URN, so that no change replaces one on `pulumi up`.

`tests/unit/stateful_urns.json` lists every table, bucket, queue, bus, archive, user pool and KMS key that
the stacks have declared. A listed URN must stay resolvable: either a resource still has it, or an alias
of one names it (a rename, a new parent). `make stateful-urns` rewrites the list: it keeps the listed URNs
(still resolvable) and adds the new ones; it refuses to drop one that nothing resolves unless told to, with
`--forget URN`, once every deployed stack has moved past it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from devtools.graph import Node, stack_graph
from devtools.program import STACKS

LIST = Path(__file__).resolve().parent.parent / "tests" / "unit" / "stateful_urns.json"
#: What holds data a replacement would lose (or, for a key, make unreadable).
STATEFUL_TYPES = frozenset(
    {
        "aws:dynamodb/table:Table",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:sqs/queue:Queue",
        "aws:cloudwatch/eventBus:EventBus",
        "aws:cloudwatch/eventArchive:EventArchive",
        "aws:cognito/userPool:UserPool",
        "aws:kms/key:Key",
    }
)


def stateful(nodes: Iterable[Node]) -> list[Node]:
    return [node for node in nodes if node.typ in STATEFUL_TYPES]


def resolvable(nodes: Iterable[Node]) -> dict[str, str]:
    """Every URN a stateful resource answers to (its own and its aliases') -> its current URN."""
    answers: dict[str, str] = {}
    for node in stateful(nodes):
        answers[node.urn] = node.urn
        answers.update((alias, node.urn) for alias in node.aliases)
    return answers


def unresolved(listed: Sequence[str], nodes: Iterable[Node]) -> list[str]:
    """The listed URNs no stateful resource answers to: `pulumi up` would delete them."""
    answers = resolvable(nodes)
    return [urn for urn in listed if urn not in answers]


def unlisted(listed: Sequence[str], nodes: Iterable[Node]) -> list[str]:
    known = set(listed)
    return sorted(node.urn for node in stateful(nodes) if node.urn not in known)


def load(path: Path = LIST) -> dict[str, list[str]]:
    if not path.is_file():
        return {stack: [] for stack in STACKS}
    data: dict[str, list[str]] = json.loads(path.read_text())
    return data


def updated(
    listed: Mapping[str, Sequence[str]], nodes: Mapping[str, Sequence[Node]], forget: Sequence[str] = ()
) -> tuple[dict[str, list[str]], list[str]]:
    """The list with the new stateful URNs added, and the problems: listed URNs nothing resolves any more."""
    problems: list[str] = []
    result: dict[str, list[str]] = {}
    for stack in STACKS:
        kept = [urn for urn in listed.get(stack, []) if urn not in forget]
        problems.extend(
            f"{urn}: no resource or alias answers to it, so `pulumi up` would delete it "
            "(give the renamed resource an alias, or pass --forget URN once no stack has it)"
            for urn in unresolved(kept, nodes[stack])
        )
        result[stack] = sorted({*kept, *(node.urn for node in stateful(nodes[stack]))})
    return result, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forget", action="append", default=[], metavar="URN", help="drop a URN deliberately")
    parser.add_argument("--list", type=Path, default=LIST, help=f"the list to rewrite (default {LIST})")
    options = parser.parse_args(argv)
    nodes = {stack: list(stack_graph(stack).nodes.values()) for stack in STACKS}
    result, problems = updated(load(options.list), nodes, options.forget)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    options.list.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {options.list}: " + ", ".join(f"{s} {len(result[s])}" for s in STACKS), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
