"""Counts the AWS API calls made through botocore, split the way IAM-by-use attributes them: calls made as
a function or a state machine's role (the handlers' own work) and calls with no principal (the local
cloud's plumbing: pollers, deliveries, deletions, the /_local reads, the bench's own status reads)."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import botocore.client

from localcloud import iam

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

    @contextlib.contextmanager
    def counting(self) -> Iterator[CallCounter]:
        """Count every botocore API call made in this process while the block runs."""
        original = botocore.client.BaseClient._make_api_call

        def counted(client: botocore.client.BaseClient, operation_name: str, api_params: Any) -> Any:
            self.add(iam.current_principal(), client.meta.service_model.service_name, operation_name)
            return original(client, operation_name, api_params)

        botocore.client.BaseClient._make_api_call = counted
        try:
            yield self
        finally:
            botocore.client.BaseClient._make_api_call = original
