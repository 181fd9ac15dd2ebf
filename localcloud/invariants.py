"""What the shop promises, checked after a run (chaos or not): ``Invariants(cloud).check(order_ids)``.

1. every accepted order reaches a final status (SHIPPED, PAYMENT_FAILED, CANCELLED);
2. each order is charged at most once, and refunded exactly when it was charged and not shipped (the
   payment provider's calls, recorded by ``PaymentLedger``);
3. stock is conserved: initial = available + reserved + shipped (reservations still RESERVED hold the
   reserved and shipped quantities), and no stock stays held for an order that will never ship;
4. exactly one mail per (order, kind of mail) in the customer-notification outbox;
5. dead-letter queues hold only what the run poisoned on purpose, and each such queue raised its alarm;
6. no AWS call was made without a grant.

Checks 4 and 5 compare with a baseline taken when ``Invariants`` was created, so several runs can share one
cloud; the stock and payment checks cover every order the cloud has seen.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from localcloud.cloud import LocalCloud
from localcloud.shop import FINAL_STATUSES

#: A reservation in this status holds its quantities (reserved until the order ships, then shipped).
HOLDING = "RESERVED"


@dataclass
class PaymentLedger:
    """Every approved charge and every refund the payment provider made, per order (its idempotency key)."""

    charges: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    refunds: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def attach(cls, cloud: LocalCloud) -> PaymentLedger:
        """The cloud's ledger, wrapping Billing's own copy of the provider once per cloud."""
        existing = getattr(cloud, "_payment_ledger", None)
        if isinstance(existing, PaymentLedger):
            return existing
        ledger = cls()
        provider = cloud.function("billing").module_of("handlers.billing.provider")
        charge: Callable[..., Any] = provider.charge
        refund: Callable[..., Any] = provider.refund

        def recording_charge(**kwargs: Any) -> Any:
            result = charge(**kwargs)
            if result.approved:
                with ledger._lock:
                    ledger.charges[str(kwargs["idempotency_key"])].add(str(result.payment_id))
            return result

        def recording_refund(**kwargs: Any) -> Any:
            result = refund(**kwargs)
            with ledger._lock:
                ledger.refunds[str(kwargs["idempotency_key"])].add(str(result.refund_id))
            return result

        setattr(provider, "charge", recording_charge)  # noqa: B010 - Billing's own copy of the module
        setattr(provider, "refund", recording_refund)  # noqa: B010
        cloud._payment_ledger = ledger  # type: ignore[attr-defined]
        return ledger


class Invariants:
    """The promises above, for one cloud; create it before the run (it takes the baseline)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.ledger = PaymentLedger.attach(cloud)
        self._dead_before = {name: {m["messageId"] for m in ms} for name, ms in cloud.dead_letters().items()}
        self._mails_before = {m["messageId"] for m in cloud.outbox()}
        self._alarms_before = len(cloud.alarms.history)

    def check(self, order_ids: Collection[str], poisoned: Mapping[str, int] | None = None) -> list[str]:
        """Every broken promise, named (empty when all hold). ``poisoned``: DLQ name -> messages the run
        dead-lettered on purpose."""
        orders = self._orders()
        return [
            *self.final_statuses(order_ids, orders),
            *self.payments(orders),
            *self.stock(orders),
            *self.mails(order_ids),
            *self.dead_letters(poisoned or {}),
            *[f"no grant: {missing}" for missing in self.cloud.missing_grants()],
        ]

    def final_statuses(self, order_ids: Collection[str], orders: Mapping[str, dict[str, Any]]) -> list[str]:
        return [
            f"order {order_id} did not reach a final status (status {orders.get(order_id, {}).get('status')})"
            for order_id in sorted(order_ids)
            if orders.get(order_id, {}).get("status") not in FINAL_STATUSES
        ]

    def payments(self, orders: Mapping[str, dict[str, Any]]) -> list[str]:
        problems = []
        for order_id, order in sorted(orders.items()):
            charges = self.ledger.charges.get(order_id, set())
            refunds = self.ledger.refunds.get(order_id, set())
            if len(charges) > 1:
                problems.append(f"order {order_id} charged {len(charges)} times: {sorted(charges)}")
            if len(refunds) > 1:
                problems.append(f"order {order_id} refunded {len(refunds)} times: {sorted(refunds)}")
            if order.get("status") not in FINAL_STATUSES:
                continue
            shipped = order["status"] == "SHIPPED"
            if shipped and (not charges or refunds):
                problems.append(f"order {order_id} shipped with {len(charges)} charges and {len(refunds)} refunds")
            if not shipped and bool(charges) != bool(refunds):
                problems.append(
                    f"order {order_id} ended {order['status']} with {len(charges)} charges, {len(refunds)} refunds"
                )
        return problems

    def stock(self, orders: Mapping[str, dict[str, Any]]) -> list[str]:
        initial = self._initial_stock()
        available = {str(row["sku"]): int(row["available"]) for row in self._scan(self._table("-inventory"))}
        held: Counter[str] = Counter()
        problems = []
        for row in self._scan(self._table("-reservations")):
            if row.get("status") != HOLDING:
                continue
            for line in row.get("items", []):
                held[str(line["sku"])] += int(line["quantity"])
            status = orders.get(str(row["orderId"]), {}).get("status")
            if status in FINAL_STATUSES and status != "SHIPPED":
                problems.append(f"order {row['orderId']} ended {status} but its stock is still reserved")
        for sku in sorted(initial):
            if initial[sku] != available.get(sku, 0) + held[sku]:
                problems.append(
                    f"stock of {sku} not conserved: initial {initial[sku]} != available "
                    f"{available.get(sku, 0)} + reserved or shipped {held[sku]}"
                )
        return problems

    def mails(self, order_ids: Collection[str]) -> list[str]:
        sent: Counter[tuple[str, str]] = Counter()
        for message in self.cloud.outbox():
            if message["messageId"] in self._mails_before:
                continue
            kind = str(message["attributes"].get("detailType"))
            for order_id in order_ids:
                if order_id in message["body"]:
                    sent[(order_id, kind)] += 1
        return [f"order {o}: {count} mails of kind {kind}" for (o, kind), count in sorted(sent.items()) if count != 1]

    def dead_letters(self, poisoned: Mapping[str, int]) -> list[str]:
        problems = []
        for name, new in sorted(self._new_dead_letters().items()):
            if len(new) != poisoned.get(name, 0):
                problems.append(
                    f"{name} holds {len(new)} new messages, the run poisoned {poisoned.get(name, 0)}"
                    f" (dead-lettered: {', '.join(_described(m['body']) for m in new)})"
                )
            problems.extend(self._unpaged(name, new))
        return problems

    def redrive_dead_letters(self) -> tuple[int, list[str]]:
        """What an operator does once a fault has passed: every queue that dead-lettered messages during the run
        must have paged; then its messages go back to their source queue. Answer how many moved, and which
        queue dead-lettered without paging. Let the cloud settle before ``check``."""
        problems: list[str] = []
        moved = 0
        for name, new in sorted(self._new_dead_letters().items()):
            if new:
                problems.extend(self._unpaged(name, new))
                moved += self.cloud.redrive(name)
        return moved, problems

    def _new_dead_letters(self) -> dict[str, list[dict[str, Any]]]:
        return {
            name: [m for m in messages if m["messageId"] not in self._dead_before.get(name, set())]
            for name, messages in self.cloud.dead_letters().items()
        }

    def _unpaged(self, name: str, new: list[dict[str, Any]]) -> list[str]:
        raised = {change.alarm for change in self.cloud.alarms.history[self._alarms_before :] if change.new == "ALARM"}
        alarms = {alarm.name for alarm in self.cloud.alarms.for_queue(name)}
        if new and not alarms & raised:
            return [f"{name} holds dead letters but its alarm ({', '.join(sorted(alarms)) or 'none'}) did not fire"]
        return []

    # --- reading the tables ---

    def _table(self, suffix: str) -> str:
        return next(
            str(r.outputs["name"])
            for r in self.cloud.deployment.run.of_type("aws:dynamodb/table:Table")
            if str(r.outputs["name"]).endswith(suffix)
        )

    def _scan(self, table: str) -> list[dict[str, Any]]:
        deserializer = TypeDeserializer()
        rows: list[dict[str, Any]] = []
        request: dict[str, Any] = {"TableName": table}
        while True:
            response = self.cloud.clients("dynamodb").scan(**request)
            rows += [{k: deserializer.deserialize(v) for k, v in item.items()} for item in response["Items"]]
            if "LastEvaluatedKey" not in response:
                return rows
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _orders(self) -> dict[str, dict[str, Any]]:
        return {str(row["orderId"]): row for row in self._scan(self._table("-orders"))}

    def _initial_stock(self) -> dict[str, int]:
        """What the program seeded into the inventory table (its TableItem resources)."""
        inventory = self._table("-inventory")
        stock: dict[str, int] = {}
        for item in self.cloud.deployment.run.of_type("aws:dynamodb/tableItem:TableItem"):
            if str(item.inputs.get("tableName")) != inventory:
                continue
            raw = item.json_input("item") or {}
            row = {k: TypeDeserializer().deserialize(v) for k, v in raw.items()}
            stock[str(row["sku"])] = int(row["available"])
        return stock


def _described(body: str) -> str:
    """A dead letter named by what a reader of the failure needs: the event's detail-type and order, if any."""
    try:
        event = json.loads(body)
        detail = event.get("detail", {}) if isinstance(event, dict) else {}
        return f"{event['detail-type']} of order {detail.get('orderId', '?')}"
    except (ValueError, KeyError, TypeError, AttributeError):
        return repr(body[:60])
