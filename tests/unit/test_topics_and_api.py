"""Topics name their publishers; the API validates at the edge and reaches the bus without a Lambda."""

from __future__ import annotations

import json
from typing import Any

from devtools.program import ProgramRun
from services.api_routes import load_contract
from tests.unit.graph import FUNCTION, PERMISSION, TOPIC, TOPIC_POLICY, Graph


def _topic_policy(run: ProgramRun, topic_name: str) -> dict[str, dict[str, Any]]:
    topic = Graph(run).by_physical_name(TOPIC, f"eventshop-{run.stack}-{topic_name}")
    policy = next(p for p in run.of_type(TOPIC_POLICY) if p.inputs["arn"] == topic.arn)
    return {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}


def test_topics_are_encrypted_with_their_own_rotating_key(run: ProgramRun) -> None:
    keys = {k.arn: k for k in run.of_type("aws:kms/key:Key")}
    for topic in run.of_type(TOPIC):
        key = keys[topic.inputs["kmsMasterKeyId"]]
        assert key.inputs["enableKeyRotation"] is True, topic.name


def test_only_the_email_functions_may_publish_to_customers(run: ProgramRun) -> None:
    statements = _topic_policy(run, "customer-notifications")
    assert set(statements) == {"AllowPublisherRoles", "DenyInsecureTransport"}
    assert statements["AllowPublisherRoles"]["Principal"] == {
        "AWS": [
            f"arn:aws:iam::123456789012:role/eventshop-{run.stack}-email-role",
            f"arn:aws:iam::123456789012:role/eventshop-{run.stack}-email-reminders-role",
        ]
    }
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_only_the_stacks_own_alarms_may_publish_to_ops(run: ProgramRun) -> None:
    statements = _topic_policy(run, "alarms")
    allow = statements["AllowOwnAlarms"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:cloudwatch:*:123456789012:alarm:eventshop-{run.stack}-*"
    }


def test_api_function_may_be_invoked_only_through_its_four_routes(run: ProgramRun) -> None:
    api_id = run.named("orders-api-rest-api").id
    function = run.named("orders-api-fn").outputs["name"]
    sources = sorted(
        p.inputs["sourceArn"]
        for p in run.of_type(PERMISSION)
        if p.inputs["principal"] == "apigateway.amazonaws.com" and p.inputs["function"] == function
    )
    base = f"arn:aws:execute-api:eu-west-1:123456789012:{api_id}/v1"
    assert sources == [f"{base}/GET/orders", f"{base}/GET/orders/*", f"{base}/GET/products", f"{base}/POST/orders"]


def test_request_bodies_are_validated_against_the_shared_contracts(run: ProgramRun) -> None:
    validator = run.named("orders-api-validator").inputs
    assert validator["validateRequestBody"] is True and validator["validateRequestParameters"] is True
    for contract, model_name in (("place_order", "PlaceOrder"), ("add_cart_item", "AddCartItem")):
        model = run.named(f"orders-api-model-{contract}").inputs
        assert model["name"] == model_name
        assert json.loads(model["schema"]) == load_contract(contract)
    place = run.named("orders-api-method-post-orders").inputs
    assert place["requestModels"] == {"application/json": "PlaceOrder"}
    cart = run.named("orders-api-method-post-carts-cartId-items").inputs
    assert cart["requestModels"] == {"application/json": "AddCartItem"}
    assert cart["requestParameters"] == {
        "method.request.path.cartId": True,
        "method.request.header.X-Correlation-Id": False,
    }
    assert place["requestParameters"] == {"method.request.header.Idempotency-Key": False}


def test_bad_bodies_answer_json_naming_what_is_wrong(run: ProgramRun) -> None:
    response = run.named("orders-api-response-bad-request-body").inputs
    assert response["statusCode"] == "400"
    template = response["responseTemplates"]["application/json"]
    assert "$context.error.validationErrorString" in template and '"errors"' in template


def test_cart_items_go_straight_to_the_bus_as_cart_events(run: ProgramRun) -> None:
    integration = run.named("orders-api-integration-post-carts-cartId-items").inputs
    assert integration["type"] == "AWS"
    assert integration["uri"] == "arn:aws:apigateway:eu-west-1:events:action/PutEvents"
    assert integration["credentials"] == f"arn:aws:iam::123456789012:role/eventshop-{run.stack}-orders-api-cart-events"
    template = integration["requestTemplates"]["application/json"]
    assert f'"EventBusName": "eventshop-{run.stack}"' in template
    assert '"Source": "eventshop.carts"' in template and '"DetailType": "ItemAddedToCart"' in template
    assert integration["passthroughBehavior"] == "NEVER"
    assert not any(f.inputs["handler"].endswith("cart") for f in run.of_type(FUNCTION))


def test_the_stage_is_traced_and_throttled(run: ProgramRun) -> None:
    stage = run.named("orders-api-stage").inputs
    assert stage["stageName"] == "v1" and stage["xrayTracingEnabled"] is True
    settings = run.named("orders-api-throttling").inputs
    assert settings["methodPath"] == "*/*" and settings["settings"]["metricsEnabled"] is True
