"""SigV4 as the local cloud needs it: the same headers, without the hashing nobody checks.

Every AWS call a handler makes goes through botocore and is signed with Signature Version 4 before moto,
in the same process, answers it. moto reads the access key from the ``Authorization`` header's credential
scope (it picks the account) and never verifies the signature; building the canonical request, hashing the
payload and chaining five HMACs was ~4% of the bench's CPU per order. While a local cloud runs, ``v4``
requests get the headers SigV4 gives them (``X-Amz-Date``, the security token, ``Authorization`` with the
same credential scope and signed headers) and a signature of zeros. ``s3v4`` and every other signer are
left alone (S3 reads the payload hash header).
"""

from __future__ import annotations

import threading
from typing import Any

import botocore.auth
from botocore.compat import get_current_datetime
from botocore.exceptions import NoCredentialsError

#: Where botocore looks up the signer class for a request's signature version.
SIGNATURE_VERSION = "v4"
UNCHECKED_SIGNATURE = "0" * 64

_lock = threading.Lock()
_saved: dict[str, type[Any]] = {}


class UncheckedSigV4Auth(botocore.auth.SigV4Auth):  # type: ignore[misc]  # botocore ships no types
    """SigV4's headers with ``UNCHECKED_SIGNATURE`` in place of the computed signature."""

    def add_auth(self, request: Any) -> None:
        if self.credentials is None:
            raise NoCredentialsError()
        request.context["timestamp"] = get_current_datetime().strftime(botocore.auth.SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        self._inject_signature_to_request(request, UNCHECKED_SIGNATURE)


def install() -> None:
    """Sign ``v4`` requests with ``UncheckedSigV4Auth`` until ``uninstall`` (idempotent)."""
    with _lock:
        if SIGNATURE_VERSION not in _saved:
            _saved[SIGNATURE_VERSION] = botocore.auth.AUTH_TYPE_MAPS[SIGNATURE_VERSION]
            botocore.auth.AUTH_TYPE_MAPS[SIGNATURE_VERSION] = UncheckedSigV4Auth


def uninstall() -> None:
    """Put botocore's own signer back."""
    with _lock:
        if SIGNATURE_VERSION in _saved:
            botocore.auth.AUTH_TYPE_MAPS[SIGNATURE_VERSION] = _saved.pop(SIGNATURE_VERSION)
