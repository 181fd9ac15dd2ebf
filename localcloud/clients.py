"""The local cloud's own boto3 clients (provisioning, polling, deliveries), apart from the handlers' clients."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
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

    def __call__(self, service: str) -> Any:
        with self._lock:
            if self._session is None:
                key = MOTO_KEY
                self._session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=key, region_name=self.region)
            if service not in self._clients:
                config = Config(retries={"max_attempts": 1}, account_id_endpoint_mode="disabled")
                self._clients[service] = self._session.client(service, config=config)
            return self._clients[service]
