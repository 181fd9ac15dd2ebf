"""The stack's concurrency budget: every reservation the program makes, against the account's Lambda limit.

Reserved concurrency both guarantees and caps. The API function reserves ``concurrency.api`` (at least the
stage's burst, so nothing else in the account can starve it); Email reserves ``concurrency.email``, its
cap, so a burst or an archive replay into its asynchronous invocations waits in Lambda's async queue
instead of taking the API's share; each queued consumer reserves its event source mapping's maximum
concurrency (AWS's advice for SQS: reserved >= maximum concurrency, or messages are throttled and
redriven). Whatever is left must stay at or above Lambda's unreserved minimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from settings import UNRESERVED_MINIMUM, Settings, SettingsError


@dataclass
class ConcurrencyBudget:
    """Collects each function's reservation as the services declare it; ``check`` once they all have."""

    settings: Settings
    reservations: dict[str, int] = field(default_factory=dict)
    checked: bool = False

    def reserve(self, handler: str, count: int) -> int:
        """Record ``count`` reserved executions for the function running ``handler``; return ``count``.

        A reservation after ``check`` would escape it, so it is refused."""
        if self.checked:
            raise ValueError(
                f"{handler} reserves concurrency after the budget was checked: declare it before "
                "context.concurrency.check()"
            )
        self.reservations[handler] = count
        return count

    @property
    def reserved(self) -> int:
        return sum(self.reservations.values())

    @property
    def unreserved(self) -> int:
        return self.settings.concurrency.account_limit - self.reserved

    def check(self) -> None:
        """Raise ``SettingsError`` (naming the key and the stack) when the reservations do not fit."""
        self.checked = True
        if self.unreserved >= UNRESERVED_MINIMUM:
            return
        stack = self.settings.stack
        shares = ", ".join(f"{handler} {count}" for handler, count in sorted(self.reservations.items()))
        raise SettingsError(
            f"Invalid settings for stack '{stack}' (Pulumi.{stack}.yaml):\n"
            f"  - {self.settings.namespace}:concurrency.accountLimit: {self.settings.concurrency.account_limit} "
            f"leaves {self.unreserved} unreserved after reserving {self.reserved} ({shares}); "
            f"Lambda needs at least {UNRESERVED_MINIMUM}: raise the limit or lower concurrency.api, "
            "concurrency.email or consumers.maximumConcurrency"
        )
