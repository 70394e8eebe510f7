"""Import/export in the shape of describe-images / describe-snapshots / describe-instances."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import boto3
import pytest

from botostub_ec2 import Clock, Ec2Stub, MemoryBackend, inventory
from botostub_ec2.backends.sqlite import SqliteBackend
from botostub_ec2.inventory import InventoryError
from botostub_ec2.testing.conformance import rich_image

# As `aws ec2 describe-images --owners self` prints it (trimmed real-world shape).
CLI_IMAGES = {
    "Images": [
        {
            "PlatformDetails": "Linux/UNIX",
            "UsageOperation": "RunInstances",
            "BlockDeviceMappings": [
                {"DeviceName": "/dev/xvda",
                 "Ebs": {"DeleteOnTermination": True, "Iops": 3000,
                         "SnapshotId": "snap-05f12ad6d88ff7380", "VolumeSize": 8,
                         "VolumeType": "gp3", "Throughput": 125, "Encrypted": False}},
                {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
                {"DeviceName": "/dev/sdc", "NoDevice": ""},
            ],
            "Description": "web server",
            "EnaSupport": True,
            "Hypervisor": "xen",
            "Name": "web-2024-01",
            "RootDeviceName": "/dev/xvda",
            "RootDeviceType": "ebs",
            "SriovNetSupport": "simple",
            "VirtualizationType": "hvm",
            "BootMode": "uefi-preferred",
            "DeregistrationProtection": "disabled",
            "ImageId": "ami-0abcdef1234567890",
            "ImageLocation": "111122223333/web-2024-01",
            "State": "available",
            "OwnerId": "111122223333",
            "CreationDate": "2024-01-15T10:23:45.000Z",
            "Public": False,
            "Architecture": "x86_64",
            "ImageType": "machine",
            "Tags": [{"Key": "team", "Value": "web"}],
            "LastLaunchedTime": "2024-03-01T00:00:00Z",
            "SourceInstanceId": "i-0123456789abcdef0",
            "ImdsSupport": "v2.0",
        },
        {
            "ImageId": "ami-0fedcba9876543210", "OwnerId": "111122223333", "Name": "old",
            "State": "available", "CreationDate": "2020-01-01T00:00:00.000Z",
            "DeregistrationProtection": "disabled-until-2099",  # unknown value
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda",
                                     "Ebs": {"SnapshotId": "snap-0aaaaaaaaaaaaaaaa",
                                             "VolumeSize": 20, "Encrypted": True}}],
        },
    ]
}
CLI_SNAPSHOTS = {
    "Snapshots": [{
        "Description": "Created by CreateImage(i-0123456789abcdef0) for ami-0abcdef1234567890",
        "Encrypted": False, "OwnerId": "111122223333", "Progress": "100%",
        "SnapshotId": "snap-05f12ad6d88ff7380", "StartTime": "2024-01-15T10:23:45.000Z",
        "State": "completed", "VolumeId": "vol-0123456789abcdef0", "VolumeSize": 8,
        "StorageTier": "standard", "Tags": [{"Key": "k", "Value": "v"}],
    }]
}
CLI_INSTANCES = {
    "Reservations": [{
        "ReservationId": "r-0123456789abcdef0", "OwnerId": "111122223333", "Groups": [],
        "Instances": [{
            "InstanceId": "i-0123456789abcdef0", "ImageId": "ami-0abcdef1234567890",
            "State": {"Code": 16, "Name": "running"}, "InstanceType": "m5.large",
            "LaunchTime": "2024-02-01T00:00:00+00:00",
            "Placement": {"AvailabilityZone": "eu-west-1b", "Tenancy": "default"},
            "PrivateIpAddress": "10.1.2.3", "RootDeviceType": "ebs",
            "RootDeviceName": "/dev/xvda",
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {
                "VolumeId": "vol-0123456789abcdef1", "Status": "attached",
                "DeleteOnTermination": True, "AttachTime": "2024-02-01T00:00:00+00:00"}}],
        }],
    }]
}


@pytest.fixture(params=["memory", "sqlite"])
def stub(request, tmp_path):
    backend = MemoryBackend() if request.param == "memory" else SqliteBackend(tmp_path / "s.db")
    stub = Ec2Stub(account_id="111122223333", region="eu-west-1", backend=backend,
                   clock=Clock("2024-06-01T00:00:00Z"))
    yield stub
    backend.close()


def test_load_cli_output(stub):
    report = inventory.load(stub, [CLI_SNAPSHOTS, CLI_IMAGES, CLI_INSTANCES])
    assert report.images == 2 and report.snapshots == 1 and report.instances == 1
    assert report.created_snapshots == 1  # snap-0aaaaaaaaaaaaaaaa, referenced but not listed
    assert report.warnings == (
        "image ami-0abcdef1234567890: mapping /dev/sdc without Ebs dropped",
        "image ami-0fedcba9876543210: DeregistrationProtection 'disabled-until-2099' is not one "
        "of ['disabled', 'enabled-with-cooldown', 'enabled-without-cooldown']; loaded as "
        "'disabled'",
    )
    web = stub.image("ami-0abcdef1234567890")
    assert web.creation_date == datetime(2024, 1, 15, 10, 23, 45, tzinfo=timezone.utc)
    assert dict(web.tags) == {"team": "web"}
    assert [d.virtual_name for d in web.block_devices] == [None, "ephemeral0"]
    assert web.boot_mode == "uefi-preferred" and web.imds_support == "v2.0"
    placeholder = stub.snapshot("snap-0aaaaaaaaaaaaaaaa")
    assert placeholder.owner_id == "111122223333"
    assert placeholder.volume_size == 20 and placeholder.encrypted
    assert placeholder.description == (
        "Created by CreateImage(i-fffffffffffffffff) for ami-0fedcba9876543210")
    instance = stub.instance("i-0123456789abcdef0")
    assert instance.volumes == (("/dev/xvda", "vol-0123456789abcdef1"),)
    assert instance.availability_zone == "eu-west-1b"


def test_loaded_inventory_answers_boto3(stub):
    inventory.load(stub, [CLI_SNAPSHOTS, CLI_IMAGES])
    client = boto3.client("ec2", region_name="eu-west-1")
    with stub:
        response = client.deregister_image(ImageId="ami-0abcdef1234567890",
                                           DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [
        {"SnapshotId": "snap-05f12ad6d88ff7380", "ReturnCode": "success"}]


def test_cli_images_round_trip(stub):
    inventory.load(stub, CLI_IMAGES, create_missing_snapshots=False)
    exported = inventory.export(stub)["Images"]
    first = {k: v for k, v in CLI_IMAGES["Images"][0].items()}
    # What the records do not keep: Iops/Throughput, NoDevice mappings.
    first["BlockDeviceMappings"] = [
        {"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": True,
                                           "SnapshotId": "snap-05f12ad6d88ff7380",
                                           "VolumeSize": 8, "VolumeType": "gp3",
                                           "Encrypted": False}},
        {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
    ]
    first["LastLaunchedTime"] = "2024-03-01T00:00:00.000Z"  # EC2's millisecond format
    assert exported[0] == first


def test_record_round_trip_through_export(stub, tmp_path):
    record = rich_image()._replace(region="eu-west-1", shared_with=(),
                                   protection_cooldown_until=None)
    with stub.backend.transaction() as tx:
        tx.put(record)
    seeded = stub.add_image("plain", snapshots=2, tags={"a": "b"})
    stub.add_instance(seeded.image_id, tags={"Name": "web"})
    stub.add_instance(seeded.image_id, state="stopped")
    stub.add_instance(seeded.image_id, state="terminated")
    path = tmp_path / "export.json"
    inventory.dump(stub, path)
    copy = Ec2Stub(account_id="111122223333", region="eu-west-1")
    report = inventory.load_file(copy, path)
    assert report.created_snapshots == 1  # rich_image's snapshot is not in the state
    images = copy.images()
    # Timestamps go through EC2's millisecond format; the rich image's are whole ms already
    # except the naive one, which export reads as UTC.
    assert images[0] == record._replace(
        last_launched_time=record.last_launched_time.replace(
            microsecond=999000, tzinfo=timezone.utc),
        deprecation_time=record.deprecation_time.astimezone(timezone.utc))
    assert images[1] == seeded
    # A terminated instance shows no volumes nor private address (as in EC2): they do not come
    # back, and the address takes the record's default.
    assert copy.instances() == [
        i._replace(volumes=(), private_ip_address="10.0.0.10") if i.state == "terminated" else i
        for i in stub.instances()]
    assert copy.snapshots()[:-1] == stub.snapshots()
    assert copy.snapshots()[-1].snapshot_id == record.block_devices[0].snapshot_id
    text = path.read_text()
    assert '"StartTime": "' in text and text.endswith("}\n")


def test_boto3_responses_and_pages(stub):
    source = Ec2Stub(account_id="111122223333", region="eu-west-1")
    for i in range(3):
        source.add_image(f"img-{i}")
    client = boto3.client("ec2", region_name="eu-west-1")
    with source:
        pages = list(client.get_paginator("describe_images").paginate(Owners=["self"]))
    report = inventory.load(stub, pages)
    assert report.images == 3
    assert [i.name for i in stub.images()] == ["img-0", "img-1", "img-2"]
    # Bare items work too, sorted by what they are.
    bare = Ec2Stub(account_id="111122223333", region="eu-west-1")
    exported = inventory.export(source)
    items = exported["Images"] + exported["Snapshots"]
    assert inventory.load(bare, items) == (3, 3, 0, 0, ())


def test_jsonl_and_streams(stub, tmp_path):
    path = tmp_path / "pages.jsonl"
    path.write_text(json.dumps(CLI_SNAPSHOTS) + "\n\n" + json.dumps(CLI_IMAGES) + "\n")
    assert inventory.load_file(stub, path).images == 2
    buffer = io.StringIO()
    inventory.dump(stub, buffer)
    assert json.loads(buffer.getvalue())["Images"][0]["ImageId"] == "ami-0abcdef1234567890"


@pytest.mark.parametrize(("data", "message"), [
    ({"Images": [{"Name": "no id"}]}, "ImageId must be a string starting with 'ami-'"),
    ({"Images": [{"ImageId": "ami-1", "CreationDate": "yesterday"}]}, "not a timestamp"),
    ({"Images": [{"ImageId": "ami-1", "Tags": ["x"]}]}, "Tags must be a list"),
    ({"Snapshots": [{"SnapshotId": "vol-1"}]}, "SnapshotId must be"),
    ([{"Something": 1}], "cannot tell what this item is"),
    (["text"], "expected describe output dicts"),
    ('{"Images": []}', "use load_file"),
])
def test_bad_input_loads_nothing(stub, data, message):
    with pytest.raises(InventoryError, match=message):
        inventory.load(stub, [CLI_SNAPSHOTS, data] if isinstance(data, dict) else data)
    assert stub.snapshots() == [] and stub.images() == []


def test_owner_defaults(tmp_path):
    backend = MemoryBackend()
    with pytest.raises(InventoryError, match="region is required"):
        inventory.load(backend, CLI_IMAGES)
    with pytest.raises(InventoryError, match="no OwnerId"):
        inventory.load(backend, {"Images": [{"ImageId": "ami-1"}]}, region="us-east-1")
    inventory.load(backend, {"Images": [{"ImageId": "ami-1"}]}, region="us-east-1",
                   account_id="999988887777", create_missing_snapshots=False)
    assert inventory.export(backend, region="us-east-1")["Images"][0]["OwnerId"] == "999988887777"
    with pytest.raises(InventoryError, match="not JSON"):
        bad = tmp_path / "bad.json"
        bad.write_text("{")
        inventory.load_file(backend, bad, region="us-east-1")
