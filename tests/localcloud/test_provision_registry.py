"""The provisioning package: one module per AWS service, each registered once, no type claimed twice."""

from __future__ import annotations

import pkgutil
import types

import pytest

from localcloud import provision
from localcloud.provision import registry
from localcloud.provision.base import Context, Declared, Provisioned

#: Modules of the package that hold no service's provisioners.
NOT_SERVICES = {"base", "mocks", "registry"}


def test_every_service_module_in_the_package_is_registered() -> None:
    modules = {info.name for info in pkgutil.iter_modules(provision.__path__)} - NOT_SERVICES
    registered = {service.__name__.rsplit(".", 1)[-1] for service in registry.SERVICES}

    assert modules == registered, "a service module is missing from registry.SERVICES (or listed but gone)"


def test_the_merged_table_is_every_service_table() -> None:
    tables = [service.PROVISIONERS for service in registry.SERVICES]

    assert all(tables), "a registered service module provisions nothing"
    assert len(provision.PROVISIONERS) == sum(len(table) for table in tables)
    for table in tables:
        assert all(provision.PROVISIONERS[token] is provisioner for token, provisioner in table.items())


def _noop(_: Context, resource: Declared) -> Provisioned:
    return resource.name, {}


def test_a_type_claimed_by_two_services_is_refused_naming_both() -> None:
    first = types.ModuleType("localcloud.provision.first")
    second = types.ModuleType("localcloud.provision.second")
    first.PROVISIONERS = {"aws:x/thing:Thing": _noop}  # type: ignore[attr-defined]
    second.PROVISIONERS = {"aws:x/thing:Thing": _noop}  # type: ignore[attr-defined]

    both = r"aws:x/thing:Thing is provisioned by both localcloud\.provision\.first and localcloud\.provision\.second"
    with pytest.raises(registry.DuplicateProvisionerError, match=both):
        registry.merged([first, second])
