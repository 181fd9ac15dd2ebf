"""The eventshop CrossGuard policy pack; `policy.eventshop_policies` holds the policies."""
