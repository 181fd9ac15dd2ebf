"""docs/openapi.json is the deployed API's document: generated, valid OpenAPI 3.1, and complete."""

from __future__ import annotations

import ast
import json

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from devtools import openapi
from devtools.program import ROOT
from services.api_routes import IDEMPOTENCY_HEADER, MAX_IDEMPOTENCY_KEY_LENGTH, PARAMETERS, ROUTES, load_contract


def test_the_committed_document_is_the_generated_one() -> None:
    assert openapi.DOCUMENT.read_text() == openapi.render(), "docs/openapi.json is stale: run `make openapi`"


def test_the_document_is_valid_openapi_3_1() -> None:
    document = json.loads(openapi.DOCUMENT.read_text())

    validate(document)
    assert document["openapi"] == "3.1.0"


def test_the_validator_would_refuse_a_broken_document() -> None:
    document = openapi.build()
    document["paths"]["/orders"]["post"]["responses"]["202"] = {"content": {}}  # no description

    with pytest.raises(OpenAPIValidationError):
        validate(document)


def test_every_route_and_every_answer_is_documented() -> None:
    paths = openapi.build()["paths"]

    for route in ROUTES:
        operation = paths[route.path][route.method.lower()]
        assert set(operation["responses"]) == {str(answer.status) for answer in route.answers}
    statuses = {status for path in paths.values() for op in path.values() for status in op["responses"]}
    assert {"200", "202", "400", "404", "409", "422", "429", "500", "502", "503"} <= statuses


def test_request_bodies_are_the_contracts_api_gateway_validates_with() -> None:
    schemas = openapi.build()["components"]["schemas"]

    for model in ("place_order", "add_cart_item"):
        contract = load_contract(model)
        assert schemas[contract["title"]] == {key: value for key, value in contract.items() if key != "$schema"}


def test_parameters_carry_their_rules() -> None:
    cart = openapi.build()["paths"]["/carts/{cartId}/items"]["post"]
    parameters = {parameter["name"]: parameter for parameter in cart["parameters"]}

    assert parameters["cartId"]["required"] is True
    assert parameters["cartId"]["schema"]["pattern"] == PARAMETERS["cartId"].schema["pattern"]
    assert parameters["X-Correlation-Id"]["in"] == "header"
    assert parameters["X-Correlation-Id"]["schema"]["maxLength"] == 128


def test_a_draft_04_only_keyword_is_refused_rather_than_misread() -> None:
    with pytest.raises(ValueError, match=r"exclusiveMinimum"):
        openapi.as_2020_12({"properties": {"n": {"type": "number", "exclusiveMinimum": True}}}, "model")


def test_the_documented_idempotency_key_rule_is_the_one_the_function_enforces() -> None:
    tree = ast.parse((ROOT / "handlers" / "orders" / "api.py").read_text())
    assigned = {
        target.id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    assert ast.literal_eval(assigned["MAX_IDEMPOTENCY_KEY_LENGTH"]) == MAX_IDEMPOTENCY_KEY_LENGTH
    assert PARAMETERS[IDEMPOTENCY_HEADER].schema["maxLength"] == MAX_IDEMPOTENCY_KEY_LENGTH
