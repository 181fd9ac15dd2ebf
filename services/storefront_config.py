"""The storefront page's config.json and the connections its CSP allows, from one place.

The program writes config.json into the site's bucket from the deployed outputs; the local cloud serves one
built from its own endpoints. Both derive the CSP's connect-src from the same config, so the page can reach
exactly the API, the WebSocket API and the sign-in endpoint it was configured with, and nothing else.
"""

from __future__ import annotations

from typing import Any, TypedDict

from components.security_headers import content_security_policy

CONFIG_FILE = "config.json"


class StorefrontConfig(TypedDict):
    apiUrl: str
    #: None only where no WebSocket API runs (a local cloud without one): the page then says live updates
    #: are unavailable instead of failing.
    websocketUrl: str | None
    region: str
    userPoolId: str
    userPoolClientId: str
    cognitoEndpoint: str


def cognito_endpoint(region: str) -> str:
    """Cognito's public JSON endpoint, which the page calls for InitiateAuth (no SDK needed)."""
    return f"https://cognito-idp.{region}.amazonaws.com/"


def storefront_config(
    *, api_url: str, websocket_url: str | None, region: str, user_pool_id: str, client_id: str, cognito: str
) -> StorefrontConfig:
    """config.json; raises ValueError naming every value that is missing or not a URL of the right kind."""
    problems = []
    urls = [("apiUrl", api_url, ("https://", "http://")), ("cognitoEndpoint", cognito, ("https://", "http://"))]
    if websocket_url is not None:
        urls.append(("websocketUrl", websocket_url, ("wss://", "ws://")))
    for key, value, schemes in urls:
        if not isinstance(value, str) or not value.startswith(schemes):
            problems.append(f"{key} must start with {' or '.join(schemes)}, got {value!r}")
    for key, value in (("region", region), ("userPoolId", user_pool_id), ("userPoolClientId", client_id)):
        if not isinstance(value, str) or not value:
            problems.append(f"{key} must be a non-empty string, got {value!r}")
    if problems:
        raise ValueError("storefront config: " + "; ".join(problems))
    return {
        "apiUrl": api_url,
        "websocketUrl": websocket_url,
        "region": region,
        "userPoolId": user_pool_id,
        "userPoolClientId": client_id,
        "cognitoEndpoint": cognito,
    }


def connect_sources(config: StorefrontConfig) -> list[str]:
    """The CSP connect-src entries for a config: the API as a path prefix (the page calls `<apiUrl>/...`),
    the WebSocket URL and the Cognito endpoint as they are."""
    api = config["apiUrl"] if config["apiUrl"].endswith("/") else config["apiUrl"] + "/"
    websocket = [config["websocketUrl"]] if config["websocketUrl"] is not None else []
    return [api, *websocket, config["cognitoEndpoint"]]


def storefront_csp(config: StorefrontConfig) -> str:
    return content_security_policy(connect_sources(config))


def config_from_outputs(values: list[Any]) -> StorefrontConfig:
    """For `Output.all(api_url, websocket_url, region, user_pool_id, client_id).apply(...)`."""
    api_url, websocket_url, region, user_pool_id, client_id = values
    return storefront_config(
        api_url=api_url,
        websocket_url=websocket_url,
        region=region,
        user_pool_id=user_pool_id,
        client_id=client_id,
        cognito=cognito_endpoint(region),
    )
