"""API Gateway's Cognito user pool authorizer (``COGNITO_USER_POOLS``), locally: who may call a method.

What AWS does, and so what this does:

- The token is read from the authorizer's identity source (``method.request.header.Authorization``). Clients
  send the raw ID token, as REST API Cognito authorizers document; ``Bearer <token>`` is accepted too, as
  deployed authorizers accept it (README "Sign-in").
- It must be an ID token (``token_use: id``; an access token needs scopes on the method, which no route
  has), signed RS256 by one of the authorizer's pools (``iss`` is the pool's issuer; key from its JWKS), not
  expired on the cloud's clock. Anything else, or no header, answers ``401 {"message": "Unauthorized"}``.
- The claims reach the integration as strings (``requestContext.authorizer.claims`` in the proxy event,
  ``$context.authorizer.claims`` in mapping templates): numbers as digits, booleans as ``true``/``false``,
  ``exp`` and ``iat`` as API Gateway writes dates (``Fri Dec 04 21:40:10 UTC 2026``).

moto signs every pool's tokens with one key, so a signature alone proves nothing about the pool: ``iss`` is
checked, and ``aud`` must be an app client of that pool (in AWS a genuine Cognito signature guarantees it).
Tokens are issued on the cloud's clock too (``issue_tokens_on``), so advancing the clock past ``exp``
expires them exactly as an hour passing would.
"""

from __future__ import annotations

import json
import re
import threading
import time
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import moto.cognitoidp.models
import requests
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from devtools.program import ProgramRun

AUTHORIZER = "aws:apigateway/authorizer:Authorizer"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
_HEADER_SOURCE = re.compile(r"^method\.request\.header\.(?P<name>[A-Za-z0-9-]+)$")
_POOL_ARN = re.compile(r"^arn:aws:cognito-idp:(?P<region>[^:]+):\d{12}:userpool/(?P<pool>[\w-]+)$")
_BEARER = re.compile(r"^Bearer +(?P<token>\S+)$", re.IGNORECASE)
_DATE_CLAIMS = frozenset({"exp", "iat"})


