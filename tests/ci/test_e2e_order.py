"""The e2e and browser layers' running order (tests/e2e/conftest.py, tests/shared_cloud.py): (e2e) the modules
booting many clouds first, so the longest group does not land last, then the other modules booting their own,
then the modules sharing the worker's cloud, whose tests spread over both workers to the layer's end and run
on into the next layer's sharing modules; the tests of other layers keep their places."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from tests import shared_cloud
from tests.e2e import conftest as e2e

E2E = Path(e2e.__file__).parent


@dataclass
class FakeItem:
    """What the ordering reads of a test: its path and its module's marks."""

    name: str
    path: Path
    marks: set[str] = field(default_factory=set)

    def get_closest_marker(self, name: str) -> Any:
        return name if name in self.marks else None


def item(name: str, *marks: str, layer: Path = E2E) -> FakeItem:
    return FakeItem(name, layer / f"test_{name}.py", set(marks))


def test_many_boots_then_the_other_own_clouds_then_sharing_modules_and_other_layers_keep_their_places() -> None:
    items = [
        item("unit_first", layer=E2E.parent / "unit"),
        item("own_a"),
        item("boots_a", e2e.MANY_BOOTS),
        item("shared_a", shared_cloud.SHARED_CLOUD),
        item("own_b"),
        item("shared_b", shared_cloud.SHARED_CLOUD),
        item("browser_last", layer=E2E.parent / "browser"),
    ]

    e2e.pytest_collection_modifyitems(cast("list[pytest.Item]", items))

    assert [fake.name for fake in items] == [
        "unit_first",
        "boots_a",
        "own_a",
        "own_b",
        "shared_a",
        "shared_b",
        "browser_last",
    ]


def test_the_deploy_cache_module_is_marked_as_booting_many_clouds() -> None:
    text = (E2E / "test_deploy_cache.py").read_text()
    assert f"pytestmark = pytest.mark.{e2e.MANY_BOOTS}" in text


def test_the_browser_layer_runs_its_sharing_modules_last_and_other_layers_keep_their_places() -> None:
    browser = E2E.parent / "browser"
    items = [
        item("e2e_shared", shared_cloud.SHARED_CLOUD),
        item("journey", layer=browser),
        item("storefront", shared_cloud.SHARED_CLOUD, layer=browser),
        item("cors", shared_cloud.SHARED_CLOUD, layer=browser),
        item("e2e_own"),
    ]

    shared_cloud.own_clouds_first(cast("list[pytest.Item]", items), browser)

    assert [fake.name for fake in items] == ["e2e_shared", "journey", "storefront", "cors", "e2e_own"]


def test_only_the_module_serving_the_websocket_api_keeps_a_browser_cloud_of_its_own() -> None:
    browser = E2E.parent / "browser"
    modules = sorted(browser.glob("test_*.py"))
    own = [path.name for path in modules if "pytest.mark.shared_cloud" not in path.read_text()]
    assert own == ["test_journey.py"]
    assert "shared_cloud.own_cloud()" in (browser / "test_journey.py").read_text()
