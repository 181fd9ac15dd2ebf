"""The storefront page's config.json and the connections its CSP allows, from one place.

The program writes config.json into the site's bucket from the deployed outputs; the local cloud serves one
built from its own endpoints. Both derive the CSP's connect-src from the same config, so the page can reach
exactly the API, the WebSocket API and the sign-in endpoint it was configured with, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict, TypeVar

from components.security_headers import content_security_policy

T = TypeVar("T")
CONFIG_FILE = "config.json"
#: The registered client application (settings `api.clients`) the page calls the REST API as: its API key
#: goes in `x-api-key` on every call. The key identifies the client for the usage plan's throttling; it ships
#: in the page, so it is public by nature and never a credential (the ID token is).
STOREFRONT_CLIENT = "storefront"


class StorefrontConfig(TypedDict):
    apiUrl: str
    #: None only where no WebSocket API runs (a local cloud without one): the page then says live updates
    #: are unavailable instead of failing.
    websocketUrl: str | None
    region: str
    userPoolId: str
    userPoolClientId: str
    cognitoEndpoint: str
    #: The storefront client's API key (`x-api-key`); None only where the API has no usage plan (no
    #: registered clients), so no method requires a key.
    apiKey: str | None


def cognito_endpoint(region: str) -> str:
    """Cognito's public JSON endpoint, which the page calls for InitiateAuth (no SDK needed)."""
    return f"https://cognito-idp.{region}.amazonaws.com/"


def storefront_config(
    *,
    api_url: str,
    websocket_url: str | None,
    region: str,
    user_pool_id: str,
    client_id: str,
    cognito: str,
    api_key: str | None,
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
    if api_key is not None and (not isinstance(api_key, str) or not api_key.strip()):
        problems.append(f"apiKey must be a non-empty string or None (no usage plan), got {api_key!r}")
    if problems:
        raise ValueError("storefront config: " + "; ".join(problems))
    return {
        "apiUrl": api_url,
        "websocketUrl": websocket_url,
        "region": region,
        "userPoolId": user_pool_id,
        "userPoolClientId": client_id,
        "cognitoEndpoint": cognito,
        "apiKey": api_key,
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
    """For `Output.all(api_url, websocket_url, region, user_pool_id, client_id, api_key).apply(...)`."""
    api_url, websocket_url, region, user_pool_id, client_id, api_key = values
    return storefront_config(
        api_url=api_url,
        websocket_url=websocket_url,
        region=region,
        user_pool_id=user_pool_id,
        client_id=client_id,
        cognito=cognito_endpoint(region),
        api_key=api_key,
    )


def storefront_api_key(api_keys: Mapping[str, T]) -> T | None:
    """The storefront client's key among the API's registered clients' keys (by client name); None when the
    API has no registered clients. Raises ValueError when clients are registered but the storefront is not:
    every method would then refuse the page's calls."""
    if not api_keys:
        return None
    if STOREFRONT_CLIENT not in api_keys:
        raise ValueError(
            f"settings api.clients must include {STOREFRONT_CLIENT!r}: every REST method requires a registered "
            f"client's API key and the storefront page calls the API as that client (clients: {sorted(api_keys)})"
        )
    return api_keys[STOREFRONT_CLIENT]
