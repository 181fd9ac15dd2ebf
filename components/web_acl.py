"""WebAcl: a regional AWS WAF web ACL in front of API stages (or load balancers): a per-IP rate limit, then
AWS managed rule groups, every request allowed that no rule blocks, metrics and samples for every rule."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi_aws.wafv2 import WebAclDefaultActionAllowArgs, WebAclDefaultActionArgs

from components.base import Transforms, check_transforms, child, physical_name, raise_problems

WEB_ACL_CHILDREN = ("web_acl", "association")
#: AWS WAF's bounds for a rate-based rule: requests per IP address per evaluation window.
RATE_LIMIT_RANGE = (10, 2_000_000_000)
EVALUATION_WINDOWS = (60, 120, 300, 600)
#: AWS's baseline rule group (OWASP-style protections); others may be added per ACL.
COMMON_RULES = "AWSManagedRulesCommonRuleSet"
_METRIC = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True, kw_only=True)
class WebAclArgs:
    """resource_arns: what the ACL protects, e.g. REST API stage ARNs (required, at least one).
    rate_limit: requests one IP address may send per evaluation window before it is blocked (required,
    10 to 2,000,000,000).
    evaluation_window_seconds: the rate limit's window, default 300 (one of 60, 120, 300, 600).
    managed_rule_groups: AWS managed rule groups applied after the rate limit (COMMON_RULES, AWS's baseline),
    default `("AWSManagedRulesCommonRuleSet",)`.
    """

    resource_arns: Sequence[pulumi.Input[str]]
    rate_limit: int
    evaluation_window_seconds: int = 300
    managed_rule_groups: tuple[str, ...] = (COMMON_RULES,)


def _validate(name: str, args: WebAclArgs, transforms: Transforms | None) -> None:
    problems: list[str] = []
    check_transforms(transforms, WEB_ACL_CHILDREN, problems)
    if not args.resource_arns:
        problems.append("resource_arns must name at least one resource to protect")
    low, high = RATE_LIMIT_RANGE
    if not low <= args.rate_limit <= high:
        problems.append(f"rate_limit must be between {low} and {high}, got {args.rate_limit}")
    if args.evaluation_window_seconds not in EVALUATION_WINDOWS:
        windows = ", ".join(map(str, EVALUATION_WINDOWS))
        problems.append(f"evaluation_window_seconds must be one of {windows}, got {args.evaluation_window_seconds}")
    if len(set(args.managed_rule_groups)) != len(args.managed_rule_groups):
        problems.append(f"managed_rule_groups has duplicates: {', '.join(args.managed_rule_groups)}")
    raise_problems("WebAcl", name, problems)


def _visibility(metric: str) -> dict[str, object]:
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": _METRIC.sub("-", metric)[:128],
        "sampled_requests_enabled": True,
    }


class WebAcl(pulumi.ComponentResource):
    """A regional web ACL associated with each resource in `resource_arns`.

    acl = WebAcl("api-firewall", WebAclArgs(resource_arns=[stage.arn], rate_limit=2000))
    """

    def __init__(
        self,
        name: str,
        args: WebAclArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:WebAcl", name, None, opts)
        _validate(name, args, transforms)
        acl_name = physical_name(name)
        rules: list[dict[str, object]] = [
            {
                "name": "rate-limit-per-ip",
                "priority": 0,
                "action": {"block": {}},
                "statement": {
                    "rate_based_statement": {
                        "limit": args.rate_limit,
                        "aggregate_key_type": "IP",
                        "evaluation_window_sec": args.evaluation_window_seconds,
                    }
                },
                "visibility_config": _visibility(f"{acl_name}-rate-limit"),
            },
            *(
                {
                    "name": group,
                    "priority": index,
                    # The group's own actions (block) apply; `none` means "do not override them".
                    "override_action": {"none": {}},
                    "statement": {"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
                    "visibility_config": _visibility(f"{acl_name}-{group}"),
                }
                for index, group in enumerate(args.managed_rule_groups, start=1)
            ),
        ]
        self.web_acl = child(
            aws.wafv2.WebAcl,
            f"{name}-web-acl",
            self,
            transforms,
            "web_acl",
            defaults={"description": f"{acl_name}: per-IP rate limit and AWS managed rules"},
            required={
                "name": acl_name,
                "scope": "REGIONAL",
                # A typed object, not a dict, so it replaces a transform's object whole instead of merging
                # into it: a default action is allow or block, and a transform's "block" must not stay.
                "default_action": WebAclDefaultActionArgs(allow=WebAclDefaultActionAllowArgs()),
                "rules": rules,
                "visibility_config": _visibility(acl_name),
            },
        )
        self.associations = [
            child(
                aws.wafv2.WebAclAssociation,
                f"{name}-association" + ("" if index == 0 else f"-{index}"),
                self,
                transforms,
                "association",
                required={"resource_arn": arn, "web_acl_arn": self.web_acl.arn},
            )
            for index, arn in enumerate(args.resource_arns)
        ]
        self.arn = self.web_acl.arn
        self.register_outputs({"arn": self.arn})
