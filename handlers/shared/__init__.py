"""Code shared by every eventshop handler: JSON wire format, event envelope, request validation."""
