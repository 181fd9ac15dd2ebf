"""Trust policies for the AWS services that assume this program's roles (the confused deputy problem).

Every role a service assumes is limited to this account (`aws:SourceAccount`) and, where the service's
documentation gives the ARN it acts for, to that resource (`aws:SourceArn`). A condition on a key a
service does not send fails closed (the role could never be assumed), so a service gets `aws:SourceArn`
only where its documentation shows it:

- Step Functions: the state machine's ARN. Step Functions Developer Guide, "Creating an IAM role for
  your state machine", section "Prevent cross-service confused deputy issue"
  (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html).
- EventBridge Scheduler: the schedule group's ARN. EventBridge Scheduler User Guide, "Setting up the
  execution role" and "Cross-service confused deputy prevention"
  (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role).
- EventBridge rule targets: the rule's ARN. EventBridge User Guide, "Cross-service confused deputy
  prevention in Amazon EventBridge", section "Event buses": "For EventBridge event bus rule targets, the
  value of aws:SourceArn must be the rule ARN"
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html).
  Should a role still be refused, the rule's FailedInvocations alarm fires.
- Lambda (execution roles) and API Gateway (integration credentials): `aws:SourceAccount` only. Their
  guides document no `aws:SourceArn` for assuming these roles, and IAM's guidance is to use
  `aws:SourceAccount` where the ARN is not known
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
"""

from __future__ import annotations

import pulumi

from components.base import SourceArns, account_id, assume_role_policy, region_name


def lambda_trust(owner: pulumi.Resource) -> pulumi.Output[str]:
    return assume_role_policy("lambda.amazonaws.com", account_id(owner))


def api_gateway_trust(owner: pulumi.Resource) -> pulumi.Output[str]:
    return assume_role_policy("apigateway.amazonaws.com", account_id(owner))


def state_machine_trust(owner: pulumi.Resource, state_machine_name: str) -> pulumi.Output[str]:
    """The role exists before its state machine, so the ARN is built from the name it will have."""
    account = account_id(owner)
    arn = pulumi.Output.concat(
        "arn:aws:states:", region_name(owner), ":", account, ":stateMachine:", state_machine_name
    )
    return assume_role_policy("states.amazonaws.com", account, arn)


def rule_target_trust(owner: pulumi.Resource, rule_arns: SourceArns) -> pulumi.Output[str]:
    return assume_role_policy("events.amazonaws.com", account_id(owner), rule_arns)


def scheduler_trust(owner: pulumi.Resource, schedule_group_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    return assume_role_policy("scheduler.amazonaws.com", account_id(owner), schedule_group_arn)
