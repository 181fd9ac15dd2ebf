"""Entry point of the eventshop-guardrails policy pack: `pulumi preview --policy-pack policy`.

The engine runs this file with the pack directory on sys.path, so the rules package is imported
as the top-level package `rules`; tests import the same package as `policy.rules`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack
from rules.pack import POLICIES

PolicyPack(
    name="eventshop-guardrails",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=list(POLICIES),
)
