"""The local cloud's trace: what was delivered where, which handler ran and how it ended, retries,
dead-letters. Kept in memory (queried by order id) and, when a console is given, printed live."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape

KINDS = ("deploy", "http", "event", "deliver", "invoke", "result", "error", "retry", "dead-letter", "destination")
_STYLES = {
    "deploy": "dim",
    "http": "bold cyan",
    "event": "magenta",
    "deliver": "blue",
    "invoke": "white",
    "result": "green",
    "error": "bold red",
    "retry": "yellow",
    "dead-letter": "bold red",
    "destination": "cyan",
}


@dataclass(frozen=True)
class TraceEntry:
    at: float
    kind: str
    where: str
    message: str
    order_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"data": dict(self.data)}

    def orders(self) -> tuple[str, ...]:
        """Every order the entry is about: its own, or each order of a batch (``data["orders"]``)."""
        batch = tuple(str(order) for order in self.data.get("orders") or ())
        return batch or ((self.order_id,) if self.order_id else ())


def order_id_of(payload: Any) -> str | None:
    """The order (or cart) an event, SQS body or API payload is about, if it says."""
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except ValueError:
            return None
    if not isinstance(payload, Mapping):
        return None
    for candidate in (payload.get("detail"), payload.get("requestPayload"), payload):
        if isinstance(candidate, Mapping):
            inner = candidate["detail"] if isinstance(candidate.get("detail"), Mapping) else candidate
            for key in ("orderId", "cartId"):
                if isinstance(inner.get(key), str):
                    return str(inner[key])
    return None


class Trace:
    """Thread-safe, append-only; ``console`` (rich) prints each entry as it happens."""

    def __init__(self, console: Console | None = None, limit: int = 200_000) -> None:
        self._entries: list[TraceEntry] = []
        self._lock = threading.Lock()
        self._console = console
        self._limit = limit
        self.counts: Counter[str] = Counter()

    def add(self, kind: str, where: str, message: str, order_id: str | None = None, **data: Any) -> TraceEntry:
        entry = TraceEntry(time.time(), kind, where, message, order_id, data)
        with self._lock:
            self.counts[kind] += 1
            if len(self._entries) < self._limit:
                self._entries.append(entry)
        if self._console is not None:
            stamp = time.strftime("%H:%M:%S", time.localtime(entry.at))
            order = f" [dim]{order_id[:8]}[/dim]" if order_id else ""
            style = _STYLES.get(kind, "white")
            self._console.print(
                f"[dim]{stamp}[/dim] [{style}]{kind:<11}[/{style}] [bold]{where}[/bold]{order} {escape(message)}",
                highlight=False,
                markup=True,
            )
        return entry

    def entries(self, order_id: str | None = None, kind: str | None = None) -> list[TraceEntry]:
        with self._lock:
            entries = list(self._entries)
        return [
            entry
            for entry in entries
            if (order_id is None or order_id in entry.orders()) and (kind is None or entry.kind == kind)
        ]
