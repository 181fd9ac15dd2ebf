"""Provisioning the program into moto, one module per AWS service (see ``registry.py`` to add one).

``MotoMocks`` (``mocks.py``) creates each declared resource through ``PROVISIONERS``, the service modules' tables
merged; ``base.py`` holds what a provisioner gets (``Context``, ``Declared``) and gives (``Provisioned``).
"""

from __future__ import annotations

from localcloud.clients import Clients
from localcloud.provision.base import Context, Declared, Provisioned, Provisioner
from localcloud.provision.mocks import MotoMocks, ProvisioningError, ReplayMismatchError
from localcloud.provision.registry import PROVISIONERS, SERVICES

__all__ = [
    "PROVISIONERS",
    "SERVICES",
    "Clients",
    "Context",
    "Declared",
    "MotoMocks",
    "Provisioned",
    "Provisioner",
    "ProvisioningError",
    "ReplayMismatchError",
]
