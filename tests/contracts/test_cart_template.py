"""The cart route's mapping templates, as deployed, against hostile input.

Detail is a JSON document inside the PutEvents JSON, so every value lands two JSON levels deep; the path
parameter and the header are not covered by the request model, so the template checks them itself and,
when one breaks its rule, sends EventBridge a request it refuses whole. Rendered with the local engine,
which follows API Gateway's Velocity where a template can tell (tests/e2e/test_vtl.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from devtools.program import ProgramRun
from localcloud import vtl
from tests.contracts.test_producers import CART_BODY, CART_CLAIMS, assert_valid, cart_template

HOSTILE_TEXT = [
    "o'brien",
    'quote"inside',
    "back\\slash\\",
    'x"},"quantity":-7,"metadata":{"eventId":"forged"}}',
    "new\nline\ttab\x00nul\x1fus",
    "café ünïcødé 😀 \u2028\u2029",
    "</script><!--",
    "'" * 40 + '"' * 40 + "\\" * 40,
]
HOSTILE_PARAMETERS = [*HOSTILE_TEXT, "x" * 129, "ok\n", "ok ", "%22", "ok;rm"]
BAD_CART_IDS = [*HOSTILE_PARAMETERS, "", "a" * 65, "ok/../../x"]


def context(claims: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "authorizer": {"claims": CART_CLAIMS if claims is None else claims},
        "requestId": "c0ffee00-1111-4222-8333-444455556666",
        "requestTimeEpoch": 1714564800123,
        "requestOverride": {"header": {}, "path": {}, "querystring": {}},
        "responseOverride": {"header": {}},
    }


def integration_responses(run: ProgramRun) -> dict[str | None, dict[str, Any]]:
    """The cart route's integration responses by selection pattern (its preflight's MOCK answer aside)."""
    found = {}
    for response in run.of_type("aws:apigateway/integrationResponse:IntegrationResponse"):
        if "carts" in response.name and response.inputs["httpMethod"] == "POST":
            found[response.inputs.get("selectionPattern")] = response.inputs
    return found


def render_request(
    run: ProgramRun, body: dict[str, Any], cart_id: str, headers: dict[str, str], claims: dict[str, str] | None = None
) -> Any:
    request = vtl.Input(json.dumps(body), {"cartId": cart_id}, {}, headers)
    return json.loads(vtl.render(cart_template(run), request, context(claims)))


def render_response(
    run: ProgramRun,
    pattern: str | None,
    service_answer: dict[str, Any],
    cart_id: str,
    headers: dict[str, str],
    claims: dict[str, str] | None = None,
) -> tuple[int, Any]:
    spec = integration_responses(run)[pattern]
    ctx = context(claims)
    rendered = vtl.render(
        spec["responseTemplates"]["application/json"],
        vtl.Input(json.dumps(service_answer), {"cartId": cart_id}, {}, headers),
        ctx,
    )
    return int(ctx["responseOverride"].get("status") or spec["statusCode"]), json.loads(rendered)


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_claim_values_arrive_exactly_as_verified(runs: dict[str, ProgramRun], text: str) -> None:
    email = f"{text.replace('@', '').replace(' ', '').replace(chr(10), '').replace(chr(9), '')}@example.com"
    claims = {**CART_CLAIMS, "sub": text, "email": email}

    (entry,) = render_request(runs["dev"], CART_BODY, "cart-9", {}, claims)["Entries"]
    detail = json.loads(entry["Detail"])

    assert (detail["customerId"], detail["email"]) == (text, email)
    assert detail["quantity"] == CART_BODY["quantity"]
    assert set(detail) == {"cartId", "customerId", "email", "sku", "quantity", "metadata"}
    assert detail["metadata"]["eventId"] == "c0ffee00-1111-4222-8333-444455556666"


def test_an_apostrophe_in_the_email_gives_valid_json_and_a_valid_event(runs: dict[str, ProgramRun]) -> None:
    claims = {**CART_CLAIMS, "email": "o'brien@example.com"}

    headers = {"X-Correlation-Id": "corr:42/a+b=c@d~e"}
    (entry,) = render_request(runs["dev"], CART_BODY, "cart-9", headers, claims)["Entries"]
    detail = json.loads(entry["Detail"])

    assert_valid({"detail-type": entry["DetailType"], "source": entry["Source"], "detail": detail})
    assert detail["email"] == "o'brien@example.com"
    assert detail["metadata"]["correlationId"] == "corr:42/a+b=c@d~e"


@pytest.mark.parametrize("cart_id", BAD_CART_IDS)
def test_a_cart_id_breaking_its_rule_sends_nothing_and_answers_400_naming_it(
    runs: dict[str, ProgramRun], cart_id: str
) -> None:
    assert render_request(runs["dev"], CART_BODY, cart_id, {}) == {"Entries": []}

    refused = {"__type": "ValidationException", "message": "Entries: valid min length: 1"}
    status, answer = render_response(runs["dev"], r"4\d{2}", refused, cart_id, {})

    assert status == 400
    assert answer["message"] == "Invalid request parameters"
    assert [error.split(":")[0] for error in answer["errors"]] == ["cartId"]
    assert "1 to 64 characters" in answer["errors"][0]


@pytest.mark.parametrize("correlation_id", HOSTILE_PARAMETERS)
def test_a_correlation_id_breaking_its_rule_sends_nothing_and_answers_400_naming_it(
    runs: dict[str, ProgramRun], correlation_id: str
) -> None:
    headers = {"X-Correlation-Id": correlation_id}

    assert render_request(runs["dev"], CART_BODY, "cart-9", headers) == {"Entries": []}
    status, answer = render_response(runs["dev"], r"4\d{2}", {"__type": "ValidationException"}, "cart-9", headers)

    assert (status, answer["message"]) == (400, "Invalid request parameters")
    assert [error.split(":")[0] for error in answer["errors"]] == ["X-Correlation-Id"]


@pytest.mark.parametrize(
    "claims",
    [{**CART_CLAIMS, "email_verified": "false"}, {"sub": "cust-1", "email_verified": "true"}, {}],
    ids=["unverified", "no email", "no claims"],
)
def test_without_a_verified_address_nothing_is_sent_and_the_answer_names_the_token(
    runs: dict[str, ProgramRun], claims: dict[str, str]
) -> None:
    assert render_request(runs["dev"], CART_BODY, "cart-9", {}, claims) == {"Entries": []}
    status, answer = render_response(runs["dev"], r"4\d{2}", {"__type": "ValidationException"}, "cart-9", {}, claims)

    assert (status, answer["message"]) == (400, "Invalid request parameters")
    assert [error.split(":")[0] for error in answer["errors"]] == ["Authorization"]


def test_both_bad_parameters_are_named_at_once(runs: dict[str, ProgramRun]) -> None:
    headers = {"X-Correlation-Id": 'x"},"quantity":-7'}

    status, answer = render_response(runs["dev"], r"4\d{2}", {"__type": "ValidationException"}, "bad cart", headers)

    assert status == 400
    assert [error.split(":")[0] for error in answer["errors"]] == ["cartId", "X-Correlation-Id"]


def test_the_longest_valid_parameters_are_accepted(runs: dict[str, ProgramRun]) -> None:
    headers = {"X-Correlation-Id": "c" * 128}

    (entry,) = render_request(runs["dev"], CART_BODY, "k" * 64, headers)["Entries"]

    assert json.loads(entry["Detail"])["cartId"] == "k" * 64


@pytest.mark.parametrize(
    ("pattern", "service_answer", "expected_status"),
    [
        (None, {"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}, 202),
        (None, {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}, 503),
        (r"4\d{2}", {"__type": "ThrottlingException", "message": "Rate exceeded"}, 503),
        (r"4\d{2}", {"__type": "AccessDeniedException", "message": "not authorized"}, 500),
        (r"4\d{2}", {"__type": "SerializationException", "message": "bad JSON"}, 500),
        (r"5\d{2}", {"__type": "InternalException", "message": "boom"}, 503),
    ],
)
def test_every_eventbridge_answer_maps_to_a_json_answer_that_says_what_happened(
    runs: dict[str, ProgramRun], pattern: str | None, service_answer: dict[str, Any], expected_status: int
) -> None:
    status, answer = render_response(runs["dev"], pattern, service_answer, "cart-9", {})

    assert status == expected_status
    assert set(answer) == {"message"}
    assert (answer["message"] == "message received") is (expected_status == 202)
