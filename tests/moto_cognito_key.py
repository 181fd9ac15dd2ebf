"""The private key moto signs every Cognito pool's tokens with (the one its JWKS publishes), for tests that forge
or verify such tokens."""

from __future__ import annotations

import functools

from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource


@functools.cache
def motos_signing_key() -> RSAKey:
    """Imported once per process: the file is a constant of the installed moto, and each import recovers the RSA
    prime factors from ``n, e, d`` in Python (0.1-0.3 CPU-s)."""
    return RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
