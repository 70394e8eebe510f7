"""botostub_ec2.factory: how new records look, and that seeding builds the same records."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from botostub_ec2 import Ec2Stub, SeedError
from botostub_ec2.factory import (
    IMAGE_STATES,
    INSTANCE_STATES,
    PROTECTION_VALUES,
    copied_snapshot_description,
    created_snapshot_description,
    device_name,
    image_devices,
    image_snapshot,
    instance_volumes,
    owner_alias_for,
    protection_setting,
)


def test_device_names() -> None:
    assert [device_name(i) for i in range(4)] == ["/dev/xvda", "/dev/sdb", "/dev/sdc", "/dev/sdd"]


def test_descriptions() -> None:
    assert created_snapshot_description("i-1", "ami-2") == "Created by CreateImage(i-1) for ami-2"
    when = datetime(2024, 1, 15, 10, 23, 45, 678000, tzinfo=timezone.utc)
    assert copied_snapshot_description("ami-new", "ami-old", "snap-old", when) == (
        "Copied for DestinationAmi ami-new from SourceAmi ami-old for SourceSnapshot snap-old. "
        "Task created on 1,705,314,225,678."
    )


def test_owner_aliases() -> None:
    assert owner_alias_for("137112412989") == "amazon"
    assert owner_alias_for("801119661308") == "amazon"
    assert owner_alias_for("679593333241") == "aws-marketplace"
    assert owner_alias_for("123456789012") is None


def test_protection_setting() -> None:
    assert protection_setting(True) == "enabled-without-cooldown"
    assert protection_setting(False) == "disabled"
    assert protection_setting("enabled-with-cooldown") == "enabled-with-cooldown"
    with pytest.raises(SeedError, match="deregistration_protection must be a bool"):
        protection_setting("on")


def test_image_devices() -> None:
    root, devices = image_devices("ebs", ["snap-1", "snap-2"], 30)
    assert root == "/dev/xvda"
    assert [(d.device_name, d.snapshot_id, d.volume_size) for d in devices] == [
        ("/dev/xvda", "snap-1", 30), ("/dev/sdb", "snap-2", 30)]
    root, devices = image_devices("instance-store", [], 8)
    assert root == "/dev/sda1"
    assert [(d.device_name, d.virtual_name) for d in devices] == [("/dev/sdb", "ephemeral0")]
    with pytest.raises(SeedError, match="instance-store image has no EBS snapshots"):
        image_devices("instance-store", ["snap-1"], 8)
    with pytest.raises(SeedError, match="needs at least one snapshot"):
        image_devices("ebs", [], 8)


# -- seeding builds what the factory builds (so it can switch to the factory unchanged) ---------


def test_seeded_images_agree_with_the_factory() -> None:
    stub = Ec2Stub()
    image = stub.add_image("web", snapshots=3, volume_size=20, source_instance_id="i-0abc",
                           owner_id="137112412989")
    root, devices = image_devices("ebs", image.snapshot_ids, 20)
    assert (image.root_device_name, image.block_devices) == (root, devices)
    assert image.owner_alias == owner_alias_for("137112412989")
    for device in image.block_devices:
        snapshot = stub.snapshot(device.snapshot_id)
        assert snapshot is not None
        assert snapshot == image_snapshot(
            snapshot.snapshot_id, region=image.region, owner_id=image.owner_id,
            image_id=image.image_id, instance_id="i-0abc", volume_id=snapshot.volume_id,
            volume_size=20, start_time=image.creation_date, owner_alias="amazon")
    store = stub.add_image("ephemeral", root_device_type="instance-store")
    assert (store.root_device_name, store.block_devices) == image_devices("instance-store", [], 8)


def test_seeded_instances_and_snapshots_agree_with_the_factory() -> None:
    stub = Ec2Stub()
    image = stub.add_image("web", snapshots=2)
    instance = stub.add_instance(image.image_id)
    assert [device for device, _ in instance.volumes] == [
        device for device, _ in instance_volumes(image)]
    unknown = stub.add_instance("ami-00000000")
    assert [device for device, _ in unknown.volumes] == [
        device for device, _ in instance_volumes(None)]
    snapshot = stub.add_snapshot(owner_id="679593333241")
    assert snapshot.owner_alias == owner_alias_for("679593333241")


def test_seeding_validates_with_the_factory_values() -> None:
    stub = Ec2Stub()
    for state in IMAGE_STATES:
        assert stub.add_image(state=state).state == state
    with pytest.raises(SeedError, match=r"add_image\(state=\.\.\.\): must be one of"):
        stub.add_image(state="gone")
    for state in INSTANCE_STATES:
        stub.add_instance("ami-00000000", state=state)
    with pytest.raises(SeedError, match=r"add_instance\(state=\.\.\.\): must be one of"):
        stub.add_instance("ami-00000000", state="sleeping")
    for value in PROTECTION_VALUES:
        assert stub.add_image(deregistration_protection=value).deregistration_protection == value
