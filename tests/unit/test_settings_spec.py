"""Each setting is declared once: the declaration yields the reader, the unknown-key check and the key list."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass

import pytest

from devtools.program import load_stack_config, project_name, run_program
from settings import SETTING_KEYS, Settings, SettingsError, setting_keys, settings_from_config
from settings.spec import Choice, Integer, Problems, Section, TextList, declared, setting


@dataclass(frozen=True, kw_only=True)
class LoyaltySettings:
    """A section as a new service would declare it."""

    points_per_euro: int = setting("pointsPerEuro", Integer(1, 100))
    tier: str = setting("tier", Choice(("silver", "gold")))
    partners: tuple[str, ...] = setting("partners", TextList(re.compile(r"^[a-z]+$"), "a lower-case word"))


def read(value: object) -> tuple[object, list[str]]:
    problems = Problems()
    return Section(LoyaltySettings).read(problems, "shop:loyalty", value), list(problems)


def test_one_declaration_reads_a_section_into_its_typed_dataclass() -> None:
    value, problems = read(json.dumps({"pointsPerEuro": 3, "tier": "gold", "partners": ["air"]}))

    assert problems == []
    assert value == LoyaltySettings(points_per_euro=3, tier="gold", partners=("air",))


def test_one_declaration_names_every_missing_unknown_and_invalid_key_of_a_section() -> None:
    _, problems = read({"pointsPerEuro": 0, "partners": ["Air", 7], "bonus": 1})

    assert problems == [
        "shop:loyalty.bonus: is not a known setting (known: partners, pointsPerEuro, tier)",
        "shop:loyalty.pointsPerEuro: must be between 1 and 100, got 0",
        "shop:loyalty.tier: is required but missing",
        "shop:loyalty.partners: every entry must be a lower-case word, got 'Air'",
        "shop:loyalty.partners: every entry must be a lower-case word, got 7",
    ]


def test_a_section_that_is_not_an_object_is_one_problem_not_one_per_field() -> None:
    value, problems = read("[1, 2]")

    assert problems == ["shop:loyalty: must be an object, got '[1, 2]'"]
    assert value == LoyaltySettings(points_per_euro=1, tier="silver", partners=())


def test_every_settings_field_but_the_stack_and_namespace_is_declared_with_its_key() -> None:
    sections = [Settings, *(spec.kind.cls for _, spec in declared(Settings) if isinstance(spec.kind, Section))]
    undeclared = [
        f"{cls.__name__}.{field.name}"
        for cls in sections
        for field in dataclasses.fields(cls)
        if "setting" not in field.metadata and (cls, field.name) not in {(Settings, "stack"), (Settings, "namespace")}
    ]

    assert undeclared == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_declared_keys_are_exactly_the_keys_each_stack_file_sets(stack: str) -> None:
    project = project_name()
    in_file = {key for key in load_stack_config(stack) if not key.startswith("pulumi:")}

    assert in_file == set(setting_keys(project))
    assert setting_keys(project) == tuple(key if ":" in key else f"{project}:{key}" for key in SETTING_KEYS)


def test_a_misspelt_top_level_key_is_refused_naming_it_and_the_stack() -> None:
    config = load_stack_config("dev") | {"eventshop:logRetensionDays": "7"}

    with pytest.raises(SettingsError, match=r"stack 'dev'") as error:
        settings_from_config("dev", config)
    assert "eventshop:logRetensionDays: is not a known setting (known: " in str(error.value)


def test_the_program_refuses_a_key_its_settings_do_not_declare() -> None:
    config = load_stack_config("dev") | {"eventshop:remindersDelay": "5"}

    with pytest.raises(Exception, match=r"eventshop:remindersDelay: is not a known setting"):
        run_program("dev", config=config)
