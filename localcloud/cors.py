"""CORS in the local cloud, as API Gateway answers it, from what the program deployed.

- A preflight (``OPTIONS``) is answered by the method's MOCK integration: the request template's
  ``statusCode`` picks the integration response, whose static header parameters
  (``method.response.header.<Name>: '<value>'``) are the answer's headers.
- A gateway response (401, 403, 429 through DEFAULT_4XX, ...) carries its ``gatewayresponse.header.*``
  parameters; a service integration's answer its integration response's ``method.response.header.*``.

Origins. Deployed, the page is ``https://<distribution>.cloudfront.net`` and the API another origin. Locally
the page is served at ``/`` on the API's port (``cloud.endpoints["storefront"]``), standing in for the
distribution, as config.json's URLs stand in for the deployed ones. So the local storefront's origin stands
in for the distribution's: a request's ``Origin`` that is the local storefront's reaches the API (and the
function, whose ALLOWED_ORIGIN is the deployed one) as the distribution's, and an
``Access-Control-Allow-Origin`` naming the distribution goes back to the browser as the local storefront's.
Any other origin passes through unchanged, so it is refused as it would be deployed.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from localcloud.provision.base import mapping as mapping_input

if TYPE_CHECKING:
    from devtools.program import ProgramRun

METHOD_HEADER = "method.response.header."
GATEWAY_HEADER = "gatewayresponse.header."
ALLOW_ORIGIN = "Access-Control-Allow-Origin"
JSON = "application/json"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


def static_headers(parameters: Mapping[str, Any] | str | None, prefix: str) -> dict[str, str]:
    """The headers a response's parameters set to static values (``'value'``); other mappings (from the
    request or the integration's answer) are not used by the program and are left out."""
    if isinstance(parameters, str):
        parameters = mapping_input(parameters)
    headers = {}
    for key, value in (parameters or {}).items():
        text = str(value)
        if key.startswith(prefix) and len(text) >= 2 and text[0] == text[-1] == "'":
            headers[key.removeprefix(prefix)] = text[1:-1]
    return headers


def deployed_storefront_origin(run: ProgramRun) -> str | None:
    """``https://<distribution domain>``, the origin the program allowed; None without a distribution."""
    distributions = run.of_type(DISTRIBUTION)
    return f"https://{distributions[0].outputs['domainName']}" if len(distributions) == 1 else None


def origin_of(url: str | None) -> str | None:
    """``http://127.0.0.1:8080/`` -> ``http://127.0.0.1:8080``."""
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class StorefrontOrigin:
    """Maps the local storefront's origin to the deployed one on the way in, and back on the way out."""

    def __init__(self, deployed: str | None, local: Callable[[], str | None]) -> None:
        self.deployed = deployed
        self._local = local

    @property
    def local(self) -> str | None:
        return self._local()

    def inbound(self, headers: Mapping[str, str]) -> dict[str, str]:
        local = self.local
        if self.deployed is None or local is None:
            return dict(headers)
        return {k: self.deployed if k.lower() == "origin" and v == local else v for k, v in headers.items()}

    def outbound(self, headers: Mapping[str, str]) -> dict[str, str]:
        local = self.local
        if self.deployed is None or local is None:
            return dict(headers)
        return {k: local if k.lower() == ALLOW_ORIGIN.lower() and v == self.deployed else v for k, v in headers.items()}


def mock_status(integration: Mapping[str, Any]) -> int:
    """The status a MOCK integration's request template asks for (API Gateway's ``{"statusCode": 204}``)."""
    templates = integration.get("requestTemplates") or {}
    if isinstance(templates, str):
        templates = mapping_input(templates)
    template = templates.get(JSON) if isinstance(templates, Mapping) else None
    try:
        return int(json.loads(template)["statusCode"]) if template else 200
    except (ValueError, KeyError, TypeError) as error:
        expected = '{"statusCode": N}'
        raise ValueError(f"a MOCK integration's request template must be {expected}: {template!r}") from error
