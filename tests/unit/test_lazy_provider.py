"""devtools.lazy_provider: a service package of the provider SDK answers every name with the object an eager import
gives, imports only the modules asked for, and a package it cannot read ahead is imported as usual."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from devtools import lazy_provider
from devtools.program import ROOT
from tests.forked_probes import Probe, run_forked

#: Packages the program uses, among them name clashes between modules (cloudwatch), Args classes imported by name
#: (wafv2), a package named after a keyword (lambda_); ``config`` is not a star-importing package.
PACKAGES = ("cloudwatch", "wafv2", "lambda_", "config")

_DESCRIBE = """
import json, sys
{setup}
import pulumi_aws
described, unused_imported = {{}}, None
if {lazy}:
    pulumi_aws.cloudwatch.MetricAlarm
    unused_imported = "pulumi_aws.cloudwatch.composite_alarm" in sys.modules
    used_imported = "pulumi_aws.cloudwatch.metric_alarm" in sys.modules
for package in {packages!r}:
    module = getattr(pulumi_aws, package)
    hasattr(module, "_utilities")  # the first attribute read loads a package pulumi_aws defers
    names = {{}}
    for name in dir(module):
        if name.startswith("__"):
            continue
        value = getattr(module, name)
        if isinstance(value, type(sys)):
            names[name] = value.__name__
        else:
            qualname = getattr(value, "__qualname__", type(value).__qualname__)
            names[name] = f"{{getattr(value, '__module__', '')}}:{{qualname}}"
    described[package] = {{"names": names, "type": type(module).__name__}}
used = {lazy} and used_imported
print(json.dumps({{"described": described, "unused_imported": unused_imported, "used_imported": used}}))
"""


#: What both probes do first, lazy or eager: ``pulumi_aws`` imports the Pulumi SDK before anything of its own, and the
#: lazy finder concerns ``pulumi_aws``'s service packages only, so one interpreter imports the SDK and forks both
#: probes (tests/forked_probes.py). The probes live a second and keep what they make: the cyclic garbage collector
#: is off, which changes nothing they import or describe.
PRELUDE = "import gc\ngc.disable()\nimport pulumi"


def _describe() -> dict[bool, dict[str, object]]:
    """What each way of importing the provider SDK answers, lazy (devtools imported first) and eager."""
    probes = []
    for lazy in (True, False):
        setup = "import devtools" if lazy else "import sys; assert 'devtools' not in sys.modules"
        probes.append(Probe(f"lazy={lazy}", _DESCRIBE.format(setup=setup, lazy=lazy, packages=PACKAGES)))
    finished = run_forked(PRELUDE, probes, cwd=ROOT, environment=os.environ)
    described: dict[bool, dict[str, object]] = {}
    for lazy in (True, False):
        probe = finished[f"lazy={lazy}"]
        assert probe.returncode == 0, probe.stderr[-2000:]
        described[lazy] = json.loads(probe.stdout)
    return described


def test_service_packages_answer_as_an_eager_import_and_import_only_what_is_asked() -> None:
    described_by_mode = _describe()
    lazy, eager = described_by_mode[True], described_by_mode[False]
    assert lazy["described"] == eager["described"]
    assert lazy["unused_imported"] is False
    assert lazy["used_imported"] is True
    described = eager["described"]
    assert isinstance(described, dict)
    assert described["config"]["type"] == "_ExportableConfig"  # its own __init__ ran
    assert described["wafv2"]["names"]["WebAclDefaultActionAllowArgs"] == (
        "pulumi_aws.wafv2._inputs:WebAclDefaultActionAllowArgs"
    )
    assert described["cloudwatch"]["names"]["metric_alarm"] == "pulumi_aws.cloudwatch.metric_alarm"
    assert described["cloudwatch"]["names"]["get_event_bus"] == "pulumi_aws.cloudwatch.get_event_bus:get_event_bus"


@pytest.fixture
def package_directory(tmp_path: Path) -> Path:
    directory = tmp_path / "servicepkg"
    directory.mkdir()
    (directory / "__init__.py").write_text(
        "# generated\nimport builtins as _builtins\nfrom .. import _utilities\nimport typing\n"
        "from .alpha import *\nfrom .beta import *\nfrom . import outputs\n"
    )
    (directory / "alpha.py").write_text("__all__ = ['A', 'Shared']\nA = 'alpha A'\nShared = 'alpha'\n")
    (directory / "beta.py").write_text(
        "import typing\n__all__ = [\n    'B',\n    'Shared',\n    'beta',\n]\n"
        "B = 'beta B'\nShared = 'beta'\ndef beta() -> str:\n    return 'the function'\n"
    )
    (directory / "outputs.py").write_text("")
    return directory


def test_exports_names_each_name_s_module_the_last_one_winning(package_directory: Path) -> None:
    assert lazy_provider.exports(package_directory) == {
        "alpha": ("alpha", False),
        "beta": ("beta", True),  # beta exports a name "beta", which replaces the module as the package's attribute
        "outputs": ("outputs", False),
        "A": ("alpha", True),
        "B": ("beta", True),
        "Shared": ("beta", True),
    }


def test_a_package_without_outputs_exports_none(package_directory: Path) -> None:
    (package_directory / "__init__.py").write_text("from .alpha import *\n")
    assert lazy_provider.exports(package_directory) == {
        "alpha": ("alpha", False),
        "A": ("alpha", True),
        "Shared": ("alpha", True),
    }


def test_a_package_that_does_more_than_star_import_is_not_read_ahead(package_directory: Path) -> None:
    init = package_directory / "__init__.py"
    init.write_text(init.read_text() + "register_something()\n")
    assert lazy_provider.exports(package_directory) is None
    init.write_text("from .gamma import *\n")
    (package_directory / "gamma.py").write_text("G = 1\n")  # no __all__: every public name is exported
    assert lazy_provider.exports(package_directory) is None


@pytest.fixture
def loaded(package_directory: Path) -> Iterator[ModuleType]:
    name = "servicepkg"
    spec = importlib.util.spec_from_file_location(
        name, package_directory / "__init__.py", submodule_search_locations=[str(package_directory)]
    )
    assert spec is not None and spec.loader is not None
    spec.loader = lazy_provider._ServicePackageLoader(spec.loader, package_directory)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        for imported in [key for key in sys.modules if key == name or key.startswith(f"{name}.")]:
            del sys.modules[imported]


def test_a_name_imports_only_its_module(loaded: ModuleType) -> None:
    assert "servicepkg.alpha" not in sys.modules
    assert loaded.A == "alpha A"
    assert "servicepkg.alpha" in sys.modules
    assert "servicepkg.beta" not in sys.modules
    assert loaded.Shared == "beta"
    assert loaded.alpha is sys.modules["servicepkg.alpha"]
    assert loaded.beta() == "the function"
    assert {"A", "B", "Shared", "alpha", "outputs"} <= set(dir(loaded))


def test_an_unknown_name_is_an_attribute_error_naming_the_package(loaded: ModuleType) -> None:
    with pytest.raises(AttributeError, match="module 'servicepkg' has no attribute 'Missing'"):
        _ = loaded.Missing
    assert not hasattr(loaded, "Missing")


def test_the_finder_is_installed_in_the_tools_processes() -> None:
    assert lazy_provider.installed()
