"""Each setting is declared once, as a field of a settings dataclass that names its config key and kind.

The declaration yields everything else: the reader (`read_settings`), the check that refuses keys nobody
declared, and the list of keys the program reads (`declared_keys`). A kind turns a raw value (config text at
the top level, JSON inside an object) into a typed one, or records a problem naming the full key and returns
a stand-in, so every problem of a stack file is reported at once.

    @dataclass(frozen=True, kw_only=True)
    class ReminderSettings:
        delay_minutes: int = setting("delayMinutes", Integer(1, 10080))
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

#: The metadata key under which a dataclass field carries its `Setting`.
_SPEC = "setting"


class Problems(list[str]):
    """Every problem found so far, each line naming its key."""

    def add(self, key: str, message: str) -> None:
        self.append(f"{key}: {message}")


class Kind(Protocol):
    """How one setting's raw value becomes a typed value."""

    def read(self, problems: Problems, key: str, value: Any) -> Any:
        """The typed value, or (after recording a problem naming `key`) the fallback."""

    @property
    def fallback(self) -> Any:
        """A stand-in for an invalid value, so reading can go on and find the next problem."""


@dataclass(frozen=True)
class Setting:
    """A config key (`logLevel`; `aws:region` when it lives in another namespace) and its kind."""

    name: str
    kind: Kind


def setting(name: str, kind: Kind) -> Any:
    """Declares a settings dataclass field read from the config key `name` as `kind`."""
    return dataclasses.field(metadata={_SPEC: Setting(name, kind)})


def declared(cls: type) -> list[tuple[str, Setting]]:
    """The (attribute, setting) pairs a settings dataclass declares, in declaration order."""
    return [(field.name, field.metadata[_SPEC]) for field in dataclasses.fields(cls) if _SPEC in field.metadata]


@dataclass(frozen=True)
class Integer:
    low: int
    high: int
    allowed: frozenset[int] | None = None

    @property
    def fallback(self) -> int:
        return self.low

    def read(self, problems: Problems, key: str, value: Any) -> int:
        try:
            number = int(str(value))
        except ValueError:
            problems.add(key, f"must be a whole number, got {value!r}")
            return self.low
        if self.allowed is not None and number not in self.allowed:
            problems.add(key, f"must be one of {', '.join(map(str, sorted(self.allowed)))}, got {number}")
        elif not self.low <= number <= self.high:
            problems.add(key, f"must be between {self.low} and {self.high}, got {number}")
        return number


@dataclass(frozen=True)
class Number:
    low: float
    high: float

    @property
    def fallback(self) -> float:
        return self.low

    def read(self, problems: Problems, key: str, value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            problems.add(key, f"must be a number, got {value!r}")
            return self.low
        if not self.low <= number <= self.high:
            problems.add(key, f"must be between {self.low:g} and {self.high:g}, got {number:g}")
        return number


@dataclass(frozen=True)
class Flag:
    fallback: bool = False

    def read(self, problems: Problems, key: str, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text not in ("true", "false"):
            problems.add(key, f"must be true or false, got {value!r}")
            return False
        return text == "true"


@dataclass(frozen=True)
class Choice:
    choices: tuple[str, ...]

    @property
    def fallback(self) -> str:
        return self.choices[0]

    def read(self, problems: Problems, key: str, value: Any) -> str:
        if value not in self.choices:
            problems.add(key, f"must be one of {', '.join(self.choices)}, got {value!r}")
            return self.choices[0]
        return str(value)


@dataclass(frozen=True)
class Text:
    """Text matching `pattern`; `expected` says what that is in words, for the message."""

    pattern: re.Pattern[str]
    expected: str
    fallback: str = ""

    def read(self, problems: Problems, key: str, value: Any) -> str:
        if not isinstance(value, str) or not self.pattern.match(value):
            problems.add(key, f"must be {self.expected}, got {value!r}")
            return value if isinstance(value, str) else ""
        return value


@dataclass(frozen=True)
class TextList:
    """A list whose every entry is text matching `pattern`."""

    pattern: re.Pattern[str]
    expected: str

    @property
    def fallback(self) -> tuple[str, ...]:
        return ()

    def read(self, problems: Problems, key: str, value: Any) -> tuple[str, ...]:
        value = _parsed(value)
        if not isinstance(value, list):
            problems.add(key, f"must be a list, got {value!r}")
            return ()
        for item in value:
            if not isinstance(item, str) or not self.pattern.match(item):
                problems.add(key, f"every entry must be {self.expected}, got {item!r}")
        return tuple(str(item) for item in value)


@dataclass(frozen=True)
class Section:
    """An object whose fields are the settings `cls` declares; a key it does not declare is refused."""

    cls: type

    @property
    def fallback(self) -> Any:
        return self.cls(**{attribute: spec.kind.fallback for attribute, spec in declared(self.cls)})

    def read(self, problems: Problems, key: str, value: Any) -> Any:
        parsed = _parsed(value)
        if not isinstance(parsed, dict):
            problems.add(key, f"must be an object, got {value!r}")
            return self.fallback
        return self.cls(**read_fields(self.cls, problems, parsed, lambda name: f"{key}.{name}"))


def _parsed(value: Any) -> Any:
    """Config text holds objects and lists as JSON; inside an object they are already parsed."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def read_fields(cls: type, problems: Problems, values: Mapping[str, Any], full_key: Any) -> dict[str, Any]:
    """Reads every setting `cls` declares from `values` (keyed by setting name), and refuses the rest.

    `full_key(name)` is the key a message names (`eventshop:consumers.batchSize`).
    """
    known = {spec.name for _, spec in declared(cls)}
    for name in sorted(set(values) - known):
        problems.add(full_key(name), f"is not a known setting (known: {', '.join(sorted(known))})")
    read: dict[str, Any] = {}
    for attribute, spec in declared(cls):
        value = values.get(spec.name)
        if value is None or value == "":
            problems.add(full_key(spec.name), "is required but missing")
            read[attribute] = spec.kind.fallback
        else:
            read[attribute] = spec.kind.read(problems, full_key(spec.name), value)
    return read


def declared_keys(cls: type, namespace: str) -> tuple[str, ...]:
    """Every top-level config key `cls` declares, a bare name placed in `namespace` (`logLevel` ->
    `eventshop:logLevel`), a namespaced one (`aws:region`) as it is."""
    return tuple(_in_namespace(spec.name, namespace) for _, spec in declared(cls))


def read_settings(cls: type, problems: Problems, config: Mapping[str, str], namespace: str) -> dict[str, Any]:
    """Reads the top-level settings `cls` declares from config keyed like a stack file
    (`<namespace>:logLevel`, `aws:region`); a key of `namespace` that `cls` does not declare is refused.
    Keys of other namespaces (the provider's, the engine's) are left to their owners."""
    others = {spec.name for _, spec in declared(cls) if ":" in spec.name}
    values = {
        key.removeprefix(f"{namespace}:"): value
        for key, value in config.items()
        if key.startswith(f"{namespace}:") or key in others
    }
    return read_fields(cls, problems, values, lambda name: _in_namespace(name, namespace))


def _in_namespace(name: str, namespace: str) -> str:
    return name if ":" in name else f"{namespace}:{name}"
