"""The eventshop CrossGuard policy pack; `policy.rules.pack` holds the registry of policies."""
