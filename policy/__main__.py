"""Entry point of the eventshop-guardrails policy pack: `pulumi preview --policy-pack policy`.

The engine runs this file with the pack directory on sys.path, so the policies are imported
as a top-level module; tests import the same file as `policy.eventshop_policies`.
"""

from eventshop_policies import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="eventshop-guardrails",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=list(POLICIES),
)
