"""Seeding and inspection: typed, read-only records; consistent snapshots; bad seeds rejected."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from botostub_ec2 import Ec2Stub, ImageRecord, SeedError

HEX17 = re.compile(r"^ami-[0-9a-f]{17}$")


def test_defaults():
    stub = Ec2Stub()
    image = stub.add_image("web-2024-01", tags={"team": "web"})
    assert isinstance(image, ImageRecord)
    assert HEX17.match(image.image_id)
    assert image.state == "available"
    assert image.owner_id == "123456789012" and image.region == "us-east-1"
    assert image.root_device_type == "ebs"
    assert len(image.snapshot_ids) == 1 and image.snapshot_ids[0].startswith("snap-")
    assert dict(image.tags) == {"team": "web"}
    assert stub.image(image.image_id) == image
    snapshot = stub.snapshot(image.snapshot_ids[0])
    assert snapshot.owner_id == image.owner_id and snapshot.state == "completed"
    assert snapshot.description.endswith(f"for {image.image_id}")


def test_records_are_read_only_views():
    stub = Ec2Stub()
    image = stub.add_image("web", tags={"team": "web"})
    with pytest.raises(AttributeError):
        image.state = "deregistered"  # type: ignore[misc]
    with pytest.raises(TypeError):
        image.tags["team"] = "other"  # type: ignore[index]
    assert stub.image(image.image_id).state == "available"


def test_seed_fields():
    stub = Ec2Stub()
    created = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    image = stub.add_image(
        "al2023", owner_id="137112412989", public=True, shared_with=["111122223333"],
        state="disabled", snapshots=3, volume_size=30, creation_date=created,
        description="Amazon Linux", deregistration_protection="enabled-with-cooldown",
        architecture="arm64", platform="windows", region="eu-west-1",
    )
    assert image.owner_alias == "amazon"
    assert image.public and image.shared_with == ("111122223333",)
    assert image.state == "disabled"
    assert len(image.snapshot_ids) == 3
    assert [d.device_name for d in image.block_devices] == ["/dev/xvda", "/dev/sdb", "/dev/sdc"]
    assert {d.volume_size for d in image.block_devices} == {30}
    assert image.creation_date == created
    assert image.deregistration_protection == "enabled-with-cooldown"
    assert stub.image(image.image_id) == image  # found in another region without saying which
    assert stub.image(image.image_id, region="us-east-1") is None


def test_creation_date_accepts_iso_strings_and_naive_datetimes():
    stub = Ec2Stub()
    a = stub.add_image("img-a", creation_date="2024-05-01T10:00:00Z")
    b = stub.add_image("img-b", creation_date=datetime(2024, 5, 1, 10))
    assert a.creation_date == b.creation_date == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)


def test_shared_snapshot_ids():
    stub = Ec2Stub()
    first = stub.add_image("img-a", snapshots=2)
    second = stub.add_image("img-b", snapshot_ids=[first.snapshot_ids[0], "snap-0123456789abcdef0"])
    assert second.snapshot_ids == [first.snapshot_ids[0], "snap-0123456789abcdef0"]
    assert stub.snapshot("snap-0123456789abcdef0") is not None
    assert len(stub.snapshots()) == 3


def test_instance_store_image():
    image = Ec2Stub().add_image("legacy", root_device_type="instance-store")
    assert image.snapshot_ids == []
    assert image.root_device_name == "/dev/sda1"
    assert image.block_devices[0].virtual_name == "ephemeral0"


def test_add_instance():
    stub = Ec2Stub()
    image = stub.add_image("web")
    instance = stub.add_instance(image.image_id, tags={"Name": "web-1"})
    assert instance.instance_id.startswith("i-") and instance.state == "running"
    assert instance.image_id == image.image_id
    assert stub.instance(instance.instance_id) == instance
    assert stub.instances() == [instance]


def test_add_snapshot():
    stub = Ec2Stub()
    snapshot = stub.add_snapshot(description="manual backup", tags={"k": "v"})
    assert stub.snapshot(snapshot.snapshot_id) == snapshot


# The messages name the argument as "add_image(<argument>=...)" since every seeding argument is
# checked (tests/adversarial/test_seeding_arguments.py has the full table).
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"state": "gone"}, r"add_image\(state=\.\.\.\): must be one of"),
    ({"root_device_type": "floppy"}, "root_device_type"),
    ({"image_id": "img-1"}, r"must be an image id: 'ami-'"),
    ({"root_device_type": "instance-store", "snapshot_ids": ["snap-1"]}, "no EBS snapshots"),
    ({"snapshots": 0}, "at least one snapshot"),
    ({"deregistration_protection": "maybe"}, "deregistration_protection"),
])
def test_bad_seeds_are_rejected(kwargs, message):
    stub = Ec2Stub()
    with pytest.raises(SeedError, match=message):
        stub.add_image("xyz", **kwargs)
    assert stub.images() == [] and stub.snapshots() == []


def test_duplicate_ids_are_rejected_without_partial_state():
    stub = Ec2Stub()
    image = stub.add_image("img-a", image_id="ami-0123456789abcdef0")
    with pytest.raises(SeedError, match="already exists"):
        stub.add_image("img-b", image_id=image.image_id)
    assert stub.images() == [image]
    assert len(stub.snapshots()) == 1


def test_snapshot_of_another_owner_is_rejected():
    stub = Ec2Stub()
    theirs = stub.add_snapshot(owner_id="210987654321")
    with pytest.raises(SeedError, match="belongs to"):
        stub.add_image("mine", snapshot_ids=[theirs.snapshot_id])
    assert stub.images() == []


def test_account_id_must_be_twelve_digits():
    with pytest.raises(ValueError, match="12 digits"):
        Ec2Stub(account_id="123")
