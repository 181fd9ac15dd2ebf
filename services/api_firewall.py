"""ApiFirewall: AWS WAF in front of the public REST API's stage, where the stack's settings turn it on (prod).

Stage throttling (and the usage plan) limit what the API accepts in total; the web ACL stops one address
from taking that share (a per-IP rate limit) and drops common exploit patterns (AWS's managed common rules)
before they reach API Gateway's bill or the functions.
"""

from __future__ import annotations

import pulumi

from components.web_acl import WebAcl, WebAclArgs
from settings import WafSettings


class ApiFirewall(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        waf: WafSettings,
        stage_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:services:ApiFirewall", name, None, opts)
        self.acl = WebAcl(
            name,
            WebAclArgs(resource_arns=[stage_arn], rate_limit=waf.rate_limit),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"web_acl_arn": self.acl.arn})
