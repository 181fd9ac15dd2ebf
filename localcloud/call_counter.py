"""Counts the AWS API calls made through botocore, split the way IAM-by-use and metering attribute them:
calls made as a function or a state machine's role (the handlers' and the workflows' own work; moto's Step
Functions interpreter calls with clients of its own, access key ``ak``) and calls with no principal (the
local cloud's plumbing: deliveries, the /_local reads, what tests read)."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import botocore.client

from localcloud import iam
from localcloud.metering import SFN_INTERPRETER_KEY, STATES

#: The label of calls made with no principal.
LOCAL_CLOUD = "local cloud"


class CallCounter:
    """Thread-safe counts of API calls by (principal or ``LOCAL_CLOUD``, ``service:Operation``)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def add(self, principal: str | None, service: str, operation: str) -> None:
        with self._lock:
            self.counts[(principal or LOCAL_CLOUD, f"{service}:{operation}")] += 1

    @property
    def by_handlers(self) -> int:
        return sum(n for (principal, _), n in self.counts.items() if principal != LOCAL_CLOUD)

    @property
    def by_local_cloud(self) -> int:
        return sum(n for (principal, _), n in self.counts.items() if principal == LOCAL_CLOUD)

    def top(self, principal_is_cloud: bool, limit: int = 5) -> list[tuple[str, int]]:
        """The most frequent operations of one side."""
        side: Counter[str] = Counter()
        for (principal, operation), n in self.counts.items():
            if (principal == LOCAL_CLOUD) == principal_is_cloud:
                side[operation] += n
        return side.most_common(limit)

    def breakdown(self) -> list[tuple[str, str, int]]:
        """Every ``(principal, operation, count)``, the principals in name order (``LOCAL_CLOUD`` last), each
        principal's operations most frequent first."""
        with self._lock:
            counts = list(self.counts.items())
        return sorted(
            ((principal, operation, n) for (principal, operation), n in counts),
            key=lambda row: (row[0] == LOCAL_CLOUD, row[0], -row[2], row[1]),
        )

    @contextlib.contextmanager
    def counting(self) -> Iterator[CallCounter]:
        """Count every botocore API call made in this process while the block runs."""
        original = botocore.client.BaseClient._make_api_call

        def counted(client: botocore.client.BaseClient, operation_name: str, api_params: Any) -> Any:
            principal = iam.current_principal() or (STATES if _is_state_machine(client) else None)
            self.add(principal, client.meta.service_model.service_name, operation_name)
            return original(client, operation_name, api_params)

        botocore.client.BaseClient._make_api_call = counted
        try:
            yield self
        finally:
            botocore.client.BaseClient._make_api_call = original


def _is_state_machine(client: botocore.client.BaseClient) -> bool:
    """Whether ``client`` is one of moto's Step Functions interpreter's (made with its fixed access key)."""
    credentials = getattr(client._request_signer, "_credentials", None)
    return getattr(credentials, "access_key", None) == SFN_INTERPRETER_KEY
