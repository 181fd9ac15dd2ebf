"""Orders service: the public REST API (``api``) and the order-status projector (``projector``)."""
