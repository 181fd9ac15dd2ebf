"""Live order status: the WebSocket API's authorizer, its connections, and the status notifier."""
