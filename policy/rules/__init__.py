"""The eventshop guardrails, one module per subject; `pack.POLICIES` is the registry.

values: reading the engine's property bags; resource_types: type tokens; identity: IAM, trust and key
policies; resources: rules on one resource; graph: references between resources; stack: rules on the
whole stack; pack: every policy with its name, level and description.

Relative imports only: the engine imports this package as `rules` (policy/ on sys.path), tests as `policy.rules`.
"""
