"""moto's mock start without making its ``requests`` registrations until something uses them.

Each ``mock_aws`` start that resets (moto 5.2.5's ``MockAWS._enable_patching``) registers with its ``responses``
mock, for each of the seven HTTP methods, one ``CallbackResponse`` per backend URL pattern and a catch-all: 1,288
objects, ~2.4 ms of every start (a fifth of an empty handler test's moto). They answer only the ``requests``
library's calls to AWS URLs (the JWKS a WebSocket authorizer fetches); botocore's calls reach moto through its
``before-send`` hook and never look at them, and most tests make no such call.

``install()`` replaces that method: a start that resets gives the ``responses`` mock a registry
(``LazyMotoRegistry``, a moto ``CustomRegistry``) that makes exactly moto's registrations, with moto's own
loop, in the same order, the first time anything reads, searches or changes it, so every call sees what moto's
own start would have registered. A start that does not reset (a nested or resumed mock) runs moto's own code,
and so does any other moto or ``responses`` release than the ones this was written against
(``MOTO_VERSION``, ``RESPONSES_VERSION``). ``tests/handlers/test_moto_start.py`` compares the registrations
with moto's own, response by response, and answers a ``requests`` call through them.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import responses
from moto import backend_index
from moto.core import models
from moto.core.custom_responses_mock import CallbackResponse, not_implemented_callback
from moto.core.responses_custom_registry import CustomRegistry

from localcloud.moto_version import MOTO_VERSION

#: The ``responses`` release whose registry and mock ``LazyMotoRegistry`` stands in for.
RESPONSES_VERSION = "0.26.3"

_install_lock = threading.Lock()
#: moto's own ``MockAWS._enable_patching`` while ``install()`` is in effect.
_moto_enable_patching: list[Any] = []


def moto_registrations() -> dict[str, list[responses.BaseResponse]]:
    """New registrations, as moto 5.2.5's ``_enable_patching`` makes them (its loop, by method)."""
    registered: dict[str, list[responses.BaseResponse]] = defaultdict(list)
    for method in models.RESPONSES_METHODS:
        for _, pattern in backend_index.backend_url_patterns:
            registered[method].append(
                CallbackResponse(method=method, url=pattern, callback=models.botocore_stubber.process_prepared_request)
            )
        registered[method].append(
            CallbackResponse(
                method=method, url=re.compile(r"https?://.+\.amazonaws.com/.*"), callback=not_implemented_callback
            )
        )
    return registered


class LazyMotoRegistry(CustomRegistry):
    """moto's registry holding moto's registrations, made on first use. Every method of ``CustomRegistry`` (and of
    ``responses``' ``FirstMatchRegistry`` it extends) reaches them through ``_registered``."""

    def __init__(self) -> None:
        # Not CustomRegistry.__init__: its empty dict would shadow the property.
        self._lock = threading.Lock()
        self._made: dict[str, list[responses.BaseResponse]] | None = None

    @property
    def _registered(self) -> dict[str, list[responses.BaseResponse]]:  # type: ignore[override]  # read-only view
        made = self._made
        if made is None:
            with self._lock:
                if self._made is None:
                    self._made = moto_registrations()
                made = self._made
        return made

    @property
    def made(self) -> bool:
        """Whether anything has used the registrations yet."""
        return self._made is not None


def _enable_patching(self: models.MockAWS, reset: bool = True) -> None:
    """moto's ``_enable_patching``, with moto's registrations made on first use when the start resets."""
    if not reset:
        _moto_enable_patching[0](self, reset=reset)
        return
    models.botocore_stubber.enabled = True
    self.reset()
    models.responses_mock.start()
    # What moto's reset left (reset_responses_mock: an empty CustomRegistry), now holding moto's registrations.
    models.responses_mock._registry = LazyMotoRegistry()


def applies() -> bool:
    """Whether the installed moto and ``responses`` are the releases this module was written against."""
    return _installed_versions() == (MOTO_VERSION, RESPONSES_VERSION)


@functools.cache
def _installed_versions() -> tuple[str, str]:
    # Read once: each metadata lookup scans the environment's packages (~1.5 ms), and install() runs per test.
    return importlib.metadata.version("moto"), importlib.metadata.version("responses")


def install() -> None:
    """Make moto's registrations on first use from now on (idempotent; no change on other releases)."""
    with _install_lock:
        if _moto_enable_patching or not applies():
            return
        _moto_enable_patching.append(models.MockAWS._enable_patching)
        models.MockAWS._enable_patching = _enable_patching  # type: ignore[method-assign]


def uninstall() -> None:
    """Put moto's own start back."""
    with _install_lock:
        if _moto_enable_patching:
            models.MockAWS._enable_patching = _moto_enable_patching.pop()  # type: ignore[method-assign]


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """moto's registrations made on first use for the block's moto starts; moto's own start put back after it."""
    install()
    try:
        yield
    finally:
        uninstall()
