"""What moto loads at import that the local cloud never reads: loaded on demand instead, to keep the boot small.

moto's EC2 models come in with Step Functions (its Batch integration imports ``moto.batch``, which imports
``moto.ec2``), and ``moto.ec2.models.instance_types`` parses every region's instance type offerings at import:
three location types times every region, ~45 MiB of small dicts held for the life of the process. The program
deploys nothing on EC2. ``install()`` swaps each location type's table for ``RegionOfferings``, which reads a
region's file the first time that region is asked for (the same file, with the same ``LocationType`` added), so
``DescribeInstanceTypeOfferings`` and the other readers answer exactly as before, in every region.

The local cloud no longer imports EC2 at all (``deferred_imports``): the swap is made when something imports
moto's instance types, if ever.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from importlib import resources
from types import ModuleType
from typing import Any

from moto.utilities.utils import load_resource

from localcloud import deferred_imports

#: The module whose table is swapped; not imported here, so that the local cloud does not import EC2.
INSTANCE_TYPES_MODULE = "moto.ec2.models.instance_types"

#: Where moto keeps the offerings, relative to its package: ``<location type>/<region>.json[.gz]``.
OFFERINGS_DIRECTORY = "ec2/resources/instance_type_offerings"


class RegionOfferings(Mapping[str, list[dict[str, Any]]]):
    """One location type's offerings by region, each region's file read on first use and kept."""

    def __init__(self, location_type: str) -> None:
        self.location_type = location_type
        folder = resources.files("moto") / OFFERINGS_DIRECTORY / location_type
        self._regions = sorted(entry.name.split(".")[0] for entry in folder.iterdir())
        self._loaded: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def __getitem__(self, region: str) -> list[dict[str, Any]]:
        if region not in self._regions:
            raise KeyError(region)
        with self._lock:
            offerings = self._loaded.get(region)
            if offerings is None:
                offerings = load_resource(f"{OFFERINGS_DIRECTORY}/{self.location_type}/{region}.json")
                for offering in offerings:
                    offering["LocationType"] = self.location_type
                self._loaded[region] = offerings
            return offerings

    def __contains__(self, region: object) -> bool:
        return region in self._regions

    def __iter__(self) -> Iterator[str]:
        return iter(self._regions)

    def __len__(self) -> int:
        return len(self._regions)

    def loaded_regions(self) -> list[str]:
        """The regions read so far (for tests: only those something asked for)."""
        with self._lock:
            return sorted(self._loaded)


def install() -> None:
    """Replace moto's eagerly loaded offerings with on-demand ones (once per process; the tables moto loaded at
    import are released here), now if EC2's models are imported, else once they are. The replacement answers as the
    original did, so it is never put back."""
    deferred_imports.after_import(INSTANCE_TYPES_MODULE, _swap_offerings)


def _swap_offerings(instance_types: ModuleType) -> None:
    table: dict[str, Any] = instance_types.INSTANCE_TYPE_OFFERINGS
    for location_type in list(table):
        if not isinstance(table[location_type], RegionOfferings):
            table[location_type] = RegionOfferings(location_type)
