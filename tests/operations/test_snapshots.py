"""Tests of botostub_ec2/operations/snapshots.py: DescribeSnapshots, DeleteSnapshot,
CreateSnapshot, through real boto3 clients (strict mode).

Evidence for each code and message: docs/fidelity/resources.md.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from botostub_ec2 import Decision, DenyAll
from botostub_ec2.permissions import as_evaluator

from ..helpers import AMAZON, OTHER_ACCOUNT, assert_ec2_error, assert_metadata, state_of


def ids(response: dict) -> list[str]:
    return [s["SnapshotId"] for s in response["Snapshots"]]


# -- DescribeSnapshots: shape -------------------------------------------------------------------


def test_describe_shape_of_an_image_snapshot(ec2, ec2_stub):
    image = ec2_stub.add_image("web", creation_date="2024-01-15T10:23:45Z", volume_size=20)
    (snapshot_id,) = image.snapshot_ids
    record = ec2_stub.snapshot(snapshot_id)
    response = ec2.describe_snapshots(SnapshotIds=[snapshot_id])
    assert_metadata(response["ResponseMetadata"], 200)
    assert response["Snapshots"] == [{
        "StorageTier": "standard",
        "SnapshotId": snapshot_id,
        "VolumeId": record.volume_id,
        "State": "completed",
        "StartTime": datetime(2024, 1, 15, 10, 23, 45, tzinfo=timezone.utc),
        "Progress": "100%",
        "OwnerId": "123456789012",
        "Description": record.description,
        "VolumeSize": 20,
        "Encrypted": False,
    }]
    assert record.description.startswith("Created by CreateImage(i-")
    assert record.description.endswith(f") for {image.image_id}")
    assert "NextToken" not in response


def test_tags_appear_only_when_present(ec2, ec2_stub):
    tagged = ec2_stub.add_snapshot(tags={"team": "web", "env": "prod"})
    plain = ec2_stub.add_snapshot()
    by_id = {s["SnapshotId"]: s for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
    assert by_id[tagged.snapshot_id]["Tags"] == [{"Key": "team", "Value": "web"},
                                                 {"Key": "env", "Value": "prod"}]
    assert "Tags" not in by_id[plain.snapshot_id]


# -- DescribeSnapshots: visibility and owners -----------------------------------------------------


@pytest.fixture
def world(ec2_stub):
    """Own, public foreign, shared foreign, private foreign, Amazon public, binned own."""
    return {
        "own": ec2_stub.add_snapshot(description="mine").snapshot_id,
        "public": ec2_stub.add_snapshot(owner_id=OTHER_ACCOUNT, public=True).snapshot_id,
        "shared": ec2_stub.add_snapshot(owner_id=OTHER_ACCOUNT,
                                        shared_with=["123456789012"]).snapshot_id,
        "private": ec2_stub.add_snapshot(owner_id=OTHER_ACCOUNT).snapshot_id,
        "amazon": ec2_stub.add_snapshot(owner_id=AMAZON, public=True).snapshot_id,
    }


def test_without_options_all_restorable_snapshots_are_described(ec2, world):
    # "If no options are specified, Amazon EC2 returns all snapshots for which you have create
    # volume permissions": own, public and explicitly shared ones.
    assert set(ids(ec2.describe_snapshots())) == {world[k] for k in ("own", "public", "shared",
                                                                       "amazon")}


@pytest.mark.parametrize(("owners", "expected"), [
    (["self"], {"own"}),
    ([OTHER_ACCOUNT], {"public", "shared"}),
    (["amazon"], {"amazon"}),
    (["self", "amazon"], {"own", "amazon"}),
    ([AMAZON], {"amazon"}),
])
def test_owner_ids(ec2, world, owners, expected):
    assert set(ids(ec2.describe_snapshots(OwnerIds=owners))) == {world[k] for k in expected}


@pytest.mark.parametrize(("users", "expected"), [
    (["all"], {"public", "amazon"}),
    (["self"], {"own", "shared"}),
    (["123456789012"], {"own", "shared"}),
])
def test_restorable_by_user_ids(ec2, world, users, expected):
    assert set(ids(ec2.describe_snapshots(RestorableByUserIds=users))) == {
        world[k] for k in expected}


def test_bad_owner_id_is_malformed(ec2, world):
    assert_ec2_error(ec2.describe_snapshots, "InvalidUserID.Malformed",
                     "User ID 'someone' is invalid", 400, OwnerIds=["someone"])


def test_private_snapshot_of_another_account_is_not_found(ec2, world):
    assert_ec2_error(ec2.describe_snapshots, "InvalidSnapshot.NotFound",
                     f"The snapshot '{world['private']}' does not exist.", 400,
                     SnapshotIds=[world["private"]])


def test_snapshot_in_recycle_bin_is_not_described(ec2, ec2_stub):
    snapshot = ec2_stub.add_snapshot()
    with ec2_stub.backend.transaction() as tx:
        tx.put(snapshot._replace(recycle_bin_enter_time=datetime.now(timezone.utc),
                                 recycle_bin_exit_time=datetime(2100, 1, 1, tzinfo=timezone.utc)))
    assert ids(ec2.describe_snapshots(OwnerIds=["self"])) == []
    assert_ec2_error(ec2.describe_snapshots, "InvalidSnapshot.NotFound",
                     f"The snapshot '{snapshot.snapshot_id}' does not exist.", 400,
                     SnapshotIds=[snapshot.snapshot_id])


# -- DescribeSnapshots: ids -----------------------------------------------------------------------


@pytest.mark.parametrize("unknown", ["snap-0123456789abcdef0", "snap-1234abcd"])
def test_unknown_id_is_not_found(ec2, unknown):
    assert_ec2_error(ec2.describe_snapshots, "InvalidSnapshot.NotFound",
                     f"The snapshot '{unknown}' does not exist.", 400, SnapshotIds=[unknown])


def test_several_unknown_ids_name_the_first(ec2, ec2_stub):
    known = ec2_stub.add_snapshot().snapshot_id
    assert_ec2_error(ec2.describe_snapshots, "InvalidSnapshot.NotFound",
                     "The snapshot 'snap-0000000000000000a' does not exist.", 400,
                     SnapshotIds=[known, "snap-0000000000000000a", "snap-0000000000000000b"])


@pytest.mark.parametrize("bad", ["snap-", "snap-malformedsnap", "snap-00000000000000000",
                                 "snap-0123", "snap-0123456789ABCDEF0"])
def test_malformed_id(ec2, bad):
    assert_ec2_error(ec2.describe_snapshots, "InvalidSnapshotID.Malformed",
                     f'Invalid id: "{bad}" (expecting "snap-...")', 400, SnapshotIds=[bad])


@pytest.mark.parametrize("bad", ["", "vol-0123456789abcdef0", "not-a-snapshot"])
def test_not_a_snapshot_id_is_invalid_parameter_value(ec2, bad):
    assert_ec2_error(ec2.describe_snapshots, "InvalidParameterValue",
                     f"Value ({bad}) for parameter snapshotId is invalid. Expected: 'snap-...'.",
                     400, SnapshotIds=[bad])


def test_seeded_id_of_any_shape_is_found(ec2, ec2_stub):
    ec2_stub.add_snapshot("snap-fixture")
    assert ids(ec2.describe_snapshots(SnapshotIds=["snap-fixture"])) == ["snap-fixture"]


# -- DescribeSnapshots: filters -------------------------------------------------------------------


@pytest.fixture
def filtered(ec2_stub):
    return {
        "nightly-web": ec2_stub.add_snapshot(description="nightly backup web", volume_size=8,
                                             tags={"team": "web"},
                                             start_time="2024-01-01T00:00:00Z"),
        "nightly-db": ec2_stub.add_snapshot(description="nightly backup db", volume_size=100,
                                            tags={"team": "db", "keep": ""}, encrypted=True,
                                            start_time="2024-02-01T00:00:00Z"),
        "adhoc": ec2_stub.add_snapshot(description="Created by CreateImage(i-1) for ami-1",
                                       state="pending"),
    }


@pytest.mark.parametrize(("name", "values", "expected"), [
    ("description", ["nightly*"], {"nightly-web", "nightly-db"}),
    ("description", ["nightly backup ??"], {"nightly-db"}),
    ("description", ["Created by CreateImage(*) for ami-*"], {"adhoc"}),
    ("status", ["pending"], {"adhoc"}),
    ("status", ["completed"], {"nightly-web", "nightly-db"}),
    ("volume-size", ["100"], {"nightly-db"}),
    ("encrypted", ["true"], {"nightly-db"}),
    ("tag:team", ["web", "db"], {"nightly-web", "nightly-db"}),
    ("tag:keep", [""], {"nightly-db"}),
    ("tag-key", ["keep"], {"nightly-db"}),
    ("tag-value", ["w*"], {"nightly-web"}),
    ("owner-id", ["123456789012"], {"nightly-web", "nightly-db", "adhoc"}),
    ("start-time", ["2024-01-*"], {"nightly-web"}),
])
def test_filters(ec2, filtered, name, values, expected):
    response = ec2.describe_snapshots(OwnerIds=["self"],
                                      Filters=[{"Name": name, "Values": values}])
    assert set(ids(response)) == {filtered[k].snapshot_id for k in expected}


def test_filter_on_snapshot_and_volume_id(ec2, filtered):
    db = filtered["nightly-db"]
    for name, value in (("snapshot-id", db.snapshot_id), ("volume-id", db.volume_id)):
        response = ec2.describe_snapshots(Filters=[{"Name": name, "Values": [value]}])
        assert ids(response) == [db.snapshot_id]


def test_filters_are_anded(ec2, filtered):
    response = ec2.describe_snapshots(OwnerIds=["self"], Filters=[
        {"Name": "description", "Values": ["nightly*"]},
        {"Name": "tag:team", "Values": ["db"]},
    ])
    assert ids(response) == [filtered["nightly-db"].snapshot_id]


def test_unknown_filter_is_invalid(ec2):
    assert_ec2_error(ec2.describe_snapshots, "InvalidParameterValue",
                     "The filter 'colour' is invalid", 400,
                     Filters=[{"Name": "colour", "Values": ["red"]}])


# -- DescribeSnapshots: pagination, DryRun, authorization -----------------------------------------


def test_paginator_walks_every_snapshot(ec2, ec2_stub):
    created = [ec2_stub.add_snapshot(description=f"s{i}").snapshot_id for i in range(23)]
    pages = list(ec2.get_paginator("describe_snapshots").paginate(
        OwnerIds=["self"], PaginationConfig={"PageSize": 5}))
    assert [len(p["Snapshots"]) for p in pages] == [5, 5, 5, 5, 3]
    assert [s for p in pages for s in ids(p)] == created
    assert "NextToken" not in pages[-1]


def test_max_results_below_five_is_rejected(ec2):
    assert_ec2_error(ec2.describe_snapshots, "InvalidParameterValue",
                     "Value ( 4 ) for parameter maxResults is invalid. "
                     "Expecting a value greater than 5.", 400, MaxResults=4)


def test_max_results_above_1000_serves_1000(ec2, ec2_stub):
    for _ in range(3):
        ec2_stub.add_snapshot()
    assert len(ec2.describe_snapshots(MaxResults=5000)["Snapshots"]) == 3


def test_token_of_another_query_is_rejected(ec2, ec2_stub):
    for _ in range(6):
        ec2_stub.add_snapshot()
    token = ec2.describe_snapshots(OwnerIds=["self"], MaxResults=5)["NextToken"]
    assert_ec2_error(ec2.describe_snapshots, "InvalidPaginationToken",
                     "The specified pagination token is not valid or is expired.", 400,
                     OwnerIds=["amazon"], NextToken=token)


def test_describe_dry_run(ec2):
    assert_ec2_error(ec2.describe_snapshots, "DryRunOperation",
                     "Request would have succeeded, but DryRun flag is set.", 412, DryRun=True)


@pytest.mark.ec2_stub(evaluator=DenyAll())
def test_describe_denied(ec2):
    error = assert_ec2_error(ec2.describe_snapshots, "UnauthorizedOperation",
                             re.compile(
                                 r"You are not authorized to perform this operation\..*"), 403,
                             DryRun=True)
    assert "ec2:DescribeSnapshots" in error.response["Error"]["Message"]


# -- DeleteSnapshot -------------------------------------------------------------------------------


def test_delete_unused_snapshot(ec2, ec2_stub):
    snapshot = ec2_stub.add_snapshot()
    response = ec2.delete_snapshot(SnapshotId=snapshot.snapshot_id)
    assert set(response) == {"ResponseMetadata"}
    assert_metadata(response["ResponseMetadata"], 200)
    assert ec2_stub.snapshot(snapshot.snapshot_id) is None
    assert ids(ec2.describe_snapshots(OwnerIds=["self"])) == []
    assert_ec2_error(ec2.delete_snapshot, "InvalidSnapshot.NotFound",
                     f"The snapshot '{snapshot.snapshot_id}' does not exist.", 400,
                     SnapshotId=snapshot.snapshot_id)


@pytest.mark.parametrize("state", ["available", "disabled", "pending"])
def test_snapshot_of_a_registered_image_is_in_use(ec2, ec2_stub, state):
    image = ec2_stub.add_image("web", state=state)
    (snapshot_id,) = image.snapshot_ids
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.delete_snapshot, "InvalidSnapshot.InUse",
                     f"The snapshot {snapshot_id} is currently in use by {image.image_id}", 400,
                     SnapshotId=snapshot_id)
    assert state_of(ec2_stub) == before


def test_in_use_check_comes_after_dry_run(ec2, ec2_stub):
    (snapshot_id,) = ec2_stub.add_image("web").snapshot_ids
    assert_ec2_error(ec2.delete_snapshot, "DryRunOperation",
                     "Request would have succeeded, but DryRun flag is set.", 412,
                     SnapshotId=snapshot_id, DryRun=True)


def test_snapshot_is_free_once_its_image_is_deregistered(ec2, ec2_stub):
    image = ec2_stub.add_image("web")
    (snapshot_id,) = image.snapshot_ids
    ec2.deregister_image(ImageId=image.image_id)
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    assert ec2_stub.snapshot(snapshot_id) is None


def test_shared_snapshot_names_a_registered_user(ec2, ec2_stub):
    first = ec2_stub.add_image("one")
    (snapshot_id,) = first.snapshot_ids
    second = ec2_stub.add_image("two", snapshot_ids=[snapshot_id])
    ec2.deregister_image(ImageId=first.image_id)
    assert_ec2_error(ec2.delete_snapshot, "InvalidSnapshot.InUse",
                     f"The snapshot {snapshot_id} is currently in use by {second.image_id}", 400,
                     SnapshotId=snapshot_id)


def test_delete_dry_run_changes_nothing(ec2, ec2_stub):
    snapshot = ec2_stub.add_snapshot()
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.delete_snapshot, "DryRunOperation",
                     "Request would have succeeded, but DryRun flag is set.", 412,
                     SnapshotId=snapshot.snapshot_id, DryRun=True)
    assert state_of(ec2_stub) == before


@pytest.mark.parametrize("kind", ["public", "shared", "private"])
def test_another_accounts_snapshot_cannot_be_deleted(ec2, ec2_stub, world, kind):
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.delete_snapshot, "InvalidSnapshot.NotFound",
                     f"The snapshot '{world[kind]}' does not exist.", 400,
                     SnapshotId=world[kind])
    assert state_of(ec2_stub) == before


def test_delete_malformed_and_invalid_ids(ec2):
    assert_ec2_error(ec2.delete_snapshot, "InvalidSnapshotID.Malformed",
                     'Invalid id: "snap-00000000000000000" (expecting "snap-...")', 400,
                     SnapshotId="snap-00000000000000000")
    assert_ec2_error(ec2.delete_snapshot, "InvalidParameterValue",
                     "Value (ami-12345678) for parameter snapshotId is invalid. "
                     "Expected: 'snap-...'.", 400, SnapshotId="ami-12345678")


def test_delete_asks_for_delete_snapshot_on_the_snapshot_arn(ec2, ec2_stub):
    snapshot = ec2_stub.add_snapshot(tags={"env": "prod"}, volume_size=30)
    asked = []

    def evaluator(request):
        asked.append(request)
        return Decision.deny(explicit=True) if request.context.get(
            "ec2:ResourceTag/env") == "prod" else True

    ec2_stub.evaluator = as_evaluator(evaluator)
    before = state_of(ec2_stub)
    error = assert_ec2_error(ec2.delete_snapshot, "UnauthorizedOperation",
                             re.compile(r"You are not authorized.*"), 403,
                             SnapshotId=snapshot.snapshot_id)
    assert state_of(ec2_stub) == before
    (request,) = asked
    assert request.action == "ec2:DeleteSnapshot"
    assert request.resource == f"arn:aws:ec2:us-east-1::snapshot/{snapshot.snapshot_id}"
    assert request.context["ec2:SnapshotID"] == snapshot.snapshot_id
    assert request.context["ec2:VolumeSize"] == "30"
    assert request.context["ec2:Owner"] == "123456789012"
    assert "explicit deny" in error.response["Error"]["Message"]


# -- CreateSnapshot -------------------------------------------------------------------------------


def test_create_snapshot_from_an_instance_volume(ec2, ec2_stub):
    image = ec2_stub.add_image("web", volume_size=30)
    instance = ec2_stub.add_instance(image.image_id)
    ((_, volume_id),) = instance.volumes
    ec2_stub.clock.freeze("2024-03-01T12:00:00Z")
    response = ec2.create_snapshot(
        VolumeId=volume_id, Description="nightly",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "team", "Value": "web"}]}],
    )
    assert_metadata(response.pop("ResponseMetadata"), 200)
    snapshot_id = response["SnapshotId"]
    assert snapshot_id.startswith("snap-") and len(snapshot_id) == 22
    assert response == {
        "StorageTier": "standard", "SnapshotId": snapshot_id, "VolumeId": volume_id,
        "State": "pending", "StartTime": datetime(2024, 3, 1, 12, tzinfo=timezone.utc),
        "Progress": "", "OwnerId": "123456789012", "Description": "nightly", "VolumeSize": 30,
        "Encrypted": False, "Tags": [{"Key": "team", "Value": "web"}],
    }
    described = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]
    assert described["State"] == "completed" and described["Progress"] == "100%"
    assert ec2_stub.snapshot(snapshot_id).tags == {"team": "web"}
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot_id])


def test_create_snapshot_without_tags_answers_an_empty_tag_list(ec2, ec2_stub):
    instance = ec2_stub.add_instance(ec2_stub.add_image("web").image_id)
    response = ec2.create_snapshot(VolumeId=instance.volumes[0][1])
    assert response["Tags"] == [] and response["Description"] == ""


@pytest.mark.parametrize(("volume_id", "code", "message"), [
    ("vol-0123456789abcdef0", "InvalidVolume.NotFound",
     "The volume 'vol-0123456789abcdef0' does not exist."),
    ("vol-zz", "InvalidVolumeID.Malformed", 'Invalid id: "vol-zz" (expecting "vol-...")'),
    ("standard", "InvalidParameterValue",
     "Value (standard) for parameter volumeId is invalid. Expected: 'vol-...'."),
])
def test_create_snapshot_bad_volume(ec2, ec2_stub, volume_id, code, message):
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.create_snapshot, code, message, 400, VolumeId=volume_id)
    assert state_of(ec2_stub) == before


def test_volume_of_a_terminated_instance_is_gone(ec2, ec2_stub):
    instance = ec2_stub.add_instance(ec2_stub.add_image("web").image_id)
    ec2.terminate_instances(InstanceIds=[instance.instance_id])
    volume_id = instance.volumes[0][1]
    assert_ec2_error(ec2.create_snapshot, "InvalidVolume.NotFound",
                     f"The volume '{volume_id}' does not exist.", 400, VolumeId=volume_id)


def test_create_snapshot_dry_run_and_bad_tag_type(ec2, ec2_stub):
    instance = ec2_stub.add_instance(ec2_stub.add_image("web").image_id)
    volume_id = instance.volumes[0][1]
    before = state_of(ec2_stub)
    assert_ec2_error(ec2.create_snapshot, "DryRunOperation",
                     "Request would have succeeded, but DryRun flag is set.", 412,
                     VolumeId=volume_id, DryRun=True)
    assert_ec2_error(ec2.create_snapshot, "InvalidParameterValue",
                     "'image' is not a valid taggable resource type for this operation.", 400,
                     VolumeId=volume_id,
                     TagSpecifications=[{"ResourceType": "image",
                                         "Tags": [{"Key": "a", "Value": "b"}]}])
    assert state_of(ec2_stub) == before


def test_created_snapshot_is_deletable_and_taggable(ec2, ec2_stub):
    instance = ec2_stub.add_instance(ec2_stub.add_image("web").image_id)
    snapshot_id = ec2.create_snapshot(VolumeId=instance.volumes[0][1])["SnapshotId"]
    ec2.create_tags(Resources=[snapshot_id], Tags=[{"Key": "k", "Value": "v"}])
    assert ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]["Tags"] == [
        {"Key": "k", "Value": "v"}]
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    assert ec2_stub.snapshot(snapshot_id) is None
