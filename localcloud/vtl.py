"""API Gateway's mapping-template language (VTL) rendered with airspeed: ``$input``, ``$util``, ``$context``.

Velocity allows ``-`` inside identifiers (``$context.requestOverride.header.X-Amz-Target``), airspeed does
not, so hyphens inside reference chains are rewritten to ``__hyphen__`` before parsing and the keys a
template sets are turned back afterwards.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import airspeed

HYPHEN = "__hyphen__"
_REFERENCE = re.compile(r"\$!?\{?[A-Za-z_]\w*(?:\.[A-Za-z_][\w-]*[\w])+")


def _rewrite(template: str) -> str:
    return _REFERENCE.sub(lambda match: match.group(0).replace("-", HYPHEN), template)


@functools.lru_cache(maxsize=64)
def compile_template(template: str) -> airspeed.Template:
    return airspeed.Template(_rewrite(template))


def unhyphen(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {key.replace(HYPHEN, "-"): value for key, value in mapping.items()}


def json_path(document: Any, path: str) -> Any:
    """The JSONPath subset mapping templates use: ``$``, ``$.a.b``, ``$.a[0].b``, ``$['a']``."""
    if not path.startswith("$"):
        raise ValueError(f"JSONPath must start with $: {path!r}")
    value = document
    for name, index in re.findall(r"\.([A-Za-z_][\w-]*)|\[['\"]?([^\]'\"]+)['\"]?\]", path[1:]):
        key: Any = name or index
        if isinstance(value, list):
            try:
                value = value[int(key)]
            except (ValueError, IndexError):
                return None
        elif isinstance(value, Mapping):
            value = value.get(key)
        else:
            return None
    return value


class Input:
    """``$input``: the request (or, in a response template, the integration's response)."""

    def __init__(
        self,
        body: str,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.body = body
        self._path = dict(path_params or {})
        self._query = dict(query or {})
        self._headers = {key.lower(): value for key, value in (headers or {}).items()}
        self._parsed: Any = None
        self._parsed_done = False

    def _document(self) -> Any:
        if not self._parsed_done:
            try:
                self._parsed = json.loads(self.body) if self.body else {}
            except ValueError:
                self._parsed = self.body
            self._parsed_done = True
        return self._parsed

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return {"path": self._path, "querystring": self._query, "header": self._headers}
        for source in (self._path, self._query):
            if name in source:
                return source[name]
        return self._headers.get(name.lower(), "")

    def json(self, path: str) -> str:
        return json.dumps(json_path(self._document(), path))

    def path(self, path: str) -> Any:
        return json_path(self._document(), path)


def _escape_javascript(text: Any) -> str:
    return json.dumps(str(text))[1:-1].replace("'", "\\'")


#: ``$util``, under API Gateway's (camelCase) names.
UTIL: Mapping[str, Callable[..., Any]] = {
    "escapeJavaScript": _escape_javascript,
    "parseJson": json.loads,
    "urlEncode": lambda text: urllib.parse.quote(str(text), safe=""),
    "urlDecode": lambda text: urllib.parse.unquote(str(text)),
    "base64Encode": lambda text: base64.b64encode(str(text).encode()).decode(),
    "base64Decode": lambda text: base64.b64decode(str(text)).decode(),
}


def render(template: str, input_: Input, context: dict[str, Any]) -> str:
    """Render a mapping template; ``context`` is mutated by ``#set($context....)`` as on API Gateway."""
    rendered: str = compile_template(template).merge({"input": input_, "util": dict(UTIL), "context": context})
    return rendered
