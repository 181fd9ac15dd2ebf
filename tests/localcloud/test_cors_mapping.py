"""localcloud/cors.py: which deployed parameters become headers, and how the local storefront's origin stands
in for the distribution's (only that origin, only in Origin and Access-Control-Allow-Origin)."""

from __future__ import annotations

import pytest

from localcloud.cors import GATEWAY_HEADER, METHOD_HEADER, StorefrontOrigin, mock_status, origin_of, static_headers

DEPLOYED = "https://d1234.cloudfront.net"
LOCAL = "http://127.0.0.1:8080"


def test_only_static_values_of_the_right_kind_become_headers() -> None:
    parameters = {
        METHOD_HEADER + "Access-Control-Allow-Origin": f"'{DEPLOYED}'",
        METHOD_HEADER + "X-From-Request": "method.request.header.X",
        GATEWAY_HEADER + "Vary": "'Origin'",
    }
    assert static_headers(parameters, METHOD_HEADER) == {"Access-Control-Allow-Origin": DEPLOYED}
    assert static_headers(parameters, GATEWAY_HEADER) == {"Vary": "Origin"}
    assert static_headers(None, METHOD_HEADER) == {}


def test_the_local_storefront_origin_is_the_distributions_inside_and_its_own_outside() -> None:
    origins = StorefrontOrigin(DEPLOYED, lambda: origin_of(f"{LOCAL}/"))
    assert origins.inbound({"Origin": LOCAL, "Referer": LOCAL}) == {"Origin": DEPLOYED, "Referer": LOCAL}
    assert origins.inbound({"origin": "https://evil.example"}) == {"origin": "https://evil.example"}
    assert origins.outbound({"Access-Control-Allow-Origin": DEPLOYED}) == {"Access-Control-Allow-Origin": LOCAL}
    assert origins.outbound({"Access-Control-Allow-Origin": "https://x.example"}) == {
        "Access-Control-Allow-Origin": "https://x.example"
    }


def test_without_a_served_storefront_nothing_is_mapped() -> None:
    origins = StorefrontOrigin(DEPLOYED, lambda: None)
    assert origins.inbound({"Origin": LOCAL}) == {"Origin": LOCAL}
    assert origins.outbound({"Access-Control-Allow-Origin": DEPLOYED}) == {"Access-Control-Allow-Origin": DEPLOYED}


def test_a_mock_integration_answers_the_status_its_template_asks_for() -> None:
    assert mock_status({"requestTemplates": {"application/json": '{"statusCode": 204}'}}) == 204
    with pytest.raises(ValueError, match=r'must be \{"statusCode": N\}: \'\{"status": 204\}\''):
        mock_status({"requestTemplates": {"application/json": '{"status": 204}'}})
