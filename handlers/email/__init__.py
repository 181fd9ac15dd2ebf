"""Email service: renders customer-facing events and publishes them to the customer topic."""
