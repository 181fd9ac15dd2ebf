"""Verifies a Cognito ID token as API Gateway's Cognito authorizer does, with joserfc.

The pool's public keys (JWKS, ``<issuer>/.well-known/jwks.json``) are fetched on the first token a container
sees and kept for its life; a token signed with a key id the cache does not know makes one refetch (Cognito
rotated its keys), and a key id still unknown after that is remembered as unknown, so a stream of forged key
ids cannot turn into a stream of fetches. The fetch uses ``urllib.request.urlopen`` (the standard library:
nothing to package beside joserfc), so whatever opener the process installed answers it.

A token is accepted only if all of these hold, each checked explicitly because every Cognito pool in a region
may share a signing key (moto's do), so a signature alone proves nothing about the pool or the app:
RS256 and nothing else (``alg: none`` and HS256 "signed" with the public key are refused before any key is
looked up), a known key id, a valid signature, ``iss`` = this pool's issuer, ``aud`` = this app client,
``token_use`` = ``id``, a ``sub``, ``exp`` in the future and ``nbf`` (if any) in the past.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

ALGORITHM = "RS256"
#: A Cognito ID token is about 1 KB; anything far larger is not one (and is not worth parsing).
MAX_TOKEN_BYTES = 8192
MAX_JWKS_BYTES = 64 * 1024
JWKS_TIMEOUT_SECONDS = 3.0
#: How many refused key ids a container remembers (each would otherwise cost a refetch).
MAX_UNKNOWN_KIDS = 256

Fetch = Callable[[str], Mapping[str, Any]]


class InvalidTokenError(ValueError):
    """The token is missing, malformed, or not one this pool issued to this app; the message says why."""


@dataclass(frozen=True)
class VerifiedClaims:
    """Who a valid token names: ``sub`` is the customer's id."""

    sub: str
    claims: Mapping[str, Any]


def fetch_jwks(url: str) -> Mapping[str, Any]:
    """The key set at ``url`` (HTTPS only)."""
    if not url.startswith("https://"):
        raise InvalidTokenError(f"refusing to fetch keys over anything but HTTPS: {url}")
    with urllib.request.urlopen(url, timeout=JWKS_TIMEOUT_SECONDS) as response:
        document = json.loads(response.read(MAX_JWKS_BYTES + 1)[:MAX_JWKS_BYTES])
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise InvalidTokenError(f"{url} is not a JSON Web Key Set")
    return document


@dataclass
class TokenVerifier:
    """Checks ID tokens of one user pool (``issuer``) for one app client (``audience``)."""

    issuer: str
    audience: str
    fetch: Fetch = fetch_jwks
    now: Callable[[], float] = time.time
    _keys: dict[str, RSAKey] | None = field(default=None, init=False, repr=False)
    _unknown_kids: set[str] = field(default_factory=set, init=False, repr=False)

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer.rstrip('/')}/.well-known/jwks.json"

    def verify(self, token: str | None) -> VerifiedClaims:
        if not token:
            raise InvalidTokenError("no token")
        if len(token) > MAX_TOKEN_BYTES:
            raise InvalidTokenError("token too large")
        key = self._key_for(self._header(token))
        try:
            decoded = jwt.decode(token, key, algorithms=[ALGORITHM])
        except JoseError as error:
            raise InvalidTokenError(f"signature: {error.error}") from error
        except ValueError as error:
            raise InvalidTokenError(f"malformed token: {error}") from error
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self.now()),
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            token_use={"essential": True, "value": "id"},
            sub={"essential": True},
            exp={"essential": True},
        )
        try:
            registry.validate(decoded.claims)
        except JoseError as error:
            raise InvalidTokenError(f"claims: {error.description or error.error}") from error
        sub = decoded.claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidTokenError("claims: sub is not a string")
        return VerifiedClaims(sub=sub, claims=decoded.claims)

    @staticmethod
    def _header(token: str) -> Mapping[str, Any]:
        try:
            header = jws.extract_compact(token.encode()).headers()
        except (JoseError, ValueError) as error:
            raise InvalidTokenError(f"malformed token: {error}") from error
        if header.get("alg") != ALGORITHM:
            raise InvalidTokenError(f"algorithm {header.get('alg')!r} is not {ALGORITHM}")
        if not isinstance(header.get("kid"), str):
            raise InvalidTokenError("no key id")
        return header

    def _key_for(self, header: Mapping[str, Any]) -> RSAKey:
        kid = str(header["kid"])
        keys = self._keys if self._keys is not None else self._load()
        if kid not in keys and kid not in self._unknown_kids:
            keys = self._load()  # the pool may have rotated its keys since this container fetched them
            if kid not in keys and len(self._unknown_kids) < MAX_UNKNOWN_KIDS:
                self._unknown_kids.add(kid)
        if kid not in keys:
            raise InvalidTokenError("unknown key id")
        return keys[kid]

    def _load(self) -> dict[str, RSAKey]:
        keys: dict[str, RSAKey] = {}
        for jwk in self.fetch(self.jwks_url)["keys"]:
            if isinstance(jwk, Mapping) and jwk.get("kty") == "RSA" and isinstance(jwk.get("kid"), str):
                keys[str(jwk["kid"])] = RSAKey.import_key(dict(jwk))
        self._keys = keys
        return keys
