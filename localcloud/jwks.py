"""Serves the user pools' public keys to handlers that fetch them with ``urllib`` (the WebSocket authorizer).

In Lambda the authorizer fetches ``https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json``
with ``urllib.request.urlopen``. moto answers that URL only through ``requests`` (its ``responses`` mock), so the
local cloud installs a urllib opener whose first handler fetches exactly those URLs through ``requests`` and
hands everything else to urllib's own handlers: the handler code runs unchanged and no other URL is touched.
"""

from __future__ import annotations

import io
import re
import urllib.request
import urllib.response
from email.message import Message

import requests

#: The only URLs answered here: a Cognito user pool's key set.
JWKS_URL = re.compile(r"^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/[A-Za-z0-9_-]+/\.well-known/jwks\.json$")
TIMEOUT_SECONDS = 5.0


class _Answer(urllib.response.addinfourl):
    """An HTTP answer as urllib's handlers return it (its error processor reads ``msg``)."""

    def __init__(self, body: bytes, headers: Message, url: str, code: int, reason: str) -> None:
        super().__init__(io.BytesIO(body), headers, url, code)
        self.msg = reason


class UserPoolKeysHandler(urllib.request.BaseHandler):
    """Answers JWKS URLs from moto (through ``requests``); other requests fall through (``None``)."""

    handler_order = 100  # before urllib's HTTPSHandler (500)

    def https_open(self, request: urllib.request.Request) -> _Answer | None:
        url = request.full_url
        if request.get_method() != "GET" or not JWKS_URL.match(url):
            return None
        answer = requests.get(url, timeout=TIMEOUT_SECONDS)
        headers = Message()
        headers["Content-Type"] = answer.headers.get("Content-Type", "application/json")
        return _Answer(answer.content, headers, url, answer.status_code, answer.reason or "")


def install() -> None:
    """Make ``urllib.request.urlopen`` answer JWKS URLs from moto, in this process, from now on."""
    urllib.request.install_opener(urllib.request.build_opener(UserPoolKeysHandler()))


def uninstall() -> None:
    """urllib's default opener again."""
    urllib.request.install_opener(urllib.request.build_opener())
