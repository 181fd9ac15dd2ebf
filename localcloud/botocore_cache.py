"""One copy of botocore's read-only data per process, however many sessions and clients the handlers make.

Each function runs in its own sandbox, so its module-level clients are its own, as in Lambda. But every
``boto3.session.Session()`` (Powertools' idempotency layer makes one per function, the X-Ray SDK two)
starts a fresh data loader that parses botocore's 1 MB ``endpoints.json`` and each service model again,
and every client rebuilds its endpoint rule set from the same JSON. The data is never written to, so
the local cloud shares it: one loader per data path, and one parsed rule set per (rule set, partitions,
excluded parameters). Each new session also checks every built-in event handler's signature with
``inspect``; a function's signature does not change, so that answer is remembered per function. moto reads
each service's model (and pagination model) through a loader of its own, created afresh for every service,
whose first step lists every service botocore knows by scanning its data directories (20 ms, some 15 times a
boot): moto gets one loader per process instead. Clients,
their event hooks (IAM-by-use's recorder), credentials and configuration
stay per client and per session; only parsing is shared.
"""

from __future__ import annotations

import inspect
import threading
import types
from typing import Any

import botocore.hooks
import botocore.loaders
import botocore.regions
import botocore.session
import moto.core.loaders
import moto.core.utils
from botocore.endpoint_provider import EndpointProvider

_lock = threading.Lock()
_loaders: dict[str | None, botocore.loaders.Loader] = {}
#: Keyed on the ids of the loader's cached dicts; each entry keeps those dicts alive so no id is reused.
_providers: dict[tuple[int, int, frozenset[str]], tuple[EndpointProvider, Any, Any]] = {}


def _shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    with _lock:
        loader = _loaders.get(search_path_string)
        if loader is None:
            loader = _loaders[search_path_string] = botocore.loaders.create_loader(search_path_string)
        return loader


_moto_loader: list[moto.core.loaders.Loader] = []


def _shared_moto_loader() -> moto.core.loaders.Loader:
    """moto's ``create_loader`` (its loader adds moto's extras to botocore's models), made once per process."""
    with _lock:
        if not _moto_loader:
            _moto_loader.append(moto.core.loaders.create_loader())
        return _moto_loader[0]


def _shared_provider(ruleset_data: Any, partition_data: Any, excluded_params: Any = None) -> EndpointProvider:
    key = (id(ruleset_data), id(partition_data), frozenset(excluded_params or ()))
    with _lock:
        entry = _providers.get(key)
        if entry is None:
            provider = EndpointProvider(ruleset_data, partition_data, excluded_params)
            entry = _providers[key] = (provider, ruleset_data, partition_data)
        return entry[0]


_accepts_kwargs: dict[types.FunctionType, bool] = {}


def _function_accepts_kwargs(handler: Any) -> bool:
    """botocore's ``accepts_kwargs``, remembered for plain functions and the functions behind bound methods
    (never for other callables, whose identity would keep them alive)."""
    function = getattr(handler, "__func__", handler)
    if not isinstance(function, types.FunctionType):
        return bool(inspect.getfullargspec(handler)[2])
    known = _accepts_kwargs.get(function)
    if known is None:
        known = _accepts_kwargs[function] = bool(inspect.getfullargspec(handler)[2])
    return known


def install() -> None:
    """Share loaders and endpoint rule sets from now on (idempotent)."""
    with _lock:
        if botocore.session.create_loader is _shared_loader:
            return
        botocore.session.create_loader = _shared_loader
        moto_utils: Any = moto.core.utils  # it imports create_loader without re-exporting it
        moto_utils.create_loader = _shared_moto_loader
        botocore.regions.EndpointProvider = _shared_provider
        botocore.hooks.accepts_kwargs = _function_accepts_kwargs
