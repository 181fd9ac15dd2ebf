"""moto's request object for an in-process call, built without werkzeug's test ``EnvironBuilder``.

moto 5.2.5 turns every botocore request into a werkzeug ``Request`` (``Request.from_primitives``) through
``Request.from_values``: werkzeug's ``EnvironBuilder``, made for tests, parses the base URL back into
properties, wraps the headers in a ``Headers`` object twice, re-encodes the path and reads the body's length
by seeking its stream. ~100 µs a call, ~6% of the bench's CPU. For the requests botocore sends the local
cloud (an http(s) URL whose path needs no quoting, an ASCII query, a body of bytes or text, header values
on one line) the environ it builds is written here directly, key for key the same (tested against
``EnvironBuilder`` on the program's own calls); anything else still goes through werkzeug.

Two of the request's lazily computed properties, each ~1.5% of the bench's CPU, are given their values as
the request is built (``prefill``): ``url_root`` (werkzeug parses the host, decodes it as an IRI and
rebuilds the URL on every request; for these environs it depends only on the scheme and the ``Host``
header, so werkzeug's own answer is kept per pair) and, for a JSON body (no form, no content encoding),
what reading ``data`` leaves (the body, an empty form and file list, a read-out stream) instead of
werkzeug's stream wrapper and form parser finding there is no form.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import defaultdict
from io import BytesIO
from typing import Any
from urllib.parse import urlparse

from moto.core import request as moto_request

_lock = threading.Lock()
_installed: set[str] = set()

#: Paths werkzeug leaves as they are (no quoting, no percent-decoding, nothing outside ASCII).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/_.~\-]*")
#: Query strings werkzeug copies as they are (printable ASCII).
_PLAIN_QUERY = re.compile(r"[!-~]*")
#: Hosts (and ports) werkzeug's ``iri_to_uri`` leaves as they are.
_PLAIN_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]+)?")

#: botocore's chunked body wrapper, as moto imported it (moto reads it out in full; so does its fallback here).
_AWS_CHUNKED: type = getattr(moto_request, "AwsChunkedWrapper")  # noqa: B009 - moto's import, not an export

#: The content types botocore gives JSON-protocol bodies; werkzeug parses no form out of them.
JSON_CONTENT_TYPES = frozenset({"application/x-amz-json-1.0", "application/x-amz-json-1.1", "application/json"})
#: werkzeug's ``url_root`` per (request class, scheme, Host header); the bound stops generated hosts growing it.
_url_roots: dict[tuple[type, str, str], str] = {}
URL_ROOTS_KEPT = 1024

#: moto's own ``from_primitives`` (the fallback, and what the tests compare with).
moto_from_primitives = moto_request.Request.from_primitives.__func__  # type: ignore[attr-defined]


def plain_environ(method: str, url: str, header_items: list[tuple[str, str]], body: Any) -> dict[str, Any] | None:
    """The WSGI environ ``EnvironBuilder`` builds for these primitives (as ``Request.from_values`` calls it),
    or None when the request is not one this function is sure to build the same."""
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, bytes) or not body:
        return None  # streams and empty bodies: werkzeug's content-length and form rules apply
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or parsed.params or parsed.fragment:
        return None
    if parsed.path.startswith("//") or not (
        _PLAIN_HOST.fullmatch(parsed.netloc)
        and _PLAIN_PATH.fullmatch(parsed.path)
        and _PLAIN_QUERY.fullmatch(parsed.query)
    ):
        return None
    host = parsed.netloc
    server_name, separator, port = host.partition(":")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": parsed.path,
        "QUERY_STRING": parsed.query,
        "REQUEST_URI": parsed.path,
        "RAW_URI": parsed.path,
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(int(port)) if separator else ("443" if parsed.scheme == "https" else "80"),
        "HTTP_HOST": host,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parsed.scheme,
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    combined: defaultdict[str, list[str]] = defaultdict(list)
    content_type: str | None = None
    for name, value in header_items:
        if not isinstance(name, str) or not isinstance(value, str) or "\n" in value or "\r" in value:
            return None
        lowered = name.lower()
        if lowered == "content-type":
            if content_type is not None:
                return None  # werkzeug keeps the first; not worth copying
            content_type = value
        elif lowered != "content-length":
            combined[f"HTTP_{name.upper().replace('-', '_')}"].append(value)
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    environ["CONTENT_LENGTH"] = str(len(body))
    for key, values in combined.items():
        environ[key] = ", ".join(values)
    return environ


def from_primitives(cls: type[moto_request.Request], method: str, url: str, headers: Any, body: Any = None) -> Any:
    # moto 5.2.5's Request.from_primitives, with the environ written directly when plain_environ can.
    if isinstance(body, _AWS_CHUNKED):
        return moto_from_primitives(cls, method, url, headers, body)
    header_items = [
        (key, value.decode("utf-8") if isinstance(value, bytes) else value)
        for key, value in headers.items()
        if key.lower() not in ["transfer-encoding"]
    ]
    environ = plain_environ(method, url, header_items, body)
    if environ is None:
        return moto_from_primitives(cls, method, url, headers, body)
    request = cls(environ)
    request.environ[moto_request.PRESERVED_HEADER_NAMES_ENVIRON_KEY] = {
        moto_request.environ_key_for_header(key): key
        for key, _ in header_items
        if moto_request.should_preserve_original_header_name(key)
    }
    request.environ.setdefault("CONTENT_LENGTH", "0")
    prefill(request, body)
    return request


def prefill(request: Any, body: bytes | str) -> None:
    """Give a request built from ``plain_environ`` the ``url_root`` and, for a JSON body, the ``data``, ``form``,
    ``files`` and ``stream`` werkzeug would compute for it (module docstring)."""
    environ = request.environ
    cached = request.__dict__  # werkzeug's cached properties read their value from here first
    key = (type(request), environ["wsgi.url_scheme"], environ["HTTP_HOST"])
    url_root = _url_roots.get(key)
    if url_root is None:
        url_root = request.url_root
        if len(_url_roots) < URL_ROOTS_KEPT:
            _url_roots[key] = url_root
    else:
        cached["url_root"] = url_root
    if environ.get("CONTENT_TYPE") in JSON_CONTENT_TYPES and "HTTP_CONTENT_ENCODING" not in environ:
        request._cached_data = body.encode() if isinstance(body, str) else body
        storage = request.parameter_storage_class
        cached["stream"], cached["form"], cached["files"] = BytesIO(), storage(), storage()


def install() -> None:
    """Build moto's in-process requests directly (idempotent)."""
    with _lock:
        if _installed:
            return
        moto_request.Request.from_primitives = classmethod(from_primitives)  # type: ignore[method-assign,assignment]
        _installed.add("moto_requests")
