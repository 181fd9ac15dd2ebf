"""localcloud.moto_footprint: moto's EC2 instance type offerings are read per region on demand, and answer as moto's
eagerly loaded tables did."""

from __future__ import annotations

from importlib import resources

import boto3
import pytest
from moto import mock_aws
from moto.utilities.utils import load_resource

from localcloud import moto_footprint
from localcloud.moto_footprint import OFFERINGS_DIRECTORY, RegionOfferings

REGION = "eu-west-1"


def _eager(location_type: str, region: str) -> list[dict[str, object]]:
    """What moto's import-time loop builds for one region."""
    offerings = load_resource(f"{OFFERINGS_DIRECTORY}/{location_type}/{region}.json")
    for offering in offerings:
        offering["LocationType"] = location_type
    return list(offerings)


def test_a_region_reads_its_file_on_first_use_only() -> None:
    offerings = RegionOfferings("availability-zone")
    assert offerings.loaded_regions() == []
    assert REGION in offerings and "us-east-1" in offerings
    assert offerings.loaded_regions() == []  # knowing which regions exist reads no file
    first = offerings[REGION]
    assert offerings.loaded_regions() == [REGION]
    assert offerings[REGION] is first  # read once, then kept


@pytest.mark.parametrize("location_type", ["region", "availability-zone", "availability-zone-id"])
def test_every_region_answers_as_moto_loaded_it(location_type: str) -> None:
    offerings = RegionOfferings(location_type)
    folder = resources.files("moto") / OFFERINGS_DIRECTORY / location_type
    regions = sorted(entry.name.split(".")[0] for entry in folder.iterdir())
    assert list(offerings) == regions and len(offerings) == len(regions) > 10
    for region in ("us-east-1", REGION, regions[-1]):
        assert offerings[region] == _eager(location_type, region)


def test_an_unknown_region_is_missing_as_before() -> None:
    offerings = RegionOfferings("region")
    assert offerings.get("mars-north-1") is None
    with pytest.raises(KeyError, match="mars-north-1"):
        offerings["mars-north-1"]


def test_install_swaps_moto_tables_and_the_ec2_api_still_answers() -> None:
    # Imported here, before the install, as a process that loaded EC2 eagerly would have it; at the top it
    # would cost every test process about half a second of collection for this one test.
    from moto.ec2.models import instance_types  # noqa: PLC0415

    moto_footprint.install()
    moto_footprint.install()  # idempotent: a second cloud in the process keeps the same tables
    tables = instance_types.INSTANCE_TYPE_OFFERINGS
    assert set(tables) == {"region", "availability-zone", "availability-zone-id"}
    assert all(isinstance(table, RegionOfferings) for table in tables.values())
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        answered = ec2.describe_instance_type_offerings(LocationType="availability-zone")["InstanceTypeOfferings"]
        by_type = ec2.describe_instance_type_offerings(Filters=[{"Name": "instance-type", "Values": ["t3.micro"]}])[
            "InstanceTypeOfferings"
        ]
    expected = _eager("availability-zone", REGION)
    assert len(answered) == len(expected) > 0
    assert {(o["InstanceType"], o["Location"]) for o in answered} == {
        (str(o["InstanceType"]), str(o["Location"])) for o in expected
    }
    assert [o["Location"] for o in by_type] == [REGION]
    loaded = {location_type: table.loaded_regions() for location_type, table in tables.items()}
    assert REGION in loaded["availability-zone"] and REGION in loaded["region"]
