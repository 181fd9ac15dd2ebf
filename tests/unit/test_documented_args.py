"""Every args class in components/ (every dataclass a component takes, found by walking the package, not
listed by hand) documents each of its fields as `name: ...`, and says `default X` exactly where the code
has a default, with the code's value."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import re
from typing import Any

import pytest

import components


def args_classes() -> list[type]:
    found: dict[str, type] = {}
    for module_info in pkgutil.iter_modules(components.__path__, prefix="components."):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[key] for key in sorted(found)]


def entries(doc: str, names: list[str]) -> dict[str, str]:
    """Each field's entry: from `name:` to the next field's `name:` (or the end)."""
    starts = {}
    for name in names:
        match = re.search(rf"(?<![\w.`]){re.escape(name)}:\s", doc)
        if match:
            starts[name] = match.start()
    ordered = sorted(starts.items(), key=lambda item: item[1])
    ends = [*(start for _, start in ordered[1:]), len(doc)][: len(ordered)]
    return {name: doc[start:end] for (name, start), end in zip(ordered, ends, strict=True)}


def default_of(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def matches_tuple(token: str, value: Any) -> bool:
    """A tuple literal, `("a", "b")`, states a non-empty tuple default exactly."""
    try:
        literal = ast.literal_eval(token)
    except (ValueError, SyntaxError):
        return False
    return isinstance(value, tuple) and value == literal


def matches(documented: str, value: Any) -> bool:
    token = documented.strip("`'\"")
    if token in ("none", "None"):
        return value is None or (isinstance(value, tuple | list | dict | str) and not value)
    if token in ("True", "False"):
        return value is (token == "True")
    if token.isdigit():
        return not isinstance(value, bool) and value == int(token)
    if token.endswith("()"):
        return type(value).__name__ == token[:-2] and value == type(value)()
    if token.startswith("("):
        return matches_tuple(token, value)
    return isinstance(value, str) and value == token


def problems_of(cls: type) -> list[str]:
    fields = dataclasses.fields(cls)
    doc = inspect.cleandoc(cls.__doc__ or "")
    found = entries(doc, [f.name for f in fields])
    problems = []
    for field in fields:
        entry = found.get(field.name)
        if entry is None:
            problems.append(f"{field.name}: not documented (`{field.name}: ...`)")
            continue
        # The last `default X` of the entry: "(the default bus), default False" states False.
        statements = list(re.finditer(r"\bdefault (`[^`]+`|[^\s,.;)]+)", entry))
        stated = statements[-1] if statements else None
        value = default_of(field)
        if value is dataclasses.MISSING:
            if stated:
                problems.append(f"{field.name}: documented default {stated.group(1)}, but the field is required")
        elif not stated:
            problems.append(f"{field.name}: the code's default {value!r} is not documented")
        elif not matches(stated.group(1), value):
            problems.append(f"{field.name}: documented default {stated.group(1)}, code {value!r}")
    return problems


ARGS_CLASSES = args_classes()


def test_the_walk_finds_every_components_args_class() -> None:
    names = {cls.__name__ for cls in ARGS_CLASSES}
    assert {"QueuedConsumerArgs", "RuleDeliveryArgs", "ScheduleTargetArgs", "WorkflowArgs", "Batching"} <= names
    assert len(ARGS_CLASSES) >= 25


@pytest.mark.parametrize("args_class", ARGS_CLASSES, ids=lambda cls: cls.__name__)
def test_every_field_is_documented_with_the_codes_default(args_class: type) -> None:
    assert problems_of(args_class) == []


def test_a_drifted_default_is_caught() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Drifted:
        """size: messages per batch, default 10. name: what it is called.
        groups: which groups, default `("a", "b")`. kept: what stays, default `("a",)`.
        """

        size: int = 5
        name: str = "x"
        unlisted: int = 1
        groups: tuple[str, ...] = ("a",)
        kept: tuple[str, ...] = ("a",)

    assert problems_of(Drifted) == [
        "size: documented default 10, code 5",
        "name: the code's default 'x' is not documented",
        "unlisted: not documented (`unlisted: ...`)",
        """groups: documented default `("a", "b")`, code ('a',)""",
    ]
