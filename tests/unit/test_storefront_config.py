"""The storefront's config.json and CSP, and the security headers shared by CloudFront and the local cloud."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.security_headers import (
    content_security_policy,
    headers_of_policy_config,
    response_headers_policy_config,
    security_headers,
)
from components.site_files import content_type_of, site_files
from services.storefront_config import (
    STOREFRONT_CLIENT,
    cognito_endpoint,
    config_from_outputs,
    connect_sources,
    storefront_api_key,
    storefront_csp,
)

API = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1"
SOCKET = "wss://def456.execute-api.eu-west-1.amazonaws.com/live"
KEY = "k3y0fTheStorefrontClient0123456789abcdef"


def directives(csp: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in csp.split("; "))}


def test_config_is_built_from_the_outputs_with_the_regions_cognito_endpoint() -> None:
    config = config_from_outputs([API, SOCKET, "eu-west-1", "eu-west-1_pool", "client", KEY])

    assert config == {
        "apiUrl": API,
        "websocketUrl": SOCKET,
        "region": "eu-west-1",
        "userPoolId": "eu-west-1_pool",
        "userPoolClientId": "client",
        "cognitoEndpoint": "https://cognito-idp.eu-west-1.amazonaws.com/",
        "apiKey": KEY,
    }
    assert cognito_endpoint("us-east-2") == "https://cognito-idp.us-east-2.amazonaws.com/"


def test_a_config_with_missing_or_wrong_values_names_each_of_them() -> None:
    with pytest.raises(ValueError, match=r"apiUrl must start with https:// or http://.*websocketUrl must start with"):
        config_from_outputs(["abc", "https://not-a-socket", "eu-west-1", "pool", "client", KEY])
    with pytest.raises(ValueError, match="userPoolClientId must be a non-empty string, got None"):
        config_from_outputs([API, SOCKET, "eu-west-1", "pool", None, KEY])


@pytest.mark.parametrize("key", ["", "   ", 42])
def test_an_empty_or_non_text_api_key_is_refused_by_name(key: object) -> None:
    with pytest.raises(ValueError, match="apiKey must be a non-empty string or None"):
        config_from_outputs([API, SOCKET, "eu-west-1", "pool", "client", key])


def test_an_api_without_registered_clients_needs_no_key_in_the_config() -> None:
    assert config_from_outputs([API, SOCKET, "eu-west-1", "pool", "client", None])["apiKey"] is None
    assert storefront_api_key({}) is None


def test_the_storefronts_key_is_the_storefront_clients_and_registering_others_only_is_refused() -> None:
    assert storefront_api_key({"partner": "p", STOREFRONT_CLIENT: "s"}) == "s"
    with pytest.raises(ValueError, match=r"api.clients must include 'storefront'.*clients: \['partner'\]"):
        storefront_api_key({"partner": "p"})


def test_connect_src_lists_exactly_the_api_the_websocket_and_cognito() -> None:
    config = config_from_outputs([API, SOCKET, "eu-west-1", "pool", "client", KEY])

    found = directives(storefront_csp(config))

    assert connect_sources(config) == [f"{API}/", SOCKET, "https://cognito-idp.eu-west-1.amazonaws.com/"]
    assert found["connect-src"] == ["'self'", *connect_sources(config)]


def test_the_csp_allows_no_inline_code_no_eval_and_no_framing() -> None:
    found = directives(content_security_policy(["https://api.example.com/"]))

    assert found["default-src"] == ["'none'"]
    assert found["script-src"] == found["style-src"] == ["'self'"]
    assert found["frame-ancestors"] == found["object-src"] == found["base-uri"] == ["'none'"]
    assert all("'unsafe-inline'" not in values and "'unsafe-eval'" not in values for values in found.values())


@pytest.mark.parametrize("source", ["https://a.example.com/; script-src *", "'unsafe-inline'", ""])
def test_a_connect_source_that_could_inject_a_directive_is_refused(source: str) -> None:
    with pytest.raises(ValueError, match="connect sources must be URLs"):
        content_security_policy([source])


def test_cloudfronts_policy_sends_exactly_the_headers_the_local_cloud_sends() -> None:
    csp = content_security_policy([f"{API}/"])

    assert headers_of_policy_config(response_headers_policy_config(csp)) == security_headers(csp)
    assert security_headers(csp)["X-Frame-Options"] == "DENY"
    assert security_headers(csp)["Strict-Transport-Security"].startswith("max-age=63072000; includeSubDomains")


def test_site_files_carry_their_content_types_and_leave_out_generated_ones(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "app.js").write_text("")
    (tmp_path / "config.json").write_text("{}")

    files = site_files(tmp_path, exclude=frozenset({"config.json"}))

    assert [(f.key, f.content_type) for f in files] == [
        ("app.js", "text/javascript; charset=utf-8"),
        ("index.html", "text/html; charset=utf-8"),
    ]


def test_a_file_without_a_known_content_type_is_refused() -> None:
    with pytest.raises(ValueError, match=r"notes\.txt: no content type for \.txt"):
        content_type_of("notes.txt")
