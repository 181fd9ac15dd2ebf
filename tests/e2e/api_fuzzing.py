"""The API fuzzing of tests/e2e/test_api_fuzz.py: schemathesis cases for every operation of docs/openapi.json,
sent to a running local API, with the checks each answer must pass.

A module of its own, imported by the test when it runs: schemathesis and hypothesis cost a test process about
half a second to import, and only the worker running the test needs them.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from devtools import openapi

EXAMPLES_PER_OPERATION_AND_MODE = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def refused_a_valid_request(case: Case[Any], status: int, body: Any) -> bool:
    """A 400 to a request valid under the document, other than an order naming an unknown SKU or a page
    request with a cursor the API never gave (rules the data holds, which the document cannot state)."""
    if status != 400:
        return False
    unknown_sku = isinstance(body, dict) and str(body.get("message", "")).startswith("Unknown SKU")
    foreign_cursor = isinstance(body, dict) and body.get("message") == "Invalid cursor"
    if case.operation.method.upper() == "GET":
        return not (case.operation.path == "/orders" and foreign_cursor)
    return not (case.operation.path == "/orders" and unknown_sku)


def integers_as_integers(value: Any) -> Any:
    """``98.0`` as ``98``. JSON Schema 2020-12 (OpenAPI 3.1) calls 98.0 an integer; API Gateway validates
    with draft-04, where it is a number and ``"type": "integer"`` refuses it (the document says so)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: integers_as_integers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integers_as_integers(item) for item in value]
    return value


def with_catalog_skus(body: Any, skus: list[str]) -> Any:
    """An order's lines naming SKUs the catalog sells (chosen from the generated ones, so still seeded):
    without them every valid order is an unknown-SKU 400 and the accepted path is never exercised."""
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        for line in body["items"]:
            if isinstance(line, dict) and isinstance(line.get("sku"), str):
                line["sku"] = skus[sum(map(ord, line["sku"])) % len(skus)]
    return body


def run_operation(
    operation: schemathesis.APIOperation[Any, Any, Any, Any],
    mode: GenerationMode,
    base_url: str,
    seen: Counter[str],
    skus: list[str],
    signed_in: dict[str, str],
) -> None:
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

    @settings(
        max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def exercise(case: Case[Any]) -> None:
        if mode is GenerationMode.POSITIVE and case.body is not None:
            case.body = with_catalog_skus(integers_as_integers(case.body), skus)
        response = case.call(base_url=base_url, timeout=30, headers=signed_in)
        seen[f"{operation.label} {mode.value} {response.status_code}"] += 1
        try:
            body = json.loads(response.content or b"null")
        except ValueError:
            body = None
        if mode is GenerationMode.POSITIVE:
            assert not refused_a_valid_request(case, response.status_code, body), (
                f"valid request refused: {case.as_curl_command()} -> {response.status_code} {body}"
            )
        case.validate_response(response, checks=checks)

    exercise()


def fuzz_every_operation(base_url: str, skus: list[str], signed_in: dict[str, str]) -> tuple[Counter[str], list[str]]:
    """Every operation of the document, positive and negative cases: what was seen (operation, mode, status) and
    every failure, all operations run whatever failed before."""
    schema = schemathesis.openapi.from_path(str(openapi.DOCUMENT))
    seen: Counter[str] = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"the document has an operation schemathesis cannot read: {result.err()}")
            continue
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                run_operation(operation, mode, base_url, seen, skus, signed_in)
            except Unsatisfiable:
                seen[f"{operation.label} {mode.value}: no such case exists"] += 1
            except Exception as failure:  # every operation runs; all failures are reported at once
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    return seen, failures
