"""An output used before the resource that gives it is declared: a cycle in code order, never in the graph.

``pulumi.deferred_output()`` alone waits forever when the program fails (or forgets) before resolving it:
every resource reading the output waits for it, and the run never ends (``pulumi up`` and the unit tests'
mocks alike). ``forward_output`` resolves it in every case: with the value given, or, when the block raises
or ends without one, with that error (or one naming the output), so the program ends with its own error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pulumi


class ForwardOutputError(RuntimeError):
    """The forward output was never given its value."""


@contextmanager
def forward_output(what: str) -> Iterator[tuple[pulumi.Output[str], Callable[[pulumi.Input[str]], None]]]:
    """``with forward_output("the storefront's origin") as (origin, resolve): ...``: ``origin`` may be read
    inside the block; ``resolve(value)`` must be called once, inside it."""
    deferred: tuple[pulumi.Output[str], Callable[[pulumi.Output[str]], None]] = pulumi.deferred_output()
    output, resolve = deferred
    resolved = False

    def resolve_once(value: pulumi.Input[str]) -> None:
        nonlocal resolved
        if resolved:
            raise ForwardOutputError(f"{what} was resolved twice")
        resolved = True
        resolve(pulumi.Output.from_input(value))

    def fail(error: Exception) -> None:
        """Whatever waits for the output fails with ``error``: the program's own error is the one reported."""

        def refuse(_: object) -> str:
            raise error

        resolve(pulumi.Output.from_input(None).apply(refuse))

    try:
        yield output, resolve_once
    except Exception as error:
        if not resolved:
            fail(error)
        raise
    if not resolved:
        never = ForwardOutputError(f"{what} was never resolved: call resolve(value) inside the block")
        fail(never)
        raise never
