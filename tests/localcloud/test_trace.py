"""The trace answers by order: a batch that carried several orders is part of each order's trace."""

from __future__ import annotations

from localcloud.trace import Trace


def test_a_batch_of_several_orders_is_in_each_orders_trace() -> None:
    trace = Trace()
    trace.add("invoke", "billing", "batch of 2 from billing-queue", None, orders=["order-a", "order-b"])
    trace.add("result", "billing", "ok: OrderPlaced", "order-a")
    trace.add("result", "billing", "ok: OrderPlaced", "order-c")

    batch = "batch of 2 from billing-queue"
    assert [e.message for e in trace.entries(order_id="order-a")] == [batch, "ok: OrderPlaced"]
    assert [e.message for e in trace.entries(order_id="order-b")] == [batch]
    assert [e.message for e in trace.entries(order_id="order-c")] == ["ok: OrderPlaced"]
    assert len(trace.entries()) == 3