class UnauthorizedError(Exception):
    """The request carries no token the authorizer accepts; ``reason`` is for the trace, never the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def token_of(header: str | None) -> str:
    """The token in an Authorization header: the raw value, or what follows ``Bearer ``."""
    if header is None or not header.strip():
        raise UnauthorizedError("no Authorization header")
    value = header.strip()
    bearer = _BEARER.match(value)
    return bearer.group("token") if bearer else value


def as_api_gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """The claims as API Gateway hands them over: every value a string."""
    given: dict[str, str] = {}
    for name, value in claims.items():
        if name in _DATE_CLAIMS and isinstance(value, int | float):
            given[name] = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
        elif isinstance(value, bool):
            given[name] = "true" if value else "false"
        elif isinstance(value, list):
            given[name] = "[" + " ".join(str(item) for item in value) + "]"
        else:
            given[name] = str(value)
    return given


@dataclass(frozen=True)
class Pool:
    issuer: str
    client_ids: frozenset[str]


class CognitoAuthorizer:
    """One deployed ``COGNITO_USER_POOLS`` authorizer: ``authorize(headers)`` returns the claims or raises."""

    def __init__(
        self,
        identity_source: str,
        pools: Sequence[Pool],
        now: Callable[[], float],
        fetch_jwks: Callable[[str], Mapping[str, Any]] | None = None,
    ) -> None:
        source = _HEADER_SOURCE.match(identity_source)
        if source is None:
            raise ValueError(f"identity source {identity_source!r}: only method.request.header.<name> is emulated")
        self.header = source.group("name")
        self.pools = {pool.issuer: pool for pool in pools}
        self._now = now
        self._fetch_jwks = fetch_jwks or _fetch_jwks
        self._keys: dict[str, KeySet] = {}
        self._lock = threading.Lock()

    def authorize(self, headers: Mapping[str, str]) -> dict[str, str]:
        header = next((value for name, value in headers.items() if name.lower() == self.header.lower()), None)
        token = token_of(header)
        issuer = _unverified_issuer(token)
        pool = self.pools.get(str(issuer))
        if pool is None:
            raise UnauthorizedError(f"issuer {issuer!r} is not a pool of this authorizer")
        try:
            claims = jwt.decode(token, self._key_set(pool.issuer), algorithms=["RS256"]).claims
        except (JoseError, ValueError, TypeError) as error:
            raise UnauthorizedError(f"signature not verified: {type(error).__name__}") from error
        if claims.get("token_use") != "id":
            raise UnauthorizedError(f"token_use {claims.get('token_use')!r} is not id")
        if claims.get("aud") not in pool.client_ids:
            raise UnauthorizedError(f"audience {claims.get('aud')!r} is not an app client of {pool.issuer}")
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or isinstance(expires, bool) or expires <= self._now():
            raise UnauthorizedError("expired")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise UnauthorizedError("no sub")
        return as_api_gateway_claims(claims)

    def _key_set(self, issuer: str) -> KeySet:
        with self._lock:
            if issuer not in self._keys:
                self._keys[issuer] = KeySet.import_key_set(self._fetch_jwks(issuer))  # type: ignore[arg-type]
            return self._keys[issuer]


def _unverified_issuer(token: str) -> Any:
    """The ``iss`` a token claims, read only to pick the pool whose keys must then verify it."""
    try:
        signed = jws.extract_compact(token.encode("ascii"))
        algorithm = signed.headers().get("alg")
        claims = json.loads(signed.payload)
    except (JoseError, ValueError, TypeError, UnicodeError) as error:
        raise UnauthorizedError(f"not a compact JWS: {type(error).__name__}") from error
    if algorithm != "RS256":
        raise UnauthorizedError(f"alg {algorithm!r} is not RS256")
    if not isinstance(claims, dict):
        raise UnauthorizedError("the payload is not a JSON object")
    return claims.get("iss")


def _fetch_jwks(issuer: str) -> Mapping[str, Any]:
    answer = requests.get(f"{issuer}/.well-known/jwks.json", timeout=5)
    answer.raise_for_status()
    keys: Mapping[str, Any] = answer.json()
    return keys


def authorizers(run: ProgramRun, now: Callable[[], float]) -> dict[str, CognitoAuthorizer]:
    """Every Cognito authorizer the program deployed, by id, with the app clients of its pools."""
    clients: dict[str, set[str]] = {}
    for client in run.of_type(USER_POOL_CLIENT):
        clients.setdefault(str(client.inputs["userPoolId"]), set()).add(str(client.id))
    found: dict[str, CognitoAuthorizer] = {}
    for resource in run.of_type(AUTHORIZER):
        if resource.inputs.get("type") != "COGNITO_USER_POOLS":
            raise ValueError(f"authorizer {resource.name}: only COGNITO_USER_POOLS is emulated")
        pools = []
        for arn in resource.inputs.get("providerArns") or []:
            match = _POOL_ARN.match(str(arn))
            if match is None:
                raise ValueError(f"authorizer {resource.name}: {arn!r} is not a user pool ARN")
            issuer = f"https://cognito-idp.{match.group('region')}.amazonaws.com/{match.group('pool')}"
            pools.append(Pool(issuer, frozenset(clients.get(match.group("pool"), ()))))
        source = str(resource.inputs.get("identitySource") or "method.request.header.Authorization")
        found[str(resource.id)] = CognitoAuthorizer(source, pools, now)
    return found


def method_authorizer(method: Mapping[str, Any], deployed: Mapping[str, CognitoAuthorizer]) -> str | None:
    """The id of the authorizer a deployed ``Method`` requires, or ``None`` for ``authorization: NONE``."""
    kind = method.get("authorization") or "NONE"
    if kind == "NONE":
        return None
    authorizer_id = str(method.get("authorizerId") or "")
    if kind != "COGNITO_USER_POOLS" or authorizer_id not in deployed:
        raise ValueError(f"method authorization {kind} with authorizer {authorizer_id!r} is not emulated")
    return authorizer_id


class _ClockTime(types.ModuleType):
    """``time`` for moto's cognito-idp: ``time()`` reads the cloud's clock, everything else is the real one."""

    def __init__(self, now: Callable[[], float]) -> None:
        super().__init__("time")
        self._clock_now = now

    def time(self) -> float:
        return self._clock_now()

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def issue_tokens_on(now: Callable[[], float] | None) -> None:
    """Make moto issue Cognito tokens (``iat``, ``exp``) at the cloud's time; ``None`` puts the wall clock back."""
    moto.cognitoidp.models.time = _ClockTime(now) if now is not None else time  # type: ignore[attr-defined]
