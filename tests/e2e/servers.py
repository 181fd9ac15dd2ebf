"""The local cloud's HTTP server for tests that talk to it over real HTTP, and plain calls to it.

A module that needs the server binds the fixture under its name, once, at module level:

    base_url = servers.base_url

(an imported fixture name would be redefined by every test's parameter of that name, which linters flag).
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

# The local cloud, moto's parsers and Playwright are imported where used, not here: the xdist controller loads
# this file before it starts the workers and runs no test itself.
if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

TIMEOUT_SECONDS = 30


@pytest.fixture(scope="module")
def base_url(cloud: LocalCloud) -> Iterator[str]:
    """The module's cloud served over HTTP on a free port of 127.0.0.1, until the module ends."""
    from localcloud.server import serve_in_background  # noqa: PLC0415 (imported on use: see the note at the imports)

    server, url = serve_in_background(cloud, port=0)
    yield url
    server.shutdown()
    server.server_close()


def fetch(
    base_url: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request as sent: its status, headers and raw body."""
    host, port = urllib.parse.urlsplit(base_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT_SECONDS)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def call(
    base_url: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """A JSON request (``body`` as JSON, if given) and its status and JSON answer (None for an empty one)."""
    payload = json.dumps(body).encode() if body is not None else None
    status, _, answer = fetch(base_url, method, path, payload, {"Content-Type": "application/json", **(headers or {})})
    return status, json.loads(answer or b"null")
