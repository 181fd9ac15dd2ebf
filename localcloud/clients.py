"""The local cloud's own boto3 clients (provisioning, polling, deliveries), apart from the handlers' clients.

Every local cloud booted in a process uses the process's clients for its region (``shared_clients``): making a
client (its model, endpoint rules, event hooks) was a tenth of a replayed boot's CPU, some 16 clients a boot, and
a client holds nothing of the cloud it served (moto's state lives in moto's backends, the caller's principal in
IAM-by-use's recorder). A client carries the hooks of the factory that made it: IAM by use, fault injection and
metering each wrap botocore's ``Session.create_client`` when they install, so a client made before one of them
installed is made again, never reused without that hook.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

#: moto accepts any credentials; these never leave the process.
MOTO_KEY = "testing"


@dataclass
class Clients:
    """boto3 clients of one explicit session, each created on first use, used only by the local cloud itself.

    The session too is made on first use: a cloud is composed before it starts moto and installs its patches,
    and the clients must be made after that."""

    region: str
    _session: boto3.Session | None = field(default=None, init=False)
    _clients: dict[str, Any] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    #: botocore's client factory the clients in ``_clients`` were made by (with the hooks installed then).
    _factory: Any = field(default=None, init=False)

    def __call__(self, service: str) -> Any:
        with self._lock:
            factory = botocore.session.Session.create_client
            if factory is not self._factory:
                # A hook was installed since (or this is the first client): clients made before lack it.
                self._clients.clear()
                self._factory = factory
            if self._session is None:
                key = MOTO_KEY
                self._session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=key, region_name=self.region)
            if service not in self._clients:
                config = Config(retries={"max_attempts": 1}, account_id_endpoint_mode="disabled")
                self._clients[service] = self._session.client(service, config=config)
            return self._clients[service]


_shared: dict[str, Clients] = {}
_shared_lock = threading.Lock()


def shared_clients(region: str) -> Clients:
    """The clients every local cloud of this process uses in ``region`` (one ``Clients`` per region)."""
    with _shared_lock:
        clients = _shared.get(region)
        if clients is None:
            clients = _shared[region] = Clients(region)
        return clients
