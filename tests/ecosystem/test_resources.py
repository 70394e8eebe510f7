"""boto3's resource API goes through the stub: actions, collections, attribute loading, waiters.

Resources are client calls underneath (``resource.meta.client``), so process-wide activation and
``attach(resource)`` both reach them. Waiters poll with the same client calls; the stub's
resources are in their final state at once, so each waiter returns on its first poll.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, WaiterError

from botostub_ec2 import Ec2Stub

REGION = "us-east-1"


@pytest.fixture
def stub() -> Any:
    stub = Ec2Stub()
    with stub:
        yield stub


@pytest.fixture
def ec2() -> Any:
    return boto3.resource("ec2", region_name=REGION)


def operations(stub: Ec2Stub) -> list[str]:
    return [call.operation for call in stub.calls]


def test_image_attributes_load_through_describe_images(stub: Ec2Stub, ec2: Any) -> None:
    seeded = stub.add_image(name="web-2024-01", tags={"team": "web"}, description="nightly")
    image = ec2.Image(seeded.image_id)
    assert image.name == "web-2024-01"
    assert image.description == "nightly"
    assert image.state == "available"
    assert image.owner_id == stub.account_id
    assert {t["Key"]: t["Value"] for t in image.tags} == {"team": "web"}
    first_device = image.block_device_mappings[0]
    assert first_device["Ebs"]["SnapshotId"] == seeded.block_devices[0].snapshot_id
    assert operations(stub) == ["DescribeImages"]  # loaded once, then cached
    assert stub.calls[0].params == {"ImageIds": [seeded.image_id]}


def test_image_deregister_and_reload(stub: Ec2Stub, ec2: Any) -> None:
    seeded = stub.add_image()
    image = ec2.Image(seeded.image_id)
    assert image.deregister()["Return"] is True
    assert stub.image(seeded.image_id).state == "deregistered"
    # A deregistered image is no longer described (an id query gives []): boto3 then holds no
    # data for it, as against EC2.
    image.reload()
    assert image.meta.data is None
    assert operations(stub) == ["DeregisterImage", "DescribeImages"]
    assert ec2.meta.client.describe_images(ImageIds=[seeded.image_id])["Images"] == []


def test_image_deregister_with_snapshots(stub: Ec2Stub, ec2: Any) -> None:
    seeded = stub.add_image(snapshots=2)
    result = ec2.Image(seeded.image_id).deregister(DeleteAssociatedSnapshots=True)
    assert {r["SnapshotId"] for r in result["DeleteSnapshotResults"]} == {
        d.snapshot_id for d in seeded.block_devices}
    assert all(stub.snapshot(d.snapshot_id) is None for d in seeded.block_devices)


def test_errors_of_resource_actions_are_ec2_errors(stub: Ec2Stub, ec2: Any) -> None:
    protected = stub.add_image(deregistration_protection=True)
    with pytest.raises(ClientError) as info:
        ec2.Image(protected.image_id).deregister()
    assert info.value.response["Error"]["Code"] == "OperationNotPermitted"
    with pytest.raises(ClientError) as info:
        ec2.Image(protected.image_id).deregister(DryRun=True)
    assert info.value.response["Error"]["Code"] == "DryRunOperation"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


def test_images_collection_filter_and_pages(stub: Ec2Stub, ec2: Any) -> None:
    for n in range(7):
        stub.add_image(name=f"web-{n}", tags={"team": "web"})
    stub.add_image(name="db-1", tags={"team": "db"})
    web = ec2.images.filter(Owners=["self"], Filters=[{"Name": "tag:team", "Values": ["web"]}])
    assert sorted(i.name for i in web) == [f"web-{n}" for n in range(7)]
    # Paged collection: DescribeImages with MaxResults/NextToken, as the paginator drives it.
    paged = ec2.images.filter(Owners=["self"]).page_size(5)
    assert len(list(paged)) == 8
    assert stub.calls[-1].params.get("NextToken")
    assert [i.name for i in ec2.images.filter(ImageIds=[]).limit(0)] == []


def test_snapshot_load_delete_and_collection(stub: Ec2Stub, ec2: Any) -> None:
    lone = stub.add_snapshot(description="backup", tags={"keep": "no"}, volume_size=20)
    snapshot = ec2.Snapshot(lone.snapshot_id)
    assert snapshot.description == "backup"
    assert snapshot.volume_size == 20
    assert snapshot.state == "completed"
    owned = [s.id for s in ec2.snapshots.filter(OwnerIds=["self"])]
    assert lone.snapshot_id in owned
    snapshot.delete()
    assert stub.snapshot(lone.snapshot_id) is None


def test_snapshot_in_use_cannot_be_deleted(stub: Ec2Stub, ec2: Any) -> None:
    image = stub.add_image()
    with pytest.raises(ClientError) as info:
        ec2.Snapshot(image.block_devices[0].snapshot_id).delete()
    assert info.value.response["Error"]["Code"] == "InvalidSnapshot.InUse"


def test_instance_create_image_and_waiters(stub: Ec2Stub, ec2: Any) -> None:
    source = stub.add_image(name="base")
    seeded = stub.add_instance(source.image_id)
    instance = ec2.Instance(seeded.instance_id)
    assert instance.state["Name"] == "running"
    assert instance.image_id == source.image_id
    instance.wait_until_running()
    image = instance.create_image(Name="from-instance", TagSpecifications=[
        {"ResourceType": "image", "Tags": [{"Key": "made-by", "Value": "test"}]}])
    image.wait_until_exists()
    client = ec2.meta.client
    client.get_waiter("image_available").wait(ImageIds=[image.id])
    assert image.name == "from-instance"
    assert image.meta.data["SourceInstanceId"] == seeded.instance_id
    assert image.tags == [{"Key": "made-by", "Value": "test"}]
    snapshot_ids = [m["Ebs"]["SnapshotId"] for m in image.block_device_mappings if "Ebs" in m]
    client.get_waiter("snapshot_completed").wait(SnapshotIds=snapshot_ids)
    instance.terminate()
    instance.wait_until_terminated()
    assert stub.instance(seeded.instance_id).state == "terminated"


def test_waiter_reports_failure_state(stub: Ec2Stub, ec2: Any) -> None:
    failed = stub.add_image(state="failed")
    with pytest.raises(WaiterError, match="failure state"):
        ec2.meta.client.get_waiter("image_available").wait(ImageIds=[failed.image_id])


def test_attach_to_a_resource_only() -> None:
    stub = Ec2Stub()
    image = stub.add_image(name="attached")
    resource = boto3.resource("ec2", region_name=REGION)
    stub.attach(resource)
    try:
        assert resource.Image(image.image_id).name == "attached"
    finally:
        stub.detach(resource)
    assert [c.operation for c in stub.calls] == ["DescribeImages"]
