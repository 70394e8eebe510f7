"""Deleted snapshots in the Recycle Bin: EBS_SNAPSHOT rules, listing, restore, expiry."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ParamValidationError
from dateutil.tz import tzutc

from botostub_ec2 import AuthorizationRequest, CallableEvaluator, Decision, Ec2Stub

from ..helpers import NOW, OTHER_ACCOUNT, assert_error, body, error_response
from .test_recycle_bin import make_rule, tags

pytestmark = pytest.mark.usefixtures("frozen_clock")



def binned(ec2: Any, **params: Any) -> list[str]:
    return [s["SnapshotId"] for s in ec2.list_snapshots_in_recycle_bin(**params)["Snapshots"]]


def delete_with_image(ec2_stub: Ec2Stub, ec2: Any, snapshot_id: str) -> None:
    """Delete ``snapshot_id`` through DeregisterImage's DeleteAssociatedSnapshots."""
    image = ec2_stub.add_image(name=f"for-{snapshot_id}", snapshot_ids=[snapshot_id])
    response = ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    assert response["DeleteSnapshotResults"] == [{"SnapshotId": snapshot_id,
                                                  "ReturnCode": "success"}]


def test_snapshot_rule_retains_deleted_snapshots(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT", days=10)
    snapshot = ec2_stub.add_snapshot(description="nightly", tags={"team": "db"},
                                     start_time="2024-04-01T00:00:00Z")
    delete_with_image(ec2_stub, ec2, snapshot.snapshot_id)

    record = ec2_stub.snapshot(snapshot.snapshot_id)
    assert record is not None and record.in_recycle_bin
    assert (record.recycle_bin_enter_time, record.recycle_bin_exit_time) == (
        NOW, NOW + timedelta(days=10))
    assert dict(record.tags) == {"team": "db", "aws:recycle-bin:resource-in-bin": "true"}
    assert body(ec2.list_snapshots_in_recycle_bin()) == {"Snapshots": [{
        "SnapshotId": snapshot.snapshot_id,
        "RecycleBinEnterTime": datetime(2024, 5, 1, 12, 0, tzinfo=tzutc()),
        "RecycleBinExitTime": datetime(2024, 5, 11, 12, 0, tzinfo=tzutc()),
        "Description": "nightly",
        "VolumeId": snapshot.volume_id,
    }]}


def test_without_a_snapshot_rule_the_snapshot_is_purged(
    ec2_stub: Ec2Stub, ec2: Any, rbin: Any
) -> None:
    make_rule(rbin, resource_type="EC2_IMAGE")
    snapshot = ec2_stub.add_snapshot()
    delete_with_image(ec2_stub, ec2, snapshot.snapshot_id)
    assert ec2_stub.snapshot(snapshot.snapshot_id) is None
    assert binned(ec2) == []


def test_tag_level_and_exclusion_rules(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT", ResourceTags=tags(("keep", "yes")))
    keep = ec2_stub.add_snapshot(tags={"keep": "yes"})
    drop = ec2_stub.add_snapshot(tags={"keep": "no"})
    delete_with_image(ec2_stub, ec2, keep.snapshot_id)
    delete_with_image(ec2_stub, ec2, drop.snapshot_id)
    assert binned(ec2) == [keep.snapshot_id]


def test_restore_snapshot(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT")
    snapshot = ec2_stub.add_snapshot(description="nightly", volume_size=20, tags={"team": "db"},
                                     start_time="2024-04-01T00:00:00Z")
    delete_with_image(ec2_stub, ec2, snapshot.snapshot_id)
    response = ec2.restore_snapshot_from_recycle_bin(SnapshotId=snapshot.snapshot_id)
    assert body(response) == {
        "SnapshotId": snapshot.snapshot_id,
        "Description": "nightly",
        "Encrypted": False,
        "OwnerId": snapshot.owner_id,
        "Progress": "100%",
        "StartTime": datetime(2024, 4, 1, tzinfo=tzutc()),
        "State": "recovering",
        "VolumeId": snapshot.volume_id,
        "VolumeSize": 20,
    }
    assert ec2_stub.snapshot(snapshot.snapshot_id) == snapshot
    assert binned(ec2) == []


def test_snapshot_expiry(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT", days=7)
    snapshot = ec2_stub.add_snapshot()
    delete_with_image(ec2_stub, ec2, snapshot.snapshot_id)
    ec2_stub.clock.advance(days=8)
    response = error_response(ec2.restore_snapshot_from_recycle_bin,
                              SnapshotId=snapshot.snapshot_id)
    assert_error(response, "InvalidSnapshot.NotFound",
                 f"The snapshot '{snapshot.snapshot_id}' does not exist.", 400)
    assert binned(ec2) == []
    assert ec2_stub.snapshot(snapshot.snapshot_id) is None


def test_restore_snapshot_errors(ec2_stub: Ec2Stub, ec2: Any) -> None:
    response = error_response(ec2.restore_snapshot_from_recycle_bin, SnapshotId="vol-123")
    assert_error(response, "InvalidParameterValue",
                 "Value (vol-123) for parameter snapshotId is invalid. Expected: 'snap-...'.", 400)
    response = error_response(ec2.restore_snapshot_from_recycle_bin, SnapshotId="snap-xyz")
    assert_error(response, "InvalidSnapshotID.Malformed",
                 'Invalid id: "snap-xyz" (expecting "snap-...")', 400)
    live = ec2_stub.add_snapshot()
    response = error_response(ec2.restore_snapshot_from_recycle_bin, SnapshotId=live.snapshot_id)
    assert_error(response, "InvalidSnapshot.NotFound",
                 f"The snapshot '{live.snapshot_id}' does not exist.", 400)


def test_restore_snapshot_dry_run_and_authorization(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT")
    snapshot = ec2_stub.add_snapshot()
    delete_with_image(ec2_stub, ec2, snapshot.snapshot_id)
    before = ec2_stub.snapshot(snapshot.snapshot_id)
    response = error_response(ec2.restore_snapshot_from_recycle_bin,
                              SnapshotId=snapshot.snapshot_id, DryRun=True)
    assert_error(response, "DryRunOperation",
                 "Request would have succeeded, but DryRun flag is set.", 412)
    asked: list[AuthorizationRequest] = []

    def deny(request: AuthorizationRequest) -> Decision:
        asked.append(request)
        return Decision.deny()

    ec2_stub.evaluator = CallableEvaluator(deny)
    response = error_response(ec2.restore_snapshot_from_recycle_bin,
                              SnapshotId=snapshot.snapshot_id)
    assert response["Error"]["Code"] == "UnauthorizedOperation"
    [request] = asked
    assert (request.action, request.resource) == (
        "ec2:RestoreSnapshotFromRecycleBin",
        f"arn:aws:ec2:us-east-1::snapshot/{snapshot.snapshot_id}")
    assert request.context["ec2:SnapshotID"] == snapshot.snapshot_id
    assert ec2_stub.snapshot(snapshot.snapshot_id) == before


def test_list_snapshots_by_id_pages_and_errors(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT")
    snapshots = [ec2_stub.add_snapshot() for _ in range(7)]
    for snapshot in snapshots:
        delete_with_image(ec2_stub, ec2, snapshot.snapshot_id)
    ids = [s.snapshot_id for s in snapshots]
    assert binned(ec2, SnapshotIds=[ids[2], ids[0]]) == [ids[0], ids[2]]
    pages = list(ec2.get_paginator("list_snapshots_in_recycle_bin").paginate(
        PaginationConfig={"PageSize": 5}))
    assert [[s["SnapshotId"] for s in page["Snapshots"]] for page in pages] == [ids[:5], ids[5:]]

    with pytest.raises(ParamValidationError):
        ec2.list_snapshots_in_recycle_bin(MaxResults=4)  # the model's minimum is 5
    response = error_response(ec2.list_snapshots_in_recycle_bin, MaxResults=1001)
    assert_error(response, "InvalidParameterValue",
                 "Value ( 1001 ) for parameter maxResults is invalid. Expecting a value less than "
                 "1000.", 400)
    response = error_response(ec2.list_snapshots_in_recycle_bin, SnapshotIds=["ami-1"])
    assert_error(response, "InvalidParameterValue",
                 "Value (ami-1) for parameter snapshotId is invalid. Expected: 'snap-...'.", 400)
    response = error_response(ec2.list_snapshots_in_recycle_bin, DryRun=True)
    assert_error(response, "DryRunOperation",
                 "Request would have succeeded, but DryRun flag is set.", 412)


# -- with the snapshot and tag operations ---------------------------------------------------------


def test_delete_snapshot_sends_it_to_the_bin(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT")
    snapshot = ec2_stub.add_snapshot(description="nightly")
    assert body(ec2.delete_snapshot(SnapshotId=snapshot.snapshot_id)) == {}
    assert binned(ec2) == [snapshot.snapshot_id]
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []
    response = error_response(ec2.delete_snapshot, SnapshotId=snapshot.snapshot_id)
    assert_error(response, "InvalidSnapshot.NotFound",
                 f"The snapshot '{snapshot.snapshot_id}' does not exist.", 400)
    ec2.restore_snapshot_from_recycle_bin(SnapshotId=snapshot.snapshot_id)
    [shown] = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert (shown["SnapshotId"], shown["State"]) == (snapshot.snapshot_id, "completed")
    assert "Tags" not in shown


def test_shared_snapshot_is_unshared_in_the_bin(
    ec2_stub: Ec2Stub, ec2: Any, other_ec2: Any, rbin: Any
) -> None:
    make_rule(rbin, resource_type="EBS_SNAPSHOT")
    shared = snapshot = ec2_stub.add_snapshot(shared_with=[OTHER_ACCOUNT])
    assert [s["SnapshotId"] for s in other_ec2.describe_snapshots(
        SnapshotIds=[snapshot.snapshot_id])["Snapshots"]] == [snapshot.snapshot_id]
    ec2.delete_snapshot(SnapshotId=snapshot.snapshot_id)
    record = ec2_stub.snapshot(snapshot.snapshot_id)
    assert record is not None
    assert (record.public, record.shared_with) == (False, ())
    assert record.shared_with_before_bin == (OTHER_ACCOUNT,)
    ec2.restore_snapshot_from_recycle_bin(SnapshotId=snapshot.snapshot_id)
    assert ec2_stub.snapshot(snapshot.snapshot_id) == shared
    assert [s["SnapshotId"] for s in other_ec2.describe_snapshots(
        SnapshotIds=[snapshot.snapshot_id])["Snapshots"]] == [snapshot.snapshot_id]


def test_binned_resources_keep_their_tags_editable(ec2_stub: Ec2Stub, ec2: Any, rbin: Any) -> None:
    make_rule(rbin)
    make_rule(rbin, resource_type="EBS_SNAPSHOT")
    image = ec2_stub.add_image(name="web")
    snapshot_id = image.snapshot_ids[0]
    ec2.deregister_image(ImageId=image.image_id, DeleteAssociatedSnapshots=True)
    ec2.create_tags(Resources=[image.image_id, snapshot_id], Tags=[{"Key": "k", "Value": "v"}])
    for resource in (ec2_stub.image(image.image_id), ec2_stub.snapshot(snapshot_id)):
        assert resource is not None
        assert dict(resource.tags) == {"aws:recycle-bin:resource-in-bin": "true", "k": "v"}
    # The system tag can't be removed by a caller.
    response = error_response(ec2.delete_tags, Resources=[image.image_id],
                              Tags=[{"Key": "aws:recycle-bin:resource-in-bin"}])
    assert response["Error"]["Code"] == "InvalidParameterValue"
    ec2.restore_snapshot_from_recycle_bin(SnapshotId=snapshot_id)
    ec2.restore_image_from_recycle_bin(ImageId=image.image_id)
    restored = ec2_stub.image(image.image_id)
    assert restored is not None and dict(restored.tags) == {"k": "v"}
