"""API Gateway's mapping-template language (VTL) rendered with airspeed: ``$input``, ``$util``, ``$context``.

API Gateway runs Apache Velocity (Java); airspeed is a Python Velocity. Where the two differ in a way a
template can observe, this module makes airspeed behave as API Gateway does:

- Velocity allows ``-`` inside identifiers (``$context.requestOverride.header.X-Amz-Target``), airspeed does
  not, so hyphens inside reference chains are rewritten to ``__hyphen__`` before parsing and the keys a
  template sets are turned back afterwards.
- Velocity string literals keep backslashes as written (``ASTStringLiteral`` only folds a doubled quote and
  ``\\uXXXX``); airspeed unescaped ``\\\\`` to ``\\``, so AWS's own fix for ``escapeJavaScript``'s apostrophe,
  ``.replaceAll("\\\\'", "'")``, silently did nothing locally. ``use_velocity_string_literals`` restores
  Velocity's rule.
- ``String.matches`` is a whole-string match and ``String.replaceAll`` takes Java's ``$1`` replacements.
- ``$util.escapeJavaScript`` is Apache Commons Lang's ``StringEscapeUtils.escapeJavaScript``: it escapes
  ``'`` as ``\\'`` (not valid JSON, as AWS's reference warns), ``/`` as ``\\/``, control characters, and
  every character outside ASCII as ``\\uXXXX`` (UTF-16 code units, upper-case hex).
"""

from __future__ import annotations

import base64
import functools
import json
import re
import urllib.parse
from collections.abc import Callable, Mapping
from importlib.metadata import version
from typing import Any

import airspeed

HYPHEN = "__hyphen__"
AIRSPEED_VERSION = "0.7.1"
_REFERENCE = re.compile(r"\$!?\{?[A-Za-z_]\w*(?:\.[A-Za-z_][\w-]*[\w])+")


class UnsupportedAirspeedVersionError(RuntimeError):
    """The string-literal rules below replace airspeed internals checked against one version."""


def use_velocity_string_literals() -> None:
    """Parse string literals as Velocity 1.7 does: backslashes stay, a doubled quote is one quote."""
    found = version("airspeed")
    if found != AIRSPEED_VERSION:
        raise UnsupportedAirspeedVersionError(
            f"localcloud.vtl patches airspeed {AIRSPEED_VERSION}, but {found} is installed"
        )
    airspeed.StringLiteral.STRING = re.compile(r"'((?:''|[^'])*)'", re.S)
    airspeed.StringLiteral.ESCAPED_CHAR = re.compile(r"'(')")
    airspeed.InterpolatedStringLiteral.STRING = re.compile(r'"((?:\\.|""|[^"\\])*)"', re.S)
    airspeed.InterpolatedStringLiteral.ESCAPED_CHAR = re.compile(r'"(")')


def _java_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    """Java's ``Matcher.replaceAll`` replacement: ``$n`` is a group, ``\\x`` is a literal ``x``."""
    parts = re.findall(r"\\(.)|\$(\d)|([^\\$]+)", replacement, re.S)

    def expand(match: re.Match[str]) -> str:
        return "".join((match.group(int(group)) or "") if group else literal or text for literal, group, text in parts)

    return expand


def _java_string_methods() -> None:
    methods: dict[str, Callable[..., Any]] = airspeed.__additional_methods__[str]
    methods["matches"] = lambda self, pattern: re.fullmatch(pattern, self) is not None
    methods["replaceAll"] = lambda self, pattern, replacement: re.sub(pattern, _java_replacement(replacement), self)
    methods["contains"] = lambda self, value: str(value) in self


use_velocity_string_literals()
_java_string_methods()


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
    """``$input``: the request (or, in a response template, the integration's response with the
    method request's parameters, as on API Gateway)."""

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
        return json.dumps(json_path(self._document(), path), ensure_ascii=False)

    def path(self, path: str) -> Any:
        return json_path(self._document(), path)


_SHORT_ESCAPES = {"\b": "\\b", "\n": "\\n", "\t": "\\t", "\f": "\\f", "\r": "\\r"}
_ESCAPED = {"'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/"}


def escape_javascript(text: Any) -> str:
    """Commons Lang 2 ``StringEscapeUtils.escapeJavaScript``, which ``$util.escapeJavaScript`` is.

    Java strings are UTF-16, so a character outside the BMP becomes its two escaped surrogates.
    """
    out: list[str] = []
    raw = str(text).encode("utf-16-be", "surrogatepass")
    for index in range(0, len(raw), 2):
        unit = int.from_bytes(raw[index : index + 2], "big")
        char = chr(unit)
        if unit > 0x7F:
            out.append(f"\\u{unit:04X}")
        elif unit < 32:
            out.append(_SHORT_ESCAPES.get(char) or f"\\u{unit:04X}")
        else:
            out.append(_ESCAPED.get(char, char))
    return "".join(out)


#: ``$util``, under API Gateway's (camelCase) names.
UTIL: Mapping[str, Callable[..., Any]] = {
    "escapeJavaScript": escape_javascript,
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
