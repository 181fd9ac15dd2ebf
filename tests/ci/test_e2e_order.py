"""The e2e and browser layers' running order (tests/e2e/conftest.py, tests/browser/conftest.py,
tests/shared_cloud.py): (e2e) the modules booting many clouds first, so the longest group does not land last,
then the other modules booting their own, then the modules sharing the worker's cloud, whose tests spread over
both workers to the layer's end; (browser) the whole layer in one xdist group (one worker, one Chromium), its
module with a cloud of its own first, sent out with the e2e layer's first tests; the tests of other layers keep
their places."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from tests import shared_cloud
from tests.browser import conftest as browser_layer
from tests.e2e import conftest as e2e
from tests.layer_session import group_of

E2E = Path(e2e.__file__).parent


@dataclass
class FakeItem:
    """What the ordering reads of a test: its path and its module's marks."""

    name: str
    path: Path
    marks: set[str] = field(default_factory=set)
    added: list[pytest.MarkDecorator] = field(default_factory=list)

    @property
    def nodeid(self) -> str:
        return f"tests/{self.path.parent.name}/{self.path.name}::test_{self.name}"

    def get_closest_marker(self, name: str) -> Any:
        added = [marker.mark for marker in self.added if marker.name == name]
        return added[-1] if added else name if name in self.marks else None

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.added.append(marker)


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


def test_the_browser_layer_goes_to_one_worker_with_the_e2e_layers_first_tests_its_own_cloud_first() -> None:
    browser = E2E.parent / "browser"
    items = [
        item("unit_first", layer=E2E.parent / "unit"),
        item("e2e_boots", e2e.MANY_BOOTS),
        item("e2e_shared", shared_cloud.SHARED_CLOUD),
        item("storefront", shared_cloud.SHARED_CLOUD, layer=browser),
        item("journey", layer=browser),
        item("cors", shared_cloud.SHARED_CLOUD, layer=browser),
    ]

    browser_layer.pytest_collection_modifyitems(cast("list[pytest.Item]", items))

    names = [fake.name for fake in items]
    assert names == ["unit_first", "journey", "storefront", "cors", "e2e_boots", "e2e_shared"]
    groups = {fake.name: group_of(cast("pytest.Item", fake)) for fake in items}
    assert {name for name, group in groups.items() if group == "browser"} == {"journey", "storefront", "cors"}
    assert {name for name, group in groups.items() if group is None} == {"unit_first", "e2e_boots", "e2e_shared"}


def test_without_e2e_tests_the_browser_layer_keeps_its_place() -> None:
    browser = E2E.parent / "browser"
    items = [item("unit_first", layer=E2E.parent / "unit"), item("journey", layer=browser)]

    browser_layer.pytest_collection_modifyitems(cast("list[pytest.Item]", items))

    assert [fake.name for fake in items] == ["unit_first", "journey"]


def test_an_xdist_group_without_a_name_is_refused_naming_the_test() -> None:
    unnamed = item("journey", layer=E2E.parent / "browser")
    unnamed.add_marker(pytest.mark.xdist_group())

    with pytest.raises(pytest.UsageError, match=r"tests/browser/test_journey.py::test_journey: xdist_group needs a"):
        group_of(cast("pytest.Item", unnamed))


def test_only_the_module_serving_the_websocket_api_keeps_a_browser_cloud_of_its_own() -> None:
    browser = E2E.parent / "browser"
    modules = sorted(browser.glob("test_*.py"))
    own = [path.name for path in modules if "pytest.mark.shared_cloud" not in path.read_text()]
    assert own == ["test_journey.py"]
    assert "shared_cloud.own_cloud()" in (browser / "test_journey.py").read_text()
