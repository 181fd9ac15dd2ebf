"""moto's in-process request routing, with each URL's route found once (moto 5.2.5's ``BotocoreStubber``).

Every AWS call a handler makes reaches moto through ``BotocoreStubber.process_request``, which finds the
service by trying each of moto's ~150 service URL patterns in turn, then the service's backend, then
rebuilds that backend's URL table (``BaseBackend.urls`` formats every path template again) and compiles
and tries each URL until one matches. For a given URL the answer is always the same handler, so it is
found once and remembered (per URL and ``MOTO_ENABLE_ISO_REGIONS``, which changes the URL tables).

What stays per request, as in moto: the URL's normalisation (custom S3 endpoints are read from the
environment), the configuration checks (passthrough URLs and services, the service whitelist, in moto's
order), the request's normalisation, moto's request recorder, and turning an ``HTTPException`` into the
answer. A backend whose URL table is not the generic one (S3 re-imports its URL module on each request,
because environment variables change it) and a URL no backend answers keep moto's own ``process_request``.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Any

from moto import backend_index, backends
from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
from moto.core.exceptions import HTTPException, ServiceNotWhitelisted  # type: ignore[attr-defined]
from moto.core.request import normalize_request
from moto.core.utils import get_equivalent_url_in_aws_domain
from moto.moto_api import recorder
from moto.settings import enable_iso_regions

#: Distinct URLs are few (one per service, plus API Gateway's paths); the bound stops generated ones growing it.
ROUTES_CACHED = 4096

#: ``(service, handler)`` for each service whose pattern matched, in moto's order; only the last has a handler.
Route = tuple[tuple[str, Any], ...]

_lock = threading.Lock()


def _default_backend(service: str) -> BaseBackend:
    """The backend moto reads a service's URL table from (as ``process_request`` picks it)."""
    backend_dict = backends.get_backend(service)  # type: ignore[call-overload]
    if isinstance(backend_dict, BackendDict):
        regions = backend_dict[DEFAULT_ACCOUNT_ID]
        backend: BaseBackend = regions["us-east-1"] if "us-east-1" in regions else regions["aws"]
    else:
        backend = backend_dict["global"]
    return backend


def _generic_url_table(backend: BaseBackend) -> bool:
    return getattr(type(backend), "_url_module") is getattr(BaseBackend, "_url_module")  # noqa: B009


@functools.lru_cache(maxsize=ROUTES_CACHED)
def route(clean_url: str, iso_regions: bool) -> Route | None:  # noqa: ARG001  # part of the cache's key
    """The services moto tries for ``clean_url`` and the handler it calls; ``None`` where moto's own
    routing must decide (no handler, or a backend whose URL table is not the generic one).
    ``iso_regions`` is ``MOTO_ENABLE_ISO_REGIONS``, which ``BaseBackend.urls`` reads."""
    tried: list[tuple[str, Any]] = []
    for service, pattern in backend_index.backend_url_patterns:
        if not pattern.match(clean_url):
            continue
        backend = _default_backend(service)
        if not _generic_url_table(backend):
            return None
        for url, handler in backend.urls.items():
            if re.compile(url).match(clean_url):
                return (*tried, (service, handler))
        tried.append((service, None))
    return None


def process_request(stubber: BotocoreStubber, request: Any) -> Any:
    """``BotocoreStubber.process_request`` with the route looked up in ``route``."""
    parsed_url, _ = get_equivalent_url_in_aws_domain(request.url)
    clean_url = f"{parsed_url.scheme}://{parsed_url.netloc}{parsed_url.path}"
    services = route(clean_url, enable_iso_regions())
    if services is None:
        return _by_moto(stubber, request)
    if passthrough_url(clean_url):
        return None
    for service, handler in services:
        if passthrough_service(service):
            return None
        if not service_whitelisted(service):
            raise ServiceNotWhitelisted(service)
        if handler is not None:
            normalized_request = normalize_request(request)
            try:
                recorder._record_request(normalized_request)
                status, headers, body = handler(
                    normalized_request, normalized_request.raw_url, normalized_request.headers
                )
            except HTTPException as e:
                status, headers, body = e.code, e.get_headers(), e.get_body()
            return status, headers, body
    return None  # unreachable: a route ends with its handler


_by_moto = BotocoreStubber.process_request


def install() -> None:
    """Route through ``route`` from now on (idempotent)."""
    with _lock:
        if BotocoreStubber.process_request is not process_request:
            BotocoreStubber.process_request = process_request  # type: ignore[method-assign,assignment]
