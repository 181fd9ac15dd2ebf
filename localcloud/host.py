"""What the parts built on a whole deployed cloud use of it, as protocols: the REST API, the WebSocket server and
the SQS pollers see these, not ``LocalCloud``, so none depends on the composition root (``LocalCloud`` satisfies
them)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from localcloud.clock import Clock
from localcloud.deployment import Deployment
from localcloud.faults import FaultInjector
from localcloud.functions import LocalFunction
from localcloud.iam import CallRecorder
from localcloud.identity import LocalIdentity
from localcloud.trace import Trace


class CloudHost(Protocol):
    """What the API uses: the deployment and its loaded functions, the cloud's clients, the user pool that signs
    callers in, and the clock, the trace, the call recorder and the busy counter of the runtime (see
    ``runtime.Runtime``)."""

    @property
    def account(self) -> str: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def identity(self) -> LocalIdentity: ...

    @property
    def trace(self) -> Trace: ...

    @property
    def recorder(self) -> CallRecorder: ...

    @property
    def deployment(self) -> Deployment: ...

    @property
    def endpoints(self) -> Mapping[str, str]:
        """The local servers' URLs (``api``, ``storefront``, ``websocket``), once they serve."""

    @property
    def functions(self) -> Mapping[str, LocalFunction]: ...

    def clients(self, service: str) -> Any:
        """The cloud's own client of ``service``."""

    def busy(self) -> contextlib.AbstractContextManager[None]:
        """Count the block as work in flight."""


class Gate(Protocol):
    def pass_through(self, running: Callable[[], bool]) -> None:
        """Return at once when open; else wait until opened (or ``running()`` turns false)."""

    @property
    def closed(self) -> bool:
        """Whether pollers are being held (a waiting poller goes back to the gate)."""


class PollerHost(CloudHost, Protocol):
    """What an SQS poller uses besides: the region, the faults, whether the cloud runs, and the gate that holds every
    poller at once."""

    @property
    def region(self) -> str: ...

    @property
    def faults(self) -> FaultInjector: ...

    @property
    def running(self) -> bool: ...

    @property
    def gate(self) -> Gate: ...
