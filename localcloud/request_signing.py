"""SigV4 as the local cloud needs it: the same headers, without the hashing nobody checks.

Every AWS call a handler makes goes through botocore and is signed with Signature Version 4 before moto,
in the same process, answers it. moto reads the access key from the ``Authorization`` header's credential
scope (it picks the account) and never verifies the signature; building the canonical request, hashing the
payload and chaining five HMACs was ~4% of the bench's CPU per order. While a local cloud runs, ``v4``
requests get the headers SigV4 gives them (``X-Amz-Date``, the security token, ``Authorization`` with the
same credential scope and signed headers) and a signature of zeros. ``s3v4`` and every other signer are
left alone (S3 reads the payload hash header).

The ``SignedHeaders`` list is made from the header names alone: botocore copies every header into a new
``HTTPHeaders`` (parsing each value) and, without a ``Host`` header (botocore's requests have none), parses the
URL for the host's value, only to list the names (~1% of the bench's CPU). Pinned to botocore 1.44.8's
``SigV4Auth._inject_signature_to_request``, ``headers_to_sign`` and ``signed_headers``; with another
botocore, botocore's own code lists them.
"""

from __future__ import annotations

import threading
from typing import Any

import botocore
import botocore.auth
from botocore.compat import get_current_datetime
from botocore.exceptions import NoCredentialsError

#: Where botocore looks up the signer class for a request's signature version.
SIGNATURE_VERSION = "v4"
UNCHECKED_SIGNATURE = "0" * 64
#: The botocore release whose SigV4 header names ``signed_headers`` reproduces.
BOTOCORE_VERSION = "1.44.8"
#: Header names SigV4 leaves out of ``SignedHeaders`` (botocore's list, lower case).
_UNSIGNED_NAMES = frozenset(botocore.auth.SIGNED_HEADERS_BLACKLIST)

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

    def _inject_signature_to_request(self, request: Any, signature: str) -> Any:
        # botocore's, with the header names listed by ``signed_headers``.
        if botocore.__version__ != BOTOCORE_VERSION:
            return super()._inject_signature_to_request(request, signature)
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.scope(request)}, "
            f"SignedHeaders={signed_headers(request.headers.keys())}, Signature={signature}"
        )
        return request


def signed_headers(names: Any) -> str:
    """SigV4's ``SignedHeaders`` for a request whose headers have these names, as botocore lists them
    (``signed_headers(headers_to_sign(request))``): lower-cased, the unsigned ones left out, ``host`` always
    in (its value comes from the URL when no header gives it), one each, stripped, sorted."""
    lowered = {name.lower() for name in names}
    lowered -= _UNSIGNED_NAMES
    lowered.add("host")
    return ";".join(sorted(name.strip() for name in lowered))


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
